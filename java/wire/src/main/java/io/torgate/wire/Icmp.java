package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over an ICMP message (RFC 792) in a {@link ByteBuffer}; all indexes are absolute and the buffer must
 * be big-endian (the default).
 *
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Identifier / unused         | Sequence Number / Next-Hop MTU|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Data: echo payload, or for errors the original IP header  |
 *   |     plus at least the first 64 bits of its data ...           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The second word is Identifier/Sequence for echo (RFC 792) and unused/Next-Hop MTU for "fragmentation needed"
 * (RFC 1191 section 4).
 *
 * <p>Untrusted bytes: {@link #wrap} (with the whole IP payload) then {@link #checkLength()} once; after OK no
 * accessor can fail. The checksum covers the whole message, so {@link #verifyChecksum()} and
 * {@link #fillChecksum()} use the wrapped length.
 *
 * <p>Ownership: a flyweight holds no packet data and is reused by one thread. Not thread-safe.
 */
public final class Icmp extends Flyweight {
    /** Header length in bytes (type, code, checksum and the 4-byte rest of header). */
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;

    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    /** Communication administratively prohibited (RFC 1812 section 5.2.7.1): what a firewall drop reports. */
    public static final int CODE_ADMIN_PROHIBITED = 13;

    /**
     * Most bytes of the offending datagram an error quotes: RFC 1812 section 4.3.2.3 allows as much as fits in
     * 576 bytes (minus our 20-byte IP and 8-byte ICMP headers).
     */
    public static final int MAX_QUOTE = 576 - 20 - HEADER_LENGTH;

    // Field offsets from the start of the message, in bytes.
    private static final int TYPE = 0;
    private static final int CODE = 1;
    private static final int CHECKSUM = 2;
    /** Echo identifier, or unused for errors. */
    private static final int IDENTIFIER = 4;
    /** Echo sequence number, or the next-hop MTU for code 4 (RFC 1191). */
    private static final int SEQUENCE = 6;

    /** Points this flyweight at an ICMP message of {@code length} bytes. */
    public Icmp wrap(ByteBuffer buf, int offset, int length) {
        view(buf, offset, length);
        return this;
    }

    /** @return {@link WireError#OK} or {@link WireError#TRUNCATED}; never throws */
    public int checkLength() {
        if (!fits(HEADER_LENGTH)) {
            return WireError.TRUNCATED;
        }
        return WireError.OK;
    }

    /**
     * {@link #checkLength()} and then the checksum.
     *
     * @return {@link WireError#OK}, {@link WireError#TRUNCATED} or {@link WireError#BAD_CHECKSUM}
     */
    public int check() {
        int code = checkLength();
        if (code != WireError.OK) {
            return code;
        }
        return verifyChecksum() ? WireError.OK : WireError.BAD_CHECKSUM;
    }

    /** True when the whole message sums to zero (RFC 792, "Checksum"). */
    public boolean verifyChecksum() {
        return Checksum.finish(Checksum.add(buf, offset, length, 0)) == 0;
    }

    public int type() {
        return buf.get(offset + TYPE) & 0xFF;
    }

    public int code() {
        return buf.get(offset + CODE) & 0xFF;
    }

    public int checksum() {
        return buf.getShort(offset + CHECKSUM) & 0xFFFF;
    }

    public int identifier() {
        return buf.getShort(offset + IDENTIFIER) & 0xFFFF;
    }

    public int sequenceNumber() {
        return buf.getShort(offset + SEQUENCE) & 0xFFFF;
    }

    /** Next-hop MTU of a "fragmentation needed" message (RFC 1191); same field as the sequence number. */
    public int nextHopMtu() {
        return sequenceNumber();
    }

    /** Absolute index of the data after the 8-byte header (echo payload, or the quoted datagram). */
    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength() {
        return length - HEADER_LENGTH;
    }

    public Icmp type(int type) {
        buf.put(offset + TYPE, (byte) type);
        return this;
    }

    public Icmp code(int code) {
        buf.put(offset + CODE, (byte) code);
        return this;
    }

    public Icmp checksum(int checksum) {
        buf.putShort(offset + CHECKSUM, (short) checksum);
        return this;
    }

    public Icmp identifier(int id) {
        buf.putShort(offset + IDENTIFIER, (short) id);
        return this;
    }

    public Icmp sequenceNumber(int seq) {
        buf.putShort(offset + SEQUENCE, (short) seq);
        return this;
    }

    public Icmp nextHopMtu(int mtu) {
        return sequenceNumber(mtu);
    }

    /** Computes the checksum over the wrapped length and stores it. */
    public Icmp fillChecksum() {
        buf.putShort(offset + CHECKSUM, (short) 0);
        buf.putShort(offset + CHECKSUM, (short) Checksum.finish(Checksum.add(buf, offset, length, 0)));
        return this;
    }

    /**
     * Emits a complete error message (e.g. destination unreachable) quoting the offending datagram, and wraps
     * this flyweight around it. The quote is the original IP header plus as much data as {@link #MAX_QUOTE}
     * allows (RFC 792 asks for at least 64 bits of data; RFC 1812 section 4.3.2.3 for as much as fits).
     *
     * @param buf         destination
     * @param offset      absolute index of the ICMP header in {@code buf}
     * @param type        e.g. {@link #TYPE_DESTINATION_UNREACHABLE}
     * @param code        e.g. {@link #CODE_ADMIN_PROHIBITED}
     * @param orig        buffer holding the offending datagram (may be {@code buf}, not overlapping the output)
     * @param origOffset  absolute index of its IP header
     * @param origLength  its length in bytes
     * @return the ICMP message length in bytes (header plus quote)
     */
    public int writeError(ByteBuffer buf, int offset, int type, int code, ByteBuffer orig, int origOffset,
                          int origLength) {
        int quote = Math.min(origLength, MAX_QUOTE);
        buf.putInt(offset, (type & 0xFF) << 24 | (code & 0xFF) << 16);
        buf.putInt(offset + IDENTIFIER, 0);
        buf.put(offset + HEADER_LENGTH, orig, origOffset, quote);
        wrap(buf, offset, HEADER_LENGTH + quote);
        fillChecksum();
        return HEADER_LENGTH + quote;
    }
}
