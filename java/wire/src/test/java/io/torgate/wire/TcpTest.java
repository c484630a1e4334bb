package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class TcpTest {

    private static final int LOCALHOST = 0x7F00_0001;

    /**
     * A Linux 6.x SYN captured with {@code tcpdump -x} on lo (127.0.0.1:38462 → 127.0.0.1:45678). The checksum in the
     * capture is the offload partial sum (lo never completes it), so it is recomputed before checksum tests.
     */
    static final String LINUX_SYN = "963eb26e48c7c2a600000000a002ffd7fe300000"
            + "0204ffd70402080a4abb1651000000000103030a";
    /** The kernel's RST|ACK answer to it (a closed port), with a complete checksum. */
    static final String LINUX_RST = "b26e963e0000000048c7c2a7501400005db20000";

    private final Tcp tcp = new Tcp();
    private final TcpOptions opts = new TcpOptions();

    static ByteBuffer hex(String h) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(h));
    }

    @Test
    void parsesKnownBytes() {
        ByteBuffer b = hex(LINUX_SYN);
        assertEquals(WireError.OK, tcp.wrap(b, 0, b.limit()).checkLength());
        assertEquals(38462, tcp.sourcePort());
        assertEquals(45678, tcp.destinationPort());
        assertEquals(1221051046, tcp.sequenceNumber());
        assertEquals(0, tcp.ackNumber());
        assertEquals(40, tcp.headerLength());
        assertEquals(Tcp.SYN, tcp.flags());
        assertTrue(tcp.syn());
        assertFalse(tcp.ack());
        assertEquals(65495, tcp.windowSize());
        assertEquals(0, tcp.payloadLength());
        assertEquals(1, tcp.segmentLength());
        assertEquals(WireError.OK, tcp.parseOptions(opts));
        assertEquals(65495, opts.mss);
        assertTrue(opts.sackPermitted);
        assertTrue(opts.hasTimestamp);
        assertEquals(0x4abb1651, opts.tsVal);
        assertEquals(0, opts.tsEcr);
        assertEquals(10, opts.windowScale);
        assertEquals(0, opts.sackCount);
    }

    @Test
    void verifiesCapturedChecksum() {
        ByteBuffer b = hex(LINUX_RST);
        tcp.wrap(b, 0, b.limit());
        assertEquals(WireError.OK, tcp.checkLength());
        assertEquals("RA", Tcp.flagString(tcp.flags()));
        assertTrue(tcp.verifyChecksum(LOCALHOST, LOCALHOST));
        b.put(19, (byte) 1); // urgent pointer changes, checksum no longer matches
        assertFalse(tcp.verifyChecksum(LOCALHOST, LOCALHOST));
    }

    @Test
    void buildsKnownBytes() {
        ByteBuffer b = ByteBuffer.allocate(40);
        opts.clear();
        opts.mss = 65495;
        opts.sackPermitted = true;
        opts.timestamp(0x4abb1651, 0);
        opts.windowScale = 10;
        assertEquals(20, opts.encodedLength());
        int hl = tcp.wrap(b, 0, 40).writeHeader(38462, 45678, 1221051046, 0, Tcp.SYN, 65495, opts, 0);
        assertEquals(40, hl);
        b.putShort(16, (short) 0xfe30); // the captured partial sum, to compare every byte
        assertArrayEquals(hex(LINUX_SYN).array(), b.array());
        tcp.fillChecksum(LOCALHOST, LOCALHOST);
        assertTrue(tcp.verifyChecksum(LOCALHOST, LOCALHOST));
    }

    @Test
    void buildsAndParsesSackBlocks() {
        ByteBuffer b = ByteBuffer.allocate(60);
        opts.clear().timestamp(7, 9);
        for (int i = 0; i < 4; i++) {
            opts.addSack(1000 * i, 1000 * i + 500);
        }
        int hl = tcp.wrap(b, 0, 60).writeHeader(1, 2, 3, 4, Tcp.ACK, 5, opts, 0);
        assertEquals(20 + 12 + 4 + 3 * 8, hl); // only three blocks fit next to timestamps
        assertEquals(WireError.OK, tcp.wrap(b, 0, hl).checkLength());
        assertEquals(WireError.OK, tcp.parseOptions(opts));
        assertEquals(3, opts.sackCount);
        assertEquals(2000, opts.sackLeft[2]);
        assertEquals(2500, opts.sackRight[2]);
        assertEquals(7, opts.tsVal);
        assertEquals(9, opts.tsEcr);
        assertEquals(-1, opts.mss);
    }

    @Test
    void rejectsTruncated() {
        ByteBuffer b = hex(LINUX_SYN);
        assertEquals(WireError.TRUNCATED, tcp.wrap(b, 0, 19).checkLength());
        assertEquals(WireError.TRUNCATED, tcp.wrap(b, 30, 20).checkLength());
        assertEquals(WireError.BAD_DATA_OFFSET, tcp.wrap(b, 0, 39).checkLength()); // options cut short
    }

    @Test
    void rejectsBadDataOffset() {
        ByteBuffer b = hex(LINUX_SYN);
        b.put(12, (byte) 0x40); // 4 words < 5
        assertEquals(WireError.BAD_DATA_OFFSET, tcp.wrap(b, 0, b.limit()).checkLength());
        b.put(12, (byte) 0xF0); // 60 bytes > 40 available
        assertEquals(WireError.BAD_DATA_OFFSET, tcp.wrap(b, 0, b.limit()).checkLength());
    }

    @Test
    void rejectsBadOptions() {
        ByteBuffer b = hex(LINUX_SYN);
        tcp.wrap(b, 0, b.limit());
        b.put(21, (byte) 0); // MSS with length 0
        assertEquals(WireError.BAD_OPTION, tcp.parseOptions(opts));
        b.put(21, (byte) 1); // length 1
        assertEquals(WireError.BAD_OPTION, tcp.parseOptions(opts));
        b.put(21, (byte) 40); // runs past the header
        assertEquals(WireError.BAD_OPTION, tcp.parseOptions(opts));
        b.put(21, (byte) 4);
        b.put(38, (byte) 2); // window scale of length 2 (ignored) leaves the last byte as a kind...
        b.put(39, (byte) 8); // ...with no room for its length
        assertEquals(WireError.BAD_OPTION, tcp.parseOptions(opts));
    }

    @Test
    void skipsUnknownAndMisSizedOptions() {
        ByteBuffer b = hex(LINUX_SYN);
        tcp.wrap(b, 0, b.limit());
        b.put(20, (byte) 99); // MSS becomes unknown kind 99, len 4: skipped
        b.put(38, (byte) 2); // window scale with length 2 instead of 3: ignored, its length still used
        b.put(39, (byte) 1); // then a NOP
        assertEquals(WireError.OK, tcp.parseOptions(opts));
        assertEquals(-1, opts.mss);
        assertEquals(-1, opts.windowScale);
        assertTrue(opts.hasTimestamp);
        b.put(38, (byte) 3);
        b.put(39, (byte) 20); // shift 20 is clamped to 14 (RFC 7323 §2.3)
        assertEquals(WireError.OK, tcp.parseOptions(opts));
        assertEquals(14, opts.windowScale);
    }

    @Test
    void stopsAtEndOfOptionList() {
        ByteBuffer b = hex(LINUX_SYN);
        tcp.wrap(b, 0, b.limit());
        b.put(24, (byte) 0); // EOL after MSS: the rest (even garbage) is padding
        b.put(25, (byte) 0);
        assertEquals(WireError.OK, tcp.parseOptions(opts));
        assertEquals(65495, opts.mss);
        assertFalse(opts.sackPermitted);
        assertFalse(opts.hasTimestamp);
    }
}
