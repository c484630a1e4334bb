package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class VirtioNetHeaderTest {
    /**
     * A header as the kernel writes it before a TCP super-segment on a TUN with TUN_F_CSUM | TUN_F_TSO4
     * (virtio_net_hdr_from_skb): NEEDS_CSUM, GSO TCPV4, hdr_len 66, gso_size 1448 (MSS 1460 less 12 bytes of
     * timestamps), csum_start 20 (after the IPv4 header), csum_offset 16 (the TCP checksum field); 16-bit fields
     * little-endian.
     */
    private static final byte[] TSO_FRAME_HEADER = HexFormat.of().parseHex("010142" + "00a805" + "1400" + "1000");

    private final VirtioNetHeader header = new VirtioNetHeader();

    @Test
    void parsesKnownBytes() {
        ByteBuffer buf = ByteBuffer.allocate(32);
        buf.put(3, TSO_FRAME_HEADER);
        header.wrap(buf, 3, 20);
        assertEquals(WireError.OK, header.checkLength());
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, header.flags());
        assertEquals(VirtioNetHeader.GSO_TCPV4, header.gsoType());
        assertEquals(66, header.headerLength());
        assertEquals(1448, header.gsoSize());
        assertEquals(20, header.checksumStart());
        assertEquals(16, header.checksumOffset());
    }

    @Test
    void buildsKnownBytes() {
        ByteBuffer buf = ByteBuffer.allocate(16);
        for (int i = 0; i < 16; i++) {
            buf.put(i, (byte) 0xEE); // a reused buffer: every header byte must be written
        }
        assertEquals(VirtioNetHeader.LENGTH, VirtioNetHeader.write(buf, 2, VirtioNetHeader.F_NEEDS_CSUM,
            VirtioNetHeader.GSO_TCPV4, 66, 1448, 20, 16));
        byte[] got = new byte[VirtioNetHeader.LENGTH];
        buf.get(2, got);
        assertArrayEquals(TSO_FRAME_HEADER, got);
        assertEquals((byte) 0xEE, buf.get(12), "nothing written past the header");

        VirtioNetHeader.writeNone(buf, 2);
        buf.get(2, got);
        assertArrayEquals(new byte[VirtioNetHeader.LENGTH], got, "no offload: all zero");
        assertEquals((byte) 0xEE, buf.get(1));
        assertEquals((byte) 0xEE, buf.get(12));
    }

    @Test
    void rejectsTruncated() {
        ByteBuffer buf = ByteBuffer.wrap(TSO_FRAME_HEADER);
        assertEquals(WireError.TRUNCATED, header.wrap(buf, 0, 9).checkLength());
        assertEquals(WireError.TRUNCATED, header.wrap(buf, 1, 10).checkLength(), "past the buffer's end");
        assertEquals(WireError.OK, header.wrap(buf, 0, 10).checkLength());
    }
}
