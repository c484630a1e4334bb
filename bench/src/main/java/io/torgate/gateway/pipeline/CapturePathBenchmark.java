package io.torgate.gateway.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import io.torgate.bench.capture.CaptureTapBenchmark;
import io.torgate.gateway.capture.CaptureFilter;
import io.torgate.gateway.capture.CaptureOptions;
import io.torgate.gateway.capture.CaptureSwitch;
import io.torgate.gateway.capture.CaptureTap;
import io.torgate.gateway.capture.FlightRecorder;
import io.torgate.gateway.capture.PcapCapture;
import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.IdleKind;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * The capture hooks where they really are: the production {@link TunReader#moveBatch()} (TUN read into the ring,
 * classify, the received/dropped hook, publish) and {@link TxQueue#commit} (the sent hook) and flush, on one
 * thread over an in-memory TUN. One operation is one packet read plus one packet written; a batch is
 * {@value #BATCH} packets (15 TCP ACKs passed to a worker, 1 UDP/123 dropped as {@code udp_port}).
 *
 * <p>{@code tap}: {@code none} builds the reader and queue with {@link CaptureTap#NONE} (an empty method the JIT
 * inlines away: the code as if there were no hook); {@code off} with the gateway's {@link CaptureSwitch} and
 * nothing attached (production with capture off: one volatile load and a branch per hook); then capture on:
 * {@code filteredOut} (a running pcap capture whose filter rejects every packet), {@code recorder} (the flight
 * recorder keeping every packet) and {@code pcap} (a pcap capture keeping every packet, written by its own thread;
 * what its ring cannot take is counted as lost, never waited for).
 *
 * <p>Lives in the pipeline's package because the reader is package-private. Run:
 * {@code bash bench/run.sh CapturePathBenchmark -prof gc}; results in bench/results/capture.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class CapturePathBenchmark {
    static final int BATCH = 16;
    static final int RING = 64;
    static final int SLOT = 2048;

    @Param({"none", "off", "filteredOut", "recorder", "pcap"})
    public String tap;

    private RingBuffer<PacketEvent> ring;
    private ShardWorker worker;
    private TunReader reader;
    private TxQueue tx;
    private PcapCapture pcap;
    private Path dir;

    /** A TUN whose slots already hold their packets: a read only sets the lengths, a write takes everything. */
    static class SlotTun implements TunDevice {
        @Override
        public int read(PacketBatch batch, int firstSlot, int maxCount) {
            for (int i = firstSlot; i < firstSlot + maxCount; i++) {
                batch.setLength(i, i % BATCH == BATCH - 1 ? 76 : 40);
            }
            return maxCount;
        }

        @Override
        public int write(PacketBatch batch, int firstSlot, int count) {
            return count;
        }

        @Override
        public boolean await(int timeoutMillis) {
            return true;
        }

        @Override
        public String name() {
            return "slot0";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public int vnetHeaderLength() {
            return 0;
        }

        @Override
        public boolean isNative() {
            return false;
        }

        @Override
        public void close() {
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        CaptureTap capture = capture();
        SlotTun tun = new SlotTun();
        PacketBatch rx = filledSlots();
        ring = ring();
        tx = new TxQueue(tun, BATCH, SLOT, capture);
        for (int i = 0; i < BATCH; i++) {
            CaptureTapBenchmark.writeAck(tx.buffer(), tx.claim(), 443);
            tx.commit(40);
        }
        tx.flush();
        worker = worker(ring, rx, tx);
        reader = new TunReader(tun, ring, rx, classifier(), new ShardWorker[] {worker}, BATCH, capture);
    }

    /** A worker whose handler ignores its packets, gating {@code ring}. */
    static ShardWorker worker(RingBuffer<PacketEvent> ring, PacketBatch rx, TxQueue tx) throws IOException {
        ShardWorker w = new ShardWorker(0, ring, rx.buffer(), new ShardHandler() {
            @Override
            public void onPacket(PacketEvent event, ByteBuffer buf, long nowNanos) {
            }
        }, tx, IdleKind.BLOCK);
        ring.addGatingSequences(w.sequence());
        return w;
    }

    /** Clients 10.137.0.0/16, every drop reason dropping (the UDP/123 packet is dropped as udp_port). */
    static PacketClassifier classifier() {
        return new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")), List.of(), List.of(), DropPolicy.dropAll());
    }

    /** The receive slots, each holding its packet for good: 15 TCP ACKs then 1 UDP/123 per batch. */
    static PacketBatch filledSlots() {
        PacketBatch rx = new PacketBatch(RING, SLOT);
        for (int i = 0; i < RING; i++) {
            if (i % BATCH == BATCH - 1) {
                CaptureTapBenchmark.writeUdp(rx.buffer(), rx.slotOffset(i));
            } else {
                CaptureTapBenchmark.writeAck(rx.buffer(), rx.slotOffset(i), 40000 + i);
            }
        }
        return rx;
    }

    /** A ring over {@link #filledSlots()}: event {@code i} points at slot {@code i}. */
    static RingBuffer<PacketEvent> ring() {
        int[] nextSlot = {0};
        return RingBuffer.createSingleProducer(() -> new PacketEvent(nextSlot[0]++), RING, new BlockingWaitStrategy());
    }

    private CaptureTap capture() throws IOException {
        if ("none".equals(tap)) {
            return CaptureTap.NONE;
        }
        CaptureSwitch sw = new CaptureSwitch();
        switch (tap) {
            case "off" -> { }
            case "filteredOut", "pcap" -> {
                dir = Files.createTempDirectory("torgate-capture-bench");
                pcap = new PcapCapture(CaptureOptions.defaults(dir, "bench",
                    "pcap".equals(tap) ? CaptureFilter.ALL : CaptureFilter.parse("client=10.137.0.99")));
                sw.attach(pcap);
            }
            case "recorder" -> sw.attach(new FlightRecorder(64, 256, 2048));
            default -> throw new IllegalArgumentException(tap);
        }
        return sw;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (pcap != null) {
            pcap.close();
            System.out.printf("%n[pcap: %d written, %d lost]%n", pcap.written(), pcap.lost());
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** One batch in (reader: read, classify, hook, publish) and one batch out (claim, commit with hook, flush). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int readAndSend() throws IOException {
        int got = reader.moveBatch();
        worker.sequence().set(ring.getCursor()); // the worker's part is not measured here: release the slots
        for (int i = 0; i < BATCH; i++) {
            tx.claim();
            tx.commit(40);
        }
        return got + tx.flush();
    }
}
