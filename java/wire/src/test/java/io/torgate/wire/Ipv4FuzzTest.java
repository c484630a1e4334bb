package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Fuzz targets for the checked IPv4/UDP/ICMP parsing path: any bytes give a {@link WireError} code, never an
 * exception, and after OK every accessor stays inside the wrapped range.
 *
 * <p>In a normal {@code mvn test} run Jazzer is in regression mode: each target runs once per file in
 * {@code src/test/resources/io/torgate/wire/Ipv4FuzzTestInputs/<method>/} (seeds from the real captures,
 * hand-made malformed headers, and the {@code fuzzed-*} corpus of a 60-second run on JDK 25: 4.6 million
 * inputs, no finding), so the saved corpus replays every build. To fuzz for real (one target per run;
 * new crashing inputs land in that directory and become regression cases):
 * <pre>
 *   JAZZER_FUZZ=1 mvn -pl java/wire test -Dtest=Ipv4FuzzTest#parseIpv4 -Djazzer.max_duration=5m
 * </pre>
 */
class Ipv4FuzzTest {
    private final Ipv4 ip = new Ipv4();
    private final Udp udp = new Udp();
    private final Icmp icmp = new Icmp();

    @FuzzTest(maxDuration = "60s")
    void parseIpv4(byte[] data) {
        // Place the packet at a non-zero offset with slack behind it, as in a ring slot.
        ByteBuffer buf = ByteBuffer.allocate(data.length + 16);
        buf.put(3, data);
        int code = ip.wrap(buf, 3, data.length).checkLength();
        assertTrue(code <= 0 && !"unknown".equals(WireError.name(code)));
        if (code != WireError.OK) {
            return;
        }
        ip.verifyChecksum();
        int optionsCode = ip.checkOptions();
        int rr = ip.findOption(Ipv4.OPTION_RECORD_ROUTE);
        assertTrue(rr == -1 || (rr >= 23 && rr < ip.payloadOffset()));
        assertTrue(optionsCode == WireError.OK || optionsCode == WireError.BAD_OPTION);
        assertTrue(ip.payloadOffset() + ip.payloadLength() <= 3 + data.length);
        assertEquals(ip.headerLength(), ip.optionsLength() + Ipv4.MIN_HEADER_LENGTH);
        assertEquals(4, ip.version());
        assertTrue(ip.fragmentOffset() <= 0xFFF8 && ip.dscp() < 64 && ip.ecn() < 4 && ip.ttl() < 256);
        assertEquals(ip.isFragment(), ip.moreFragments() || ip.fragmentOffset() != 0);
        transport(ip.protocol(), buf, ip.payloadOffset(), ip.payloadLength());
    }

    private void transport(int protocol, ByteBuffer buf, int offset, int length) {
        if (protocol == Ipv4.PROTO_UDP) {
            if (udp.wrap(buf, offset, length).checkLength() == WireError.OK) {
                udp.verifyChecksum(ip.sourceAddress(), ip.destinationAddress());
                assertTrue(udp.payloadOffset() + udp.payloadLength() <= offset + length);
                assertTrue(udp.sourcePort() >= 0 && udp.destinationPort() >= 0);
            }
        } else if (protocol == Ipv4.PROTO_ICMP) {
            if (icmp.wrap(buf, offset, length).checkLength() == WireError.OK) {
                icmp.verifyChecksum();
                assertTrue(icmp.type() >= 0 && icmp.code() >= 0 && icmp.identifier() >= 0 && icmp.nextHopMtu() >= 0);
            }
        }
    }
}
