package io.torgate.bench.wire;

import io.torgate.wire.Dns;
import io.torgate.wire.DnsWriter;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Udp;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import java.util.HexFormat;
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
 * The classify path for a DNS query as the gateway sees it: IPv4 checked parse and header checksum, UDP
 * checked parse and checksum, DNS checked parse; and building the A answer (question copied, one A record,
 * OPT) into a reused direct buffer. The packet is a real `dig` query (EDNS with a client cookie) from
 * java/wire's capture (frame 18 of wire-veth.pcap).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PacketParseBenchmark {
    private static final String DIG_QUERY = "45000052f17700004011745b0a6300010a630002dade0035003eeecc7baa0120"
        + "0001000000000001037777770474657374047a6f6e65000001000100002904d000000000000c000a0008b9895aa7b9988d6c";

    private final Ipv4 ip = new Ipv4();
    private final Udp udp = new Udp();
    private final Dns dns = new Dns();
    private final DnsWriter writer = new DnsWriter();
    private ByteBuffer rx;
    private ByteBuffer tx;
    private int length;

    @Setup
    public void setUp() {
        byte[] packet = HexFormat.of().parseHex(DIG_QUERY);
        length = packet.length;
        rx = ByteBuffer.allocateDirect(2048).put(packet).clear();
        tx = ByteBuffer.allocateDirect(2048);
    }

    /** IPv4 checkLength + header checksum verification. */
    @Benchmark
    public int ipv4ParseVerify() {
        ip.wrap(rx, 0, length);
        if (ip.checkLength() != WireError.OK || !ip.verifyChecksum()) {
            return -1;
        }
        return ip.protocol() + ip.payloadLength();
    }

    /** IPv4 + UDP (with pseudo-header checksum) + DNS query checked parse. */
    @Benchmark
    public int dnsQueryParse() {
        ip.wrap(rx, 0, length);
        if (ip.checkLength() != WireError.OK || !ip.verifyChecksum()) {
            return -1;
        }
        udp.wrap(rx, ip.payloadOffset(), ip.payloadLength());
        if (udp.checkLength() != WireError.OK || !udp.verifyChecksum(ip.sourceAddress(), ip.destinationAddress())) {
            return -2;
        }
        dns.wrap(rx, udp.payloadOffset(), udp.payloadLength());
        if (dns.checkLength() != WireError.OK || dns.checkQuery() != WireError.OK) {
            return -3;
        }
        return dns.questionType() + dns.ednsUdpPayloadSize();
    }

    /** The parse above plus the whole answer: DNS response, UDP and IPv4 headers and both checksums. */
    @Benchmark
    public int dnsQueryParseAndAnswer() {
        if (dnsQueryParse() < 0) {
            return -1;
        }
        int dnsAt = 28;
        writer.startResponse(dns, tx, dnsAt, dns.maxUdpResponse(1232), Dns.RCODE_NOERROR, false);
        writer.addA(DnsWriter.QUESTION_NAME, 60, 0x0a010203);
        writer.addOpt(1232, dns.dnssecOk());
        int dnsLength = writer.finish();
        Udp.writeHeader(tx, 20, udp.destinationPort(), udp.sourcePort(), dnsLength);
        udp.wrap(tx, 20, 8 + dnsLength).fillChecksum(ip.destinationAddress(), ip.sourceAddress());
        Ipv4.writeHeader(tx, 0, Ipv4.PROTO_UDP, ip.destinationAddress(), ip.sourceAddress(), 8 + dnsLength, 64);
        return dnsLength;
    }
}
