package io.torgate.bench.gateway;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.config.IdleKind;
import io.torgate.gateway.pipeline.PacketEvent;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.pipeline.ShardHandler;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
 * The ring hand-off: a burst of 64 TCP ACKs of 64 flows is released to an in-memory TUN; the reader thread
 * moves them into the ring (one read call per batch), classifies and publishes; the shard workers pick up their
 * own. One operation = one packet from "readable on the TUN" to "seen by its worker", so the score includes the
 * reader's wake-up and the workers' selector wake-ups. With {@code offload} the TUN has a virtio-net header and
 * TSO, so the reader takes the offload path: packed reads into the byte ring and {@code classifyFrame}.
 * Run: {@code bash bench/run.sh RingHandoffBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingHandoffBenchmark {
    private static final int BURST = 64;

    @Param({"1", "2"})
    public int workers;

    @Param({"BLOCK", "BACKOFF"})
    public IdleKind idle;

    @Param({"false", "true"})
    public boolean offload;

    private final AtomicLong seen = new AtomicLong();
    private MemoryTun tun;
    private Pipeline pipeline;

    /** A TUN whose reads return the same prepared packets, as many as have been released. */
    static final class MemoryTun implements TunDevice {
        /** A zero virtio-net header: complete checksums, no segmentation. */
        private static final byte[] NO_OFFLOAD = new byte[10];
        private final byte[][] packets = new byte[BURST][];
        private final AtomicInteger credits = new AtomicInteger();
        private final boolean offload;
        private volatile boolean closed;
        private int next;

        MemoryTun(boolean offload) {
            this.offload = offload;
            int client = Cidr.parseAddress("10.137.0.5");
            int remote = Cidr.parseAddress("93.184.216.34");
            for (int i = 0; i < BURST; i++) {
                ByteBuffer b = ByteBuffer.allocate(40);
                Tcp t = new Tcp().wrap(b, 20, 20);
                t.writeHeader(40000 + i, 443, 1, 1, Tcp.ACK, 65535, null, 0);
                t.fillChecksum(client, remote);
                Ipv4.writeHeader(b, 0, Ipv4.PROTO_TCP, client, remote, 20, 64);
                packets[i] = b.array();
            }
        }

        void release(int n) {
            credits.addAndGet(n);
        }

        @Override
        public int read(PacketBatch batch, int firstSlot, int maxCount) {
            int n = Math.min(maxCount, credits.get());
            ByteBuffer buf = batch.buffer();
            for (int i = 0; i < n; i++) {
                byte[] p = packets[next++ & (BURST - 1)];
                buf.put(batch.slotOffset(firstSlot + i), p);
                batch.setLength(firstSlot + i, p.length);
            }
            credits.addAndGet(-n);
            return n;
        }

        /** The offload path's read: header + packet back to back, 64-byte aligned, as tg_tun_read_packed. */
        @Override
        public int readPacked(PacketBatch batch, int first, int maxCount, int from, int to) {
            int n = Math.min(maxCount, credits.get());
            ByteBuffer buf = batch.buffer();
            int pos = from;
            int done = 0;
            while (done < n && to - pos >= maxFrame()) {
                byte[] p = packets[next++ & (BURST - 1)];
                buf.put(pos, NO_OFFLOAD);
                buf.put(pos + NO_OFFLOAD.length, p);
                batch.setOffset(first + done, pos);
                batch.setLength(first + done, NO_OFFLOAD.length + p.length);
                pos += (NO_OFFLOAD.length + p.length + 63) & -64;
                done++;
            }
            credits.addAndGet(-done);
            return done;
        }

        @Override
        public boolean segmentationOffload() {
            return offload;
        }

        @Override
        public int maxFrame() {
            return offload ? MAX_SUPER_SEGMENT + NO_OFFLOAD.length : mtu();
        }

        @Override
        public boolean await(int timeoutMillis) {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (credits.get() == 0 && !closed && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000);
            }
            return credits.get() > 0;
        }

        @Override
        public int write(PacketBatch batch, int firstSlot, int count) {
            return count;
        }

        @Override
        public String name() {
            return "mem0";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public int vnetHeaderLength() {
            return offload ? NO_OFFLOAD.length : 0;
        }

        @Override
        public boolean isNative() {
            return false;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Counts the packets of its shard (no sockets, no timers: the interface's defaults). */
    final class Counter implements ShardHandler {
        @Override
        public void onPacket(PacketEvent event, ByteBuffer buf, long nowNanos) {
            seen.incrementAndGet();
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        tun = new MemoryTun(offload);
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")), List.of(),
            List.of(), DropPolicy.dropAll());
        pipeline = new Pipeline(tun, new GatewayConfig.Pipeline(workers, 1024, 64, idle), classifier,
            i -> new Counter());
        pipeline.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pipeline.close();
        tun.close();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long burstOf64() {
        long target = seen.get() + BURST;
        tun.release(BURST);
        while (seen.get() < target) {
            Thread.onSpinWait();
        }
        return target;
    }
}
