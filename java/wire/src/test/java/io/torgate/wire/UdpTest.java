package io.torgate.wire;

import static io.torgate.wire.Captures.HOST1;
import static io.torgate.wire.Captures.HOST2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class UdpTest {
    private final Udp udp = new Udp();

    @Test
    void parsesKnownBytes() {
        ByteBuffer buf = Captures.buffer(Captures.UDP_HELLO, 0);
        udp.wrap(buf, 20, 22);
        assertEquals(WireError.OK, udp.checkLength());
        assertEquals(53871, udp.sourcePort());
        assertEquals(9999, udp.destinationPort());
        assertEquals(22, udp.udpLength());
        assertEquals(0x0033, udp.checksum());
        assertTrue(udp.verifyChecksum(HOST1, HOST2));
        assertFalse(udp.verifyChecksum(HOST1, HOST2 + 1)); // the pseudo-header counts
        assertEquals(WireError.OK, udp.check(HOST1, HOST2));
        buf.put(28, (byte) 'H');
        assertEquals(WireError.BAD_CHECKSUM, udp.check(HOST1, HOST2));
        buf.put(28, (byte) 'h');
        assertEquals(28, udp.payloadOffset());
        assertEquals(14, udp.payloadLength());
        byte[] data = new byte[udp.payloadLength()];
        buf.get(udp.payloadOffset(), data);
        assertEquals("hello torgate\n", new String(data, StandardCharsets.US_ASCII));
    }

    @Test
    void parsesDnsAnswerChecksum() {
        ByteBuffer buf = Captures.buffer(Captures.DNS_A_EDNS_ANSWER, 0);
        udp.wrap(buf, 20, 66);
        assertEquals(WireError.OK, udp.checkLength());
        assertEquals(53, udp.sourcePort());
        assertTrue(udp.verifyChecksum(HOST2, HOST1));
    }

    @Test
    void buildsKnownBytes() {
        byte[] expected = Captures.bytes(Captures.UDP_HELLO);
        ByteBuffer buf = ByteBuffer.allocate(expected.length);
        buf.put(28, "hello torgate\n".getBytes(StandardCharsets.US_ASCII));
        Udp.writeHeader(buf, 20, 53871, 9999, 14);
        udp.wrap(buf, 20, 22).fillChecksum(HOST1, HOST2);
        assertArrayEquals(Arrays.copyOfRange(expected, 20, 42), Arrays.copyOfRange(buf.array(), 20, 42));
        buf.putInt(20, 0);
        udp.sourcePort(53871).destinationPort(9999).udpLength(22).checksum(0x0033);
        assertArrayEquals(Arrays.copyOfRange(expected, 20, 42), Arrays.copyOfRange(buf.array(), 20, 42));
    }

    @Test
    void zeroChecksumMeansNoneAndComputedZeroIsSentAsOnes() {
        ByteBuffer buf = ByteBuffer.allocate(8);
        udp.wrap(buf, 0, 8).sourcePort(1).destinationPort(2).udpLength(8).checksum(0);
        assertTrue(udp.verifyChecksum(HOST1, HOST2)); // RFC 768: zero = no checksum transmitted
        // Choose a source port that makes the one's complement sum 0xFFFF, so the computed checksum is 0.
        long others = Checksum.addPseudoHeaderV4(HOST1, HOST2, Ipv4.PROTO_UDP, 8, 0) + 2 + 8;
        int rest = 0xFFFF - (int) ((others % 0xFFFF));
        udp.sourcePort(rest).fillChecksum(HOST1, HOST2);
        assertEquals(0xFFFF, udp.checksum());
        assertTrue(udp.verifyChecksum(HOST1, HOST2));
    }

    @Test
    void rejectsTruncated() {
        ByteBuffer buf = ByteBuffer.wrap(Captures.bytes(Captures.UDP_HELLO));
        for (int length = 0; length < 8; length++) {
            assertEquals(WireError.TRUNCATED, udp.wrap(buf, 20, length).checkLength());
        }
        for (int length = 8; length < 22; length++) {
            assertEquals(WireError.BAD_TOTAL_LENGTH, udp.wrap(buf, 20, length).checkLength());
        }
        assertEquals(WireError.TRUNCATED, udp.wrap(buf, 30, 22).checkLength());
        udp.wrap(buf, 20, 22).udpLength(7);
        assertEquals(WireError.BAD_TOTAL_LENGTH, udp.checkLength());
    }
}
