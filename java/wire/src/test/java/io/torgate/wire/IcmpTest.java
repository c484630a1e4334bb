package io.torgate.wire;

import static io.torgate.wire.Captures.HOST1;
import static io.torgate.wire.Captures.HOST2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class IcmpTest {
    private final Icmp icmp = new Icmp();
    private final Ipv4 ip = new Ipv4();

    /** Wraps the IPv4 packet and the ICMP message inside it, checking both. */
    private ByteBuffer wrapCapture(String hex) {
        ByteBuffer buf = Captures.buffer(hex, 0);
        ip.wrap(buf, 0, buf.capacity() - 7);
        assertEquals(WireError.OK, ip.checkLength());
        icmp.wrap(buf, ip.payloadOffset(), ip.payloadLength());
        assertEquals(WireError.OK, icmp.checkLength());
        assertTrue(icmp.verifyChecksum());
        return buf;
    }

    @Test
    void parsesKnownBytes() {
        wrapCapture(Captures.ECHO_REQUEST_RECORD_ROUTE);
        assertEquals(Icmp.TYPE_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0x2bc3, icmp.checksum());
        assertEquals(WireError.OK, icmp.check());
        icmp.sequenceNumber(2);
        assertEquals(WireError.BAD_CHECKSUM, icmp.check());
        icmp.sequenceNumber(1);
        assertEquals(0x3166, icmp.identifier());
        assertEquals(1, icmp.sequenceNumber());
        assertEquals(56, icmp.payloadLength());
        assertEquals(68, icmp.payloadOffset());
    }

    @Test
    void parsesPortUnreachableQuotingTheDatagram() {
        ByteBuffer buf = wrapCapture(Captures.ICMP_PORT_UNREACHABLE);
        assertEquals(Icmp.TYPE_DESTINATION_UNREACHABLE, icmp.type());
        assertEquals(Icmp.CODE_PORT_UNREACHABLE, icmp.code());
        Ipv4 quoted = new Ipv4().wrap(buf, icmp.payloadOffset(), icmp.payloadLength());
        assertEquals(WireError.OK, quoted.checkLength());
        assertEquals(HOST1, quoted.sourceAddress());
        assertEquals(Ipv4.PROTO_UDP, quoted.protocol());
    }

    @Test
    void buildsKnownBytes() {
        byte[] packet = Captures.bytes(Captures.ICMP_PORT_UNREACHABLE);
        byte[] original = Captures.bytes(Captures.UDP_HELLO);
        ByteBuffer out = ByteBuffer.allocate(packet.length);
        int length = icmp.writeError(out, 20, Icmp.TYPE_DESTINATION_UNREACHABLE, Icmp.CODE_PORT_UNREACHABLE,
            ByteBuffer.wrap(original), 0, original.length);
        assertEquals(50, length);
        assertArrayEquals(Arrays.copyOfRange(packet, 20, 70), Arrays.copyOfRange(out.array(), 20, 70));

        ByteBuffer echo = ByteBuffer.allocate(8);
        icmp.wrap(echo, 0, 8).type(Icmp.TYPE_ECHO_REPLY).code(0).identifier(7).sequenceNumber(9).fillChecksum();
        assertTrue(icmp.verifyChecksum());
        assertEquals(9, icmp.sequenceNumber());
        icmp.type(Icmp.TYPE_DESTINATION_UNREACHABLE).code(Icmp.CODE_FRAGMENTATION_NEEDED).nextHopMtu(1280);
        assertEquals(1280, icmp.nextHopMtu());
        assertFalse(icmp.verifyChecksum());
    }

    @Test
    void quoteIsCappedAt576ByteDatagram() {
        byte[] big = Captures.bytes(Captures.FRAGMENT_FIRST);
        ByteBuffer out = ByteBuffer.allocate(600);
        int length = icmp.writeError(out, 20, Icmp.TYPE_DESTINATION_UNREACHABLE, Icmp.CODE_ADMIN_PROHIBITED,
            ByteBuffer.wrap(big), 0, big.length);
        assertEquals(576 - 20, length);
        assertTrue(icmp.verifyChecksum());
    }

    @Test
    void rejectsTruncated() {
        ByteBuffer buf = ByteBuffer.wrap(Captures.bytes(Captures.ICMP_PORT_UNREACHABLE));
        for (int length = 0; length < 8; length++) {
            assertEquals(WireError.TRUNCATED, icmp.wrap(buf, 20, length).checkLength());
        }
        assertEquals(WireError.TRUNCATED, icmp.wrap(buf, 20, 51).checkLength());
        assertEquals(WireError.OK, icmp.wrap(buf, 20, 50).checkLength());
    }
}
