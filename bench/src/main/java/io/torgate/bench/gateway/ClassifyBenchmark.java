package io.torgate.bench.gateway;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.classify.PacketInfo;
import io.torgate.gateway.config.Cidr;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.Udp;
import io.torgate.wire.VirtioNetHeader;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the drop policy per packet, on the reader thread: parse IPv4, verify header and transport checksums,
 * apply the rules, hash the flow. Packets sit in a direct buffer at a slot offset, as in the ring.
 * Run: {@code bash bench/run.sh ClassifyBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClassifyBenchmark {
    private static final int CLIENT = Cidr.parseAddress("10.137.0.5");
    private static final int REMOTE = Cidr.parseAddress("93.184.216.34");
    private static final int SLOT = 2048;

    /** A TCP super-segment as a TSO TUN hands it over: 45 segments of 1448 bytes in one 65,200-byte packet. */
    private static final int SUPER_PAYLOAD = 45 * 1448;
    private static final int SUPER_AT = 4 * SLOT;

    private final ByteBuffer slots = ByteBuffer.allocateDirect(4 * SLOT + VirtioNetHeader.LENGTH + 40 + SUPER_PAYLOAD);
    private final PacketInfo info = new PacketInfo();
    private PacketClassifier classifier;
    private int ackLength;
    private int dataLength;
    private int udpLength;
    private int icmpLength;
    private int superLength;

    @Setup
    public void setUp() {
        classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(Cidr.parseAddress("10.139.1.1")), List.of(), DropPolicy.dropAll());
        ackLength = tcp(0, 0);
        dataLength = tcp(SLOT, 1448);
        udpLength = udp(2 * SLOT);
        icmpLength = icmp(3 * SLOT);
        VirtioNetHeader.write(slots, SUPER_AT, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 40, 1448,
            20, 16);
        // A complete checksum, so the plain classify below verifies it as it would a packet without the header.
        superLength = VirtioNetHeader.LENGTH + tcp(SUPER_AT + VirtioNetHeader.LENGTH, SUPER_PAYLOAD);
    }

    private int tcp(int at, int payload) {
        Tcp t = new Tcp().wrap(slots, at + 20, 20 + payload);
        t.writeHeader(40000, 443, 1000, 2000, Tcp.ACK, 65535, null, payload);
        t.fillChecksum(CLIENT, REMOTE);
        Ipv4.writeHeader(slots, at, Ipv4.PROTO_TCP, CLIENT, REMOTE, 20 + payload, 64);
        return 40 + payload;
    }

    private int udp(int at) {
        Udp.writeHeader(slots, at + 20, 5000, 123, 48);
        new Udp().wrap(slots, at + 20, 56).fillChecksum(CLIENT, REMOTE);
        Ipv4.writeHeader(slots, at, Ipv4.PROTO_UDP, CLIENT, REMOTE, 56, 64);
        return 76;
    }

    private int icmp(int at) {
        slots.put(at + 20, (byte) 8);
        Ipv4.writeHeader(slots, at, Ipv4.PROTO_ICMP, CLIENT, REMOTE, 16, 64);
        return 36;
    }

    /** A pure ACK (the common packet of a download): 40 bytes. */
    @Benchmark
    public int tcpAck() {
        return classifier.classify(slots, 0, ackLength, info) + info.flowHash;
    }

    /** A full-MSS data segment (an upload): the TCP checksum covers 1468 bytes. */
    @Benchmark
    public int tcpData() {
        return classifier.classify(slots, SLOT, dataLength, info) + info.flowHash;
    }

    /**
     * The offload path: a 64 KiB super-segment with its virtio-net header flagged NEEDS_CSUM, trusted (the kernel
     * built it); everything but the transport checksum is checked.
     */
    @Benchmark
    public int tcpSuperSegmentTrusted() {
        return classifier.classifyFrame(slots, SUPER_AT, superLength, VirtioNetHeader.LENGTH, info) + info.flowHash;
    }

    /** The same 64 KiB segment without a header: the checksum pass over 65,220 bytes the offload path skips. */
    @Benchmark
    public int tcpSuperSegmentVerified() {
        return classifier.classify(slots, SUPER_AT + VirtioNetHeader.LENGTH, superLength - VirtioNetHeader.LENGTH,
            info) + info.flowHash;
    }

    /** UDP to port 123: dropped and counted. */
    @Benchmark
    public int udpDropped() {
        return classifier.classify(slots, 2 * SLOT, udpLength, info);
    }

    /** ICMP echo: dropped and counted before any transport parsing. */
    @Benchmark
    public int icmpDropped() {
        return classifier.classify(slots, 3 * SLOT, icmpLength, info);
    }
}
