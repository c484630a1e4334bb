package io.torgate.bench.tun;

import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunConfig;
import io.torgate.tun.TunDevice;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Udp;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Packets per second moved through a real TUN device: the JNI batch path ({@code impl=jni}: one native call
 * per batch, a read(2)/write(2) loop in C) against the pure-JNA path ({@code impl=jna}: one JNA call per packet).
 *
 * <p>What one operation is: one 92-byte IPv4/UDP packet written into the TUN by Java, forwarded by the kernel
 * (the benchmark thread lives in a private network namespace with forwarding on; the destination 10.77.0.9 is on
 * the TUN's own /24, so the route leads straight back out of the same TUN) and read back by Java. So the score
 * covers the TUN write path, one kernel IPv4 forward, and the TUN read path; no sockets, no other thread.
 * {@code batch64} moves 64 packets per write call and per read call; {@code single} one per call, which shows
 * the fixed cost of a call. A lost packet fails the run rather than inflating the score.
 *
 * <p>{@code writeDropped64} isolates the write path: the same packets with a corrupted IPv4 header checksum, which
 * the kernel drops in ip_rcv right after the TUN hands them over (counted in its InHdrErrors), so the score is
 * the write(2) call, the skb allocation and copy, and an early drop; nothing is read.
 *
 * <p>Besides packets per second, each benchmark reports {@code cpuNanos} and {@code packets} ({@link CpuCost}):
 * their quotient is the benchmark thread's CPU time per packet, kernel time included, which stays comparable
 * when the machine is busy.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class TunThroughputBenchmark {
  static final int BATCH = 64;
  static final int PAYLOAD = 64;
  static final int SLOT = 2048;

  /** jni: NativeTun (batch per JNI call); jna: JnaTun (JNA call per packet). */
  @Param({"jni", "jna"})
  public String impl;

  private PrivateNetns netns;
  private TunDevice tun;
  private PacketBatch out;
  private PacketBatch in;
  private PacketBatch corrupt;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    netns = PrivateNetns.enter();
    TunConfig config = TunConfig.builder("tgbench0").mtu(1500).ipv4("10.77.0.1", 24).build();
    tun = impl.equals("jni") ? TunDevice.openNative(config) : TunDevice.openJna(config);
    out = new PacketBatch(BATCH, SLOT);
    in = new PacketBatch(BATCH, SLOT);
    int src = TunConfig.parseIpv4("10.77.0.2");
    int dst = TunConfig.parseIpv4("10.77.0.9");
    for (int i = 0; i < BATCH; i++) {
      int off = out.slotOffset(i);
      // The UDP checksum stays 0 ("none", RFC 768): a forwarding router does not look at it.
      Ipv4.writeHeader(out.buffer(), off, Ipv4.PROTO_UDP, src, dst, Udp.HEADER_LENGTH + PAYLOAD, 64);
      Udp.writeHeader(out.buffer(), off + Ipv4.MIN_HEADER_LENGTH, 40000 + i, 9, PAYLOAD);
      out.setLength(i, Ipv4.MIN_HEADER_LENGTH + Udp.HEADER_LENGTH + PAYLOAD);
    }
    corrupt = new PacketBatch(BATCH, SLOT);
    for (int i = 0; i < BATCH; i++) {
      int off = out.slotOffset(i);
      int len = out.length(i);
      corrupt.buffer().put(off, out.buffer(), off, len);
      corrupt.buffer().putShort(off + 10, (short) ~out.buffer().getShort(off + 10));
      corrupt.setLength(i, len);
    }
    roundTrip(BATCH); // fails fast if the kernel does not hand the packets back
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    tun.close();
    netns.close();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int batch64(CpuCost cpu) throws IOException {
    cpu.add(BATCH);
    return roundTrip(BATCH);
  }

  @Benchmark
  public int single(CpuCost cpu) throws IOException {
    cpu.add(1);
    return roundTrip(1);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int writeDropped64(CpuCost cpu) throws IOException {
    cpu.add(BATCH);
    int written = 0;
    while (written < BATCH) {
      written += tun.write(corrupt, written, BATCH - written);
    }
    return written;
  }

  private int roundTrip(int n) throws IOException {
    int written = 0;
    while (written < n) {
      written += tun.write(out, written, n - written);
    }
    int read = 0;
    while (read < n) {
      int got = tun.read(in, read, n - read);
      if (got == 0 && !tun.await(1000)) {
        throw new IllegalStateException(impl + ": " + (n - read) + " of " + n + " forwarded packets missing");
      }
      read += got;
    }
    return read;
  }
}
