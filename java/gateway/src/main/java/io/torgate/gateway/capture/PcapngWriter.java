package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * Writes one pcapng section (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface Description Block
 * for raw IP packets with nanosecond timestamps, then an Enhanced Packet Block per packet carrying its direction
 * in {@code epb_flags} and, for a dropped packet, an {@code opt_comment} "dropped: REASON" that Wireshark shows
 * as the packet comment ({@code tshark -T fields -e frame.comment}).
 *
 * <p>Why pcapng written by us rather than pcap4j: pcap4j's dumper is libpcap's {@code pcap_dump}, which only
 * writes classic pcap; classic pcap has no per-packet annotation, so drop reasons would need a file per reason.
 * The format is a few fixed-layout blocks, and writing it here keeps the capture thread allocation-free.
 *
 * <p>Ownership: one thread (the capture thread, or a dump) uses an instance. Not thread-safe.
 */
public final class PcapngWriter {
    /** LINKTYPE_RAW: the packet starts with the IPv4 or IPv6 header (what a TUN without IFF_NO_PI carries). */
    public static final int LINKTYPE_RAW = 101;

    private static final int SHB = 0x0A0D0D0A;
    private static final int IDB = 0x00000001;
    private static final int EPB = 0x00000006;
    private static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    private static final short OPT_END = 0;
    private static final short OPT_COMMENT = 1;
    private static final short EPB_FLAGS = 2;
    private static final short IF_TSRESOL = 9;
    private static final int FLAG_INBOUND = 1;
    private static final int FLAG_OUTBOUND = 2;
    /** EPB fixed part (28) + flags option (8) + end of options (4) + trailing length (4). */
    private static final int EPB_OVERHEAD = 44;

    private static final byte[][] COMMENTS = new byte[DropReason.COUNT][];

    static {
        for (int i = 0; i < DropReason.COUNT; i++) {
            COMMENTS[i] = ("dropped: " + DropReason.of(i).label()).getBytes(StandardCharsets.UTF_8);
        }
    }

    private final WritableByteChannel out;
    private final int snapLength;
    private final ByteBuffer block;

    /**
     * @param out where blocks go (the writer does not close it)
     * @param snapLength the largest packet it will be given
     */
    public PcapngWriter(WritableByteChannel out, int snapLength) {
        this.out = out;
        this.snapLength = snapLength;
        this.block = ByteBuffer.allocate(EPB_OVERHEAD + pad(snapLength) + 8 + 64).order(ByteOrder.BIG_ENDIAN);
    }

    /** Bytes of the section and interface headers that {@link #writeHeader()} writes. */
    public static int headerBytes() {
        return 28 + 32;
    }

    /** Largest number of bytes {@link #writePacket} writes for a packet of {@code length} bytes. */
    public static int maxPacketBytes(int length) {
        int longest = 0;
        for (byte[] c : COMMENTS) {
            longest = Math.max(longest, c.length);
        }
        return EPB_OVERHEAD + pad(length) + 4 + pad(longest);
    }

    /** Writes the Section Header Block and the one Interface Description Block. */
    public int writeHeader() throws IOException {
        block.clear();
        // SHB: type, length, byte-order magic, version 1.0, section length unknown (-1), no options, length.
        block.putInt(SHB).putInt(28).putInt(BYTE_ORDER_MAGIC).putShort((short) 1).putShort((short) 0)
            .putLong(-1L).putInt(28);
        // IDB: type, length, link type, reserved, snaplen, if_tsresol = 9 (10^-9 s), end of options, length.
        block.putInt(IDB).putInt(32).putShort((short) LINKTYPE_RAW).putShort((short) 0).putInt(snapLength)
            .putShort(IF_TSRESOL).putShort((short) 1).put((byte) 9).put((byte) 0).putShort((short) 0)
            .putShort(OPT_END).putShort((short) 0).putInt(32);
        return flush();
    }

    /**
     * Writes one packet.
     *
     * @param direction {@link CaptureTap#RECEIVED}, {@link CaptureTap#SENT} or {@link CaptureTap#DROPPED}
     * @param reason the drop reason (only with DROPPED), or null
     * @return bytes written
     */
    public int writePacket(byte[] bytes, int offset, int length, int originalLength, long epochNanos, int direction,
                           DropReason reason) throws IOException {
        byte[] comment = reason == null ? null : COMMENTS[reason.ordinal()];
        int total = EPB_OVERHEAD + pad(length) + (comment == null ? 0 : 4 + pad(comment.length));
        block.clear();
        block.putInt(EPB).putInt(total).putInt(0).putInt((int) (epochNanos >>> 32)).putInt((int) epochNanos)
            .putInt(length).putInt(originalLength).put(bytes, offset, length);
        zeroPad(length);
        block.putShort(EPB_FLAGS).putShort((short) 4).putInt(direction == CaptureTap.SENT ? FLAG_OUTBOUND
            : FLAG_INBOUND);
        if (comment != null) {
            block.putShort(OPT_COMMENT).putShort((short) comment.length).put(comment);
            zeroPad(comment.length);
        }
        block.putShort(OPT_END).putShort((short) 0).putInt(total);
        return flush();
    }

    private void zeroPad(int length) {
        for (int i = length; i < pad(length); i++) {
            block.put((byte) 0);
        }
    }

    private int flush() throws IOException {
        block.flip();
        int n = block.remaining();
        while (block.hasRemaining()) {
            out.write(block);
        }
        return n;
    }

    /** Rounds up to a multiple of 4 (pcapng pads every field to 32 bits). */
    static int pad(int length) {
        return (length + 3) & ~3;
    }
}
