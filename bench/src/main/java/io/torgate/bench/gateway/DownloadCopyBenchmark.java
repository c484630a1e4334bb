package io.torgate.bench.gateway;

import io.torgate.stack.BufferBudget;
import io.torgate.stack.ChunkPool;
import io.torgate.stack.SendBuffer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The download's way from the SOCKS socket into the connection's send buffer, per 64 KiB that Tor sent (one loopback
 * write by the "Tor" end, then the relay's reads until all of it is in the send buffer, then the bytes copied out as
 * one 64 KiB TSO payload and acknowledged, as the transmitter and the client's ACK do):
 * <ul>
 *   <li>{@code relayBuffer}: the relay's old way, a read into a 64 KiB relay buffer, then {@link SendBuffer#write}
 *   (kernel → relay buffer → chunk: two copies);</li>
 *   <li>{@code inPlace}: a scattering read straight into the send buffer's chunks ({@link SendBuffer#claim} /
 *   {@link SendBuffer#commit}, kernel → chunk: one copy).</li>
 * </ul>
 * Both make the same system calls; the difference is one memory copy per byte. {@code -prof gc} shows the
 * allocation per op (the JDK's scattering read reuses a per-thread iovec).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DownloadCopyBenchmark {
    private static final int BYTES = 64 * 1024;

    @Param({"relayBuffer", "inPlace"})
    public String path;

    private ServerSocketChannel server;
    private SocketChannel tor;
    private SocketChannel relay;
    private final ByteBuffer fromTor = ByteBuffer.allocateDirect(BYTES);
    private final ByteBuffer relayBuffer = ByteBuffer.allocateDirect(BYTES);
    private final ByteBuffer frame = ByteBuffer.allocateDirect(BYTES + 128);
    private final ByteBuffer[] spans = new ByteBuffer[128 * 1024 / ChunkPool.DEFAULT_CHUNK_BYTES + 2];
    private SendBuffer send;
    private boolean inPlace;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        tor = SocketChannel.open(server.getLocalAddress());
        relay = server.accept();
        relay.configureBlocking(false);
        send = new SendBuffer(1 << 20, new ChunkPool(ChunkPool.DEFAULT_CHUNK_BYTES, new BufferBudget(Long.MAX_VALUE),
            128));
        send.reset(0);
        inPlace = path.equals("inPlace");
        for (int i = 0; i < BYTES; i++) {
            fromTor.put(i, (byte) i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        relay.close();
        tor.close();
        server.close();
    }

    @Benchmark
    public int oneBlockDown() throws IOException {
        fromTor.clear();
        while (fromTor.hasRemaining()) {
            tor.write(fromTor);
        }
        int seq = send.sndUna();
        int got = 0;
        while (got < BYTES) {
            got += inPlace ? readInPlace() : readViaRelayBuffer();
        }
        int copied = send.copy(seq, frame, 66, BYTES);
        return copied + send.acknowledge(seq + got);
    }

    private int readInPlace() throws IOException {
        int k = send.claim(spans, 128 * 1024);
        long n = relay.read(spans, 0, k);
        send.commit((int) Math.max(0, n));
        return (int) Math.max(0, n);
    }

    private int readViaRelayBuffer() throws IOException {
        relayBuffer.clear();
        int n = Math.max(0, relay.read(relayBuffer));
        relayBuffer.flip();
        send.write(relayBuffer);
        return n;
    }
}
