package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over an IPv4 header (RFC 791 section 3.1) in a {@link ByteBuffer}; all indexes are absolute and the
 * buffer must be big-endian (the {@code ByteBuffer} default). The buffer's position and limit are not used.
 *
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |    DSCP   |ECN|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * (DSCP/ECN replace the old Type of Service byte: RFC 2474, RFC 3168.)
 *
 * <p>Untrusted bytes: {@link #wrap} then {@link #checkLength()} once; after it returns {@link WireError#OK} no
 * accessor can fail and the header, options and payload all lie inside the wrapped range. Options are only
 * walked by {@link #checkOptions()} / {@link #findOption(int)}. Emitting into a reused buffer goes through the
 * fluent setters (or {@link #writeHeader}) and {@link #fillChecksum()}.
 *
 * <p>Ownership: a flyweight holds no packet data and is reused by one thread for many packets. Not thread-safe.
 */
public final class Ipv4 extends Flyweight {
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    /** Header without options, in bytes (IHL 5). */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Largest header, in bytes (IHL 15). */
    public static final int MAX_HEADER_LENGTH = 60;
    /** Option type: End of Option List (RFC 791). */
    public static final int OPTION_EOL = 0;
    /** Option type: No Operation (RFC 791). */
    public static final int OPTION_NOP = 1;
    /** Option type: Record Route (RFC 791), as `ping -R` sends. */
    public static final int OPTION_RECORD_ROUTE = 7;

    // Field offsets from the start of the header, in bytes.
    /** Version (high nibble) and IHL (low nibble, in 32-bit words). */
    private static final int VERSION_IHL = 0;
    /** DSCP (high 6 bits) and ECN (low 2 bits). */
    private static final int DSCP_ECN = 1;
    /** Total length of header plus payload, in bytes. */
    private static final int TOTAL_LENGTH = 2;
    private static final int IDENTIFICATION = 4;
    /** Flags (high 3 bits: reserved, DF, MF) and fragment offset (low 13 bits, in 8-byte units). */
    private static final int FLAGS_FRAGMENT = 6;
    private static final int TTL = 8;
    private static final int PROTOCOL = 9;
    private static final int CHECKSUM = 10;
    private static final int SOURCE = 12;
    private static final int DESTINATION = 16;

    private static final int FLAG_DF = 0x4000;
    private static final int FLAG_MF = 0x2000;
    private static final int FRAGMENT_MASK = 0x1FFF;

    /**
     * Points this flyweight at {@code length} bytes of {@code buf} starting at absolute index {@code offset}.
     *
     * @return this
     */
    public Ipv4 wrap(ByteBuffer buf, int offset, int length) {
        view(buf, offset, length);
        return this;
    }

    /**
     * The checked path for untrusted bytes: the fixed header fits, version is 4, IHL is at least 5 and the
     * header fits, and the total length covers the header and lies within the wrapped range.
     *
     * @return {@link WireError#OK} or a negative {@link WireError} code; never throws
     */
    public int checkLength() {
        if (!fits(MIN_HEADER_LENGTH)) {
            return WireError.TRUNCATED;
        }
        if (version() != 4) {
            return WireError.BAD_VERSION;
        }
        int headerLength = headerLength();
        if (headerLength < MIN_HEADER_LENGTH) {
            return WireError.BAD_HEADER_LENGTH;
        }
        if (headerLength > length) {
            return WireError.TRUNCATED;
        }
        int totalLength = totalLength();
        if (totalLength < headerLength || totalLength > length) {
            return WireError.BAD_TOTAL_LENGTH;
        }
        return WireError.OK;
    }

    /**
     * {@link #checkLength()} and then the header checksum, in one call for the receive path.
     *
     * @return {@link WireError#OK}, a code from {@link #checkLength()}, or {@link WireError#BAD_CHECKSUM}
     */
    public int checkHeader() {
        int code = checkLength();
        if (code != WireError.OK) {
            return code;
        }
        return verifyChecksum() ? WireError.OK : WireError.BAD_CHECKSUM;
    }

    /** True when the header (with options) sums to zero: RFC 791 section 3.1, "Header Checksum". */
    public boolean verifyChecksum() {
        return Checksum.finish(Checksum.add(buf, offset, headerLength(), 0)) == 0;
    }

    /**
     * Walks the options (after {@link #checkLength()} passed): every option but EOL/NOP has a length byte of
     * at least 2 that stays inside the header (RFC 791 section 3.1, "Options").
     *
     * @return {@link WireError#OK} or {@link WireError#BAD_OPTION}
     */
    public int checkOptions() {
        return walkOptions(-1) == -2 ? WireError.BAD_OPTION : WireError.OK;
    }

    /**
     * Finds an option by type (after {@link #checkLength()} passed).
     *
     * @param type option type byte, e.g. {@link #OPTION_RECORD_ROUTE}
     * @return absolute index of the option's type byte, or -1 when absent or the options are malformed
     */
    public int findOption(int type) {
        int found = walkOptions(type);
        return found < 0 ? -1 : found;
    }

    /** Returns the index of option {@code type}, -1 when not found, -2 when the options are malformed. */
    private int walkOptions(int type) {
        int i = offset + MIN_HEADER_LENGTH;
        int end = offset + headerLength();
        while (i < end) {
            int kind = buf.get(i) & 0xFF;
            if (kind == type) {
                if (kind > OPTION_NOP && (i + 1 >= end || (buf.get(i + 1) & 0xFF) < 2
                    || i + (buf.get(i + 1) & 0xFF) > end)) {
                    return -2;
                }
                return i;
            }
            if (kind == OPTION_EOL) {
                return -1;
            }
            if (kind == OPTION_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return -2;
            }
            int optionLength = buf.get(i + 1) & 0xFF;
            if (optionLength < 2 || i + optionLength > end) {
                return -2;
            }
            i += optionLength;
        }
        return -1;
    }

    public int version() {
        return (buf.get(offset + VERSION_IHL) & 0xFF) >>> 4;
    }

    /** Header length in bytes (IHL times 4). */
    public int headerLength() {
        return (buf.get(offset + VERSION_IHL) & 0x0F) << 2;
    }

    public int dscp() {
        return (buf.get(offset + DSCP_ECN) & 0xFF) >>> 2;
    }

    public int ecn() {
        return buf.get(offset + DSCP_ECN) & 0x03;
    }

    /** Header plus payload in bytes. */
    public int totalLength() {
        return buf.getShort(offset + TOTAL_LENGTH) & 0xFFFF;
    }

    public int identification() {
        return buf.getShort(offset + IDENTIFICATION) & 0xFFFF;
    }

    public boolean dontFragment() {
        return (buf.getShort(offset + FLAGS_FRAGMENT) & FLAG_DF) != 0;
    }

    public boolean moreFragments() {
        return (buf.getShort(offset + FLAGS_FRAGMENT) & FLAG_MF) != 0;
    }

    /** Fragment offset in bytes (the field counts 8-byte units). */
    public int fragmentOffset() {
        return (buf.getShort(offset + FLAGS_FRAGMENT) & FRAGMENT_MASK) << 3;
    }

    /** True for any fragment, first or later: MF set or a non-zero offset (RFC 791 section 2.3). */
    public boolean isFragment() {
        return (buf.getShort(offset + FLAGS_FRAGMENT) & (FLAG_MF | FRAGMENT_MASK)) != 0;
    }

    public int ttl() {
        return buf.get(offset + TTL) & 0xFF;
    }

    public int protocol() {
        return buf.get(offset + PROTOCOL) & 0xFF;
    }

    public int headerChecksum() {
        return buf.getShort(offset + CHECKSUM) & 0xFFFF;
    }

    /** Source address in network order (a.b.c.d is {@code a << 24 | b << 16 | c << 8 | d}). */
    public int sourceAddress() {
        return buf.getInt(offset + SOURCE);
    }

    public int destinationAddress() {
        return buf.getInt(offset + DESTINATION);
    }

    /** Bytes of options (and padding) after the fixed 20-byte header. */
    public int optionsLength() {
        return headerLength() - MIN_HEADER_LENGTH;
    }

    /** Absolute index of the first payload byte. */
    public int payloadOffset() {
        return offset + headerLength();
    }

    /** Payload bytes per the total length field (link-layer padding beyond it is excluded). */
    public int payloadLength() {
        return totalLength() - headerLength();
    }

    public Ipv4 version(int version) {
        int i = offset + VERSION_IHL;
        buf.put(i, (byte) ((version << 4) | (buf.get(i) & 0x0F)));
        return this;
    }

    /** Sets IHL from a length in bytes (a multiple of 4, 20..60). */
    public Ipv4 headerLength(int bytes) {
        int i = offset + VERSION_IHL;
        buf.put(i, (byte) ((buf.get(i) & 0xF0) | ((bytes >>> 2) & 0x0F)));
        return this;
    }

    public Ipv4 dscp(int dscp) {
        int i = offset + DSCP_ECN;
        buf.put(i, (byte) ((dscp << 2) | (buf.get(i) & 0x03)));
        return this;
    }

    public Ipv4 ecn(int ecn) {
        int i = offset + DSCP_ECN;
        buf.put(i, (byte) ((buf.get(i) & 0xFC) | (ecn & 0x03)));
        return this;
    }

    public Ipv4 totalLength(int bytes) {
        buf.putShort(offset + TOTAL_LENGTH, (short) bytes);
        return this;
    }

    public Ipv4 identification(int id) {
        buf.putShort(offset + IDENTIFICATION, (short) id);
        return this;
    }

    public Ipv4 dontFragment(boolean df) {
        return flagsFragment(FLAG_DF, df ? FLAG_DF : 0);
    }

    public Ipv4 moreFragments(boolean mf) {
        return flagsFragment(FLAG_MF, mf ? FLAG_MF : 0);
    }

    /** Sets the fragment offset from bytes (a multiple of 8). */
    public Ipv4 fragmentOffset(int bytes) {
        return flagsFragment(FRAGMENT_MASK, (bytes >>> 3) & FRAGMENT_MASK);
    }

    private Ipv4 flagsFragment(int mask, int bits) {
        int i = offset + FLAGS_FRAGMENT;
        buf.putShort(i, (short) ((buf.getShort(i) & ~mask) | bits));
        return this;
    }

    public Ipv4 ttl(int ttl) {
        buf.put(offset + TTL, (byte) ttl);
        return this;
    }

    public Ipv4 protocol(int protocol) {
        buf.put(offset + PROTOCOL, (byte) protocol);
        return this;
    }

    public Ipv4 headerChecksum(int checksum) {
        buf.putShort(offset + CHECKSUM, (short) checksum);
        return this;
    }

    public Ipv4 sourceAddress(int address) {
        buf.putInt(offset + SOURCE, address);
        return this;
    }

    public Ipv4 destinationAddress(int address) {
        buf.putInt(offset + DESTINATION, address);
        return this;
    }

    /** Computes the header checksum over the current header length and stores it. */
    public Ipv4 fillChecksum() {
        buf.putShort(offset + CHECKSUM, (short) 0);
        int checksum = Checksum.finish(Checksum.add(buf, offset, headerLength(), 0));
        buf.putShort(offset + CHECKSUM, (short) checksum);
        return this;
    }

    /**
     * Emits a 20-byte header without options and with a correct checksum: DSCP/ECN 0, identification 0 with
     * DF set (atomic datagram, RFC 6864 section 4), no fragmentation.
     *
     * @param buf           destination (big-endian), at least {@code offset + 20} bytes
     * @param offset        absolute index of the header
     * @param protocol      payload protocol, e.g. {@link #PROTO_TCP}
     * @param src           source address
     * @param dst           destination address
     * @param payloadLength bytes that follow the header
     * @param ttl           time to live
     */
    public static void writeHeader(ByteBuffer buf, int offset, int protocol, int src, int dst, int payloadLength,
                                   int ttl) {
        buf.putInt(offset, 0x4500_0000 | ((MIN_HEADER_LENGTH + payloadLength) & 0xFFFF));
        buf.putInt(offset + IDENTIFICATION, FLAG_DF);
        buf.putInt(offset + TTL, (ttl & 0xFF) << 24 | (protocol & 0xFF) << 16);
        buf.putInt(offset + SOURCE, src);
        buf.putInt(offset + DESTINATION, dst);
        int checksum = Checksum.finish(Checksum.add(buf, offset, MIN_HEADER_LENGTH, 0));
        buf.putShort(offset + CHECKSUM, (short) checksum);
    }
}
