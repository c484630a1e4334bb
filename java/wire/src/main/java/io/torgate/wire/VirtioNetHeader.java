package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over the 10-byte {@code struct virtio_net_hdr} (virtio 1.x spec section 5.1.6, Linux
 * include/uapi/linux/virtio_net.h) that a TUN opened with IFF_VNET_HDR puts before every packet.
 *
 * <pre>
 *  0        1         2                 4                 6                 8                 10
 *  +--------+---------+-----------------+-----------------+-----------------+-----------------+
 *  | flags  |gso_type |     hdr_len     |    gso_size     |   csum_start    |   csum_offset   |
 *  +--------+---------+-----------------+-----------------+-----------------+-----------------+
 * </pre>
 *
 * <p>The 16-bit fields are little-endian: a TUN device uses the host's byte order unless TUNSETVNETBE/LE is set,
 * and torgate runs on little-endian x86-64 and aarch64. Offsets count from the start of the IP packet (after this
 * header): {@code csum_start} is where checksumming starts (the TCP header), {@code csum_offset} where, relative to
 * it, the checksum goes (16 for TCP, 6 for UDP). With {@link #F_NEEDS_CSUM} the checksum field holds only the
 * folded pseudo-header sum and the receiver of the packet completes it; with {@link #GSO_TCPV4} the packet is a TCP
 * super-segment of up to 64 KiB to be cut into pieces of {@code gso_size} payload bytes, each with
 * {@code hdr_len} bytes of IP and TCP header.
 *
 * <p>Untrusted bytes: {@link #wrap} then {@link #checkLength()}; the field semantics are checked by the reader
 * (see the gateway's TunReader). Emitting into a reused buffer goes through {@link #write}. Not thread-safe.
 */
public final class VirtioNetHeader extends Flyweight {
    /** Bytes of the header (without the num_buffers field of the mergeable-buffers variant, which TUN never uses). */
    public static final int LENGTH = 10;
    /** flags: the checksum at csum_start/csum_offset is partial (pseudo-header only); the receiver completes it. */
    public static final int F_NEEDS_CSUM = 1;
    /** flags: the checksum was already verified (set by the kernel on packets it validated). */
    public static final int F_DATA_VALID = 2;
    /** gso_type: not a super-segment. */
    public static final int GSO_NONE = 0;
    /** gso_type: an IPv4 TCP super-segment (TSO). */
    public static final int GSO_TCPV4 = 1;
    /** gso_type bit: the super-segment has ECN's CWR set (only with TUN_F_TSO_ECN, which torgate never enables). */
    public static final int GSO_ECN = 0x80;

    private static final int FLAGS = 0;
    private static final int GSO_TYPE = 1;
    private static final int HDR_LEN = 2;
    private static final int GSO_SIZE = 4;
    private static final int CSUM_START = 6;
    private static final int CSUM_OFFSET = 8;

    /** Views {@code length} bytes at {@code offset} (at least {@link #LENGTH} for {@link #checkLength()}). */
    public VirtioNetHeader wrap(ByteBuffer buf, int offset, int length) {
        view(buf, offset, length);
        return this;
    }

    /** {@link WireError#OK} when the whole header lies inside the wrapped range; else TRUNCATED. */
    public int checkLength() {
        return fits(LENGTH) ? WireError.OK : WireError.TRUNCATED;
    }

    public int flags() {
        return buf.get(offset + FLAGS) & 0xFF;
    }

    public int gsoType() {
        return buf.get(offset + GSO_TYPE) & 0xFF;
    }

    /** Bytes of IP plus transport header in each segment (a hint; Linux recomputes it). */
    public int headerLength() {
        return le16(HDR_LEN);
    }

    /** Payload bytes per segment when {@link #gsoType()} is not {@link #GSO_NONE}. */
    public int gsoSize() {
        return le16(GSO_SIZE);
    }

    public int checksumStart() {
        return le16(CSUM_START);
    }

    public int checksumOffset() {
        return le16(CSUM_OFFSET);
    }

    /**
     * Writes a header at {@code at}: all fields, so a reused buffer holds no stale bytes.
     *
     * @return {@link #LENGTH}
     */
    public static int write(ByteBuffer buf, int at, int flags, int gsoType, int headerLength, int gsoSize,
                            int checksumStart, int checksumOffset) {
        buf.put(at + FLAGS, (byte) flags);
        buf.put(at + GSO_TYPE, (byte) gsoType);
        putLe16(buf, at + HDR_LEN, headerLength);
        putLe16(buf, at + GSO_SIZE, gsoSize);
        putLe16(buf, at + CSUM_START, checksumStart);
        putLe16(buf, at + CSUM_OFFSET, checksumOffset);
        return LENGTH;
    }

    /** Writes the all-zero header: no offload, every checksum complete (virtio spec 5.1.6.2). */
    public static int writeNone(ByteBuffer buf, int at) {
        buf.putLong(at, 0L);
        buf.putShort(at + 8, (short) 0);
        return LENGTH;
    }

    private int le16(int field) {
        return (buf.get(offset + field) & 0xFF) | (buf.get(offset + field + 1) & 0xFF) << 8;
    }

    private static void putLe16(ByteBuffer buf, int at, int value) {
        buf.put(at, (byte) value);
        buf.put(at + 1, (byte) (value >>> 8));
    }
}
