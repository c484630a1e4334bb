package io.torgate.wire;

import static io.torgate.wire.Captures.HOST1;
import static io.torgate.wire.Captures.HOST2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class Ipv4Test {
    private final Ipv4 ip = new Ipv4();

    private Ipv4 wrapCapture(String hex, int at) {
        ByteBuffer buf = Captures.buffer(hex, at);
        return ip.wrap(buf, at, buf.capacity() - at);
    }

    @Test
    void parsesKnownBytes() {
        wrapCapture(Captures.ECHO_REQUEST_RECORD_ROUTE, 5);
        assertEquals(WireError.OK, ip.checkLength());
        assertTrue(ip.verifyChecksum());
        assertEquals(4, ip.version());
        assertEquals(60, ip.headerLength());
        assertEquals(0, ip.dscp());
        assertEquals(0, ip.ecn());
        assertEquals(124, ip.totalLength());
        assertEquals(0xdd82, ip.identification());
        assertTrue(ip.dontFragment());
        assertFalse(ip.moreFragments());
        assertEquals(0, ip.fragmentOffset());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.ttl());
        assertEquals(Ipv4.PROTO_ICMP, ip.protocol());
        assertEquals(0x0bc3, ip.headerChecksum());
        assertEquals(HOST1, ip.sourceAddress());
        assertEquals(HOST2, ip.destinationAddress());
        assertEquals(40, ip.optionsLength());
        assertEquals(5 + 60, ip.payloadOffset());
        assertEquals(64, ip.payloadLength());
        assertEquals(WireError.OK, ip.checkOptions());
        // ping -R: NOP, then Record Route (type 7, length 39, pointer 8 = first free slot after one address).
        assertEquals(5 + 21, ip.findOption(Ipv4.OPTION_RECORD_ROUTE));
        assertEquals(-1, ip.findOption(0x44)); // no timestamp option
    }

    @Test
    void parsesFragmentsAndDscp() {
        wrapCapture(Captures.FRAGMENT_FIRST, 0);
        assertEquals(WireError.OK, ip.checkLength());
        assertTrue(ip.verifyChecksum());
        assertTrue(ip.moreFragments());
        assertFalse(ip.dontFragment());
        assertEquals(0, ip.fragmentOffset());
        assertTrue(ip.isFragment());
        assertEquals(1480, ip.payloadLength());

        wrapCapture(Captures.FRAGMENT_LAST, 0);
        assertEquals(WireError.OK, ip.checkLength());
        assertTrue(ip.verifyChecksum());
        assertFalse(ip.moreFragments());
        assertEquals(1480, ip.fragmentOffset());
        assertTrue(ip.isFragment());
        assertEquals(528, ip.payloadLength());

        wrapCapture(Captures.ICMP_PORT_UNREACHABLE, 0);
        assertEquals(WireError.OK, ip.checkLength());
        assertEquals(48, ip.dscp()); // CS6, which Linux uses for ICMP errors
        assertEquals(0, ip.ecn());
        assertEquals(HOST2, ip.sourceAddress());
    }

    @Test
    void buildsKnownBytes() {
        byte[] expected = Arrays.copyOf(Captures.bytes(Captures.UDP_HELLO), 20);
        ByteBuffer buf = ByteBuffer.allocate(23);
        buf.put(0, (byte) 0x99); // garbage the setters must overwrite
        new Ipv4().wrap(buf, 3, 20).version(4).headerLength(20).dscp(0).ecn(0).totalLength(42)
            .identification(0xdc83).dontFragment(true).moreFragments(false).fragmentOffset(0).ttl(64)
            .protocol(Ipv4.PROTO_UDP).sourceAddress(HOST1).destinationAddress(HOST2).fillChecksum();
        assertArrayEquals(expected, Arrays.copyOfRange(buf.array(), 3, 23));

        ByteBuffer out = ByteBuffer.allocate(20);
        Ipv4.writeHeader(out, 0, Ipv4.PROTO_UDP, HOST1, HOST2, 22, 64);
        ip.wrap(out, 0, 20);
        assertTrue(ip.verifyChecksum());
        ip.identification(0xdc83).fillChecksum();
        assertArrayEquals(expected, out.array());
    }

    @Test
    void rejectsTruncated() {
        byte[] packet = Captures.bytes(Captures.ECHO_REQUEST_RECORD_ROUTE);
        ByteBuffer buf = ByteBuffer.wrap(packet);
        for (int length = 0; length < 20; length++) {
            assertEquals(WireError.TRUNCATED, ip.wrap(buf, 0, length).checkLength(), "length " + length);
        }
        for (int length = 20; length < 60; length++) { // IHL says 60 bytes of header
            assertEquals(WireError.TRUNCATED, ip.wrap(buf, 0, length).checkLength(), "length " + length);
        }
        for (int length = 60; length < 124; length++) { // total length says 124
            assertEquals(WireError.BAD_TOTAL_LENGTH, ip.wrap(buf, 0, length).checkLength(), "length " + length);
        }
        assertEquals(WireError.OK, ip.wrap(buf, 0, 124).checkLength());
        // A range that claims more than the buffer holds, or a bad offset, is truncated rather than an exception.
        assertEquals(WireError.TRUNCATED, ip.wrap(buf, 10, 124).checkLength());
        assertEquals(WireError.TRUNCATED, ip.wrap(buf, -1, 20).checkLength());
        assertEquals(WireError.TRUNCATED, ip.wrap(null, 0, 20).checkLength());
        // Absolute reads stop at the limit, not the capacity: a range past the limit is truncated too.
        ByteBuffer limited = ByteBuffer.allocate(200).put(0, packet).limit(100);
        assertEquals(WireError.TRUNCATED, ip.wrap(limited, 0, 124).checkLength());
    }

    @Test
    void rejectsBadHeaderFields() {
        byte[] packet = Captures.bytes(Captures.UDP_HELLO);
        ByteBuffer buf = ByteBuffer.wrap(packet);
        ip.wrap(buf, 0, packet.length);
        assertEquals(WireError.OK, ip.checkLength());
        for (int ihl = 0; ihl < 5; ihl++) {
            buf.put(0, (byte) (0x40 | ihl));
            assertEquals(WireError.BAD_HEADER_LENGTH, ip.checkLength(), "ihl " + ihl);
        }
        buf.put(0, (byte) 0x46); // 24-byte header inside a 42-byte packet: fine structurally
        assertEquals(WireError.OK, ip.checkLength());
        buf.put(0, (byte) 0x65);
        assertEquals(WireError.BAD_VERSION, ip.checkLength());
        buf.put(0, (byte) 0x45);
        ip.totalLength(19);
        assertEquals(WireError.BAD_TOTAL_LENGTH, ip.checkLength());
        ip.totalLength(43);
        assertEquals(WireError.BAD_TOTAL_LENGTH, ip.checkLength());
        ip.totalLength(42);
        assertEquals(WireError.OK, ip.checkLength());
        assertTrue(ip.verifyChecksum());
        assertEquals(WireError.OK, ip.checkHeader());
        buf.put(8, (byte) 63); // TTL changed without updating the checksum
        assertFalse(ip.verifyChecksum());
        assertEquals(WireError.BAD_CHECKSUM, ip.checkHeader());
        ip.headerChecksum(Checksum.update16(ip.headerChecksum(), 0x4011, 0x3f11));
        assertTrue(ip.verifyChecksum());
    }

    @Test
    void rejectsMalformedOptions() {
        ByteBuffer buf = ByteBuffer.allocate(28);
        Ipv4.writeHeader(buf, 0, Ipv4.PROTO_UDP, HOST1, HOST2, 0, 64);
        ip.wrap(buf, 0, 28).headerLength(28).totalLength(28);
        assertEquals(WireError.OK, ip.checkLength());
        buf.put(20, (byte) 7).put(21, (byte) 0); // zero-length option would loop forever if trusted
        assertEquals(WireError.BAD_OPTION, ip.checkOptions());
        assertEquals(-1, ip.findOption(7));
        buf.put(21, (byte) 9); // runs past the header
        assertEquals(WireError.BAD_OPTION, ip.checkOptions());
        buf.put(20, (byte) 1).put(21, (byte) 1).put(22, (byte) 0x44); // NOP NOP then a type with no length byte
        buf.put(23, (byte) 1).put(24, (byte) 1).put(25, (byte) 1).put(26, (byte) 1).put(27, (byte) 0x44);
        assertEquals(WireError.BAD_OPTION, ip.checkOptions());
        buf.put(27, (byte) 0); // EOL ends the list
        buf.put(22, (byte) 1);
        assertEquals(WireError.OK, ip.checkOptions());
        assertEquals(-1, ip.findOption(7));
    }

    @Property(tries = 1000)
    void settersRoundTrip(@ForAll @IntRange(max = 63) int dscp, @ForAll @IntRange(max = 3) int ecn,
                          @ForAll @IntRange(max = 0xFFFF) int id, @ForAll @IntRange(max = 0x1FFF) int fragUnits,
                          @ForAll boolean df, @ForAll boolean mf, @ForAll @IntRange(max = 255) int ttl,
                          @ForAll int src, @ForAll int dst) {
        ByteBuffer buf = ByteBuffer.allocate(20);
        Ipv4.writeHeader(buf, 0, Ipv4.PROTO_TCP, 0, 0, 0, 0);
        ip.wrap(buf, 0, 20).dscp(dscp).ecn(ecn).identification(id).fragmentOffset(fragUnits * 8).dontFragment(df)
            .moreFragments(mf).ttl(ttl).sourceAddress(src).destinationAddress(dst).fillChecksum();
        assertEquals(WireError.OK, ip.checkLength());
        assertTrue(ip.verifyChecksum());
        assertEquals(dscp, ip.dscp());
        assertEquals(ecn, ip.ecn());
        assertEquals(id, ip.identification());
        assertEquals(fragUnits * 8, ip.fragmentOffset());
        assertEquals(df, ip.dontFragment());
        assertEquals(mf, ip.moreFragments());
        assertEquals(mf || fragUnits != 0, ip.isFragment());
        assertEquals(ttl, ip.ttl());
        assertEquals(src, ip.sourceAddress());
        assertEquals(dst, ip.destinationAddress());
        assertEquals(Ipv4.PROTO_TCP, ip.protocol());
    }
}
