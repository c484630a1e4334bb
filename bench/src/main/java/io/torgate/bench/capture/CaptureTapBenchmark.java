package io.torgate.bench.capture;

import io.torgate.gateway.capture.CaptureFilter;
import io.torgate.gateway.capture.CaptureOptions;
import io.torgate.gateway.capture.CaptureSwitch;
import io.torgate.gateway.capture.FlightRecorder;
import io.torgate.gateway.capture.PcapCapture;
import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.classify.PacketInfo;
import io.torgate.gateway.config.Cidr;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.Udp;
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
 * What the capture tap adds per packet on the reader thread. Each invocation handles a batch of {@value #BATCH}
 * packets sitting in a direct buffer at slot offsets, as the reader does: {@code received} after the read, the
 * classifier, {@code dropped} for drops (one UDP/123 per batch). {@code baseline} is the same loop without tap
 * calls; {@code tap} runs it through a {@link CaptureSwitch} in the state given by {@code mode}:
 * {@code off} (nothing attached: the normal state), {@code filteredOut} (a running pcap capture whose filter
 * rejects every packet), {@code recorder} (the in-memory flight recorder keeping every packet).
 * Run: {@code bash bench/run.sh CaptureTapBenchmark -prof gc}; results in bench/results/capture.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CaptureTapBenchmark {
    static final int BATCH = 16;
    private static final int SLOT = 2048;
    private static final int CLIENT = Cidr.parseAddress("10.137.0.5");
    private static final int REMOTE = Cidr.parseAddress("93.184.216.34");

    @Param({"off", "filteredOut", "recorder"})
    public String mode;

    private final ByteBuffer slots = ByteBuffer.allocateDirect(BATCH * SLOT);
    private final int[] lengths = new int[BATCH];
    private final PacketInfo info = new PacketInfo();
    private final CaptureSwitch tap = new CaptureSwitch();
    private PacketClassifier classifier;
    private PcapCapture capture;
    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")), List.of(), List.of(),
            DropPolicy.dropAll());
        for (int i = 0; i < BATCH; i++) {
            lengths[i] = i == BATCH - 1 ? udp(i * SLOT) : ack(i * SLOT);
        }
        switch (mode) {
            case "off" -> { }
            case "filteredOut" -> {
                dir = Files.createTempDirectory("torgate-capture-bench");
                capture = new PcapCapture(CaptureOptions.defaults(dir, "bench",
                    CaptureFilter.parse("client=10.137.0.99")));
                tap.attach(capture);
            }
            case "recorder" -> tap.attach(new FlightRecorder(64, 256, 2048));
            default -> throw new IllegalArgumentException(mode);
        }
        if (baseline() != tap()) {
            throw new IllegalStateException("the two loops must classify alike");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        tap.detach();
        if (capture != null) {
            capture.close();
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private int ack(int at) {
        writeAck(slots, at, 40000);
        return 40;
    }

    private int udp(int at) {
        writeUdp(slots, at);
        return 76;
    }

    /** A 40-byte TCP ACK from 10.137.0.5:{@code clientPort} to 93.184.216.34:443 at {@code buf[at..]}. */
    public static void writeAck(ByteBuffer buf, int at, int clientPort) {
        Tcp t = new Tcp().wrap(buf, at + 20, 20);
        t.writeHeader(clientPort, 443, 1000, 2000, Tcp.ACK, 65535, null, 0);
        t.fillChecksum(CLIENT, REMOTE);
        Ipv4.writeHeader(buf, at, Ipv4.PROTO_TCP, CLIENT, REMOTE, 20, 64);
    }

    /** A 76-byte UDP datagram from 10.137.0.5:5000 to 93.184.216.34:123 (dropped as udp_port) at {@code buf[at..]}. */
    public static void writeUdp(ByteBuffer buf, int at) {
        Udp.writeHeader(buf, at + 20, 5000, 123, 48);
        new Udp().wrap(buf, at + 20, 56).fillChecksum(CLIENT, REMOTE);
        Ipv4.writeHeader(buf, at, Ipv4.PROTO_UDP, CLIENT, REMOTE, 56, 64);
    }

    /** The reader's per-packet work without any capture hook. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int baseline() {
        int verdicts = 0;
        for (int i = 0; i < BATCH; i++) {
            verdicts += classifier.classify(slots, i * SLOT, lengths[i], info);
        }
        return verdicts;
    }

    /** The same work with the three tap calls the pipeline makes. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int tap() {
        int verdicts = 0;
        for (int i = 0; i < BATCH; i++) {
            int off = i * SLOT;
            tap.received(slots, off, lengths[i]);
            int v = classifier.classify(slots, off, lengths[i], info);
            if (v == PacketInfo.DROP) {
                tap.dropped(slots, off, lengths[i], info.reason);
            }
            verdicts += v;
        }
        return verdicts;
    }
}
