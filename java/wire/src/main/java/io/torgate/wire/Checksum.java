package io.torgate.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Internet checksum: RFC 1071 (computation) and RFC 1624 (incremental update).
 *
 * <p>A sum is carried in a {@code long} accumulator so that many 16-bit words can be added without folding
 * after each one; {@link #finish(long)} folds the carries back in (end-around carry, RFC 1071 section 2(B))
 * and complements. Because 2^16 is congruent to 1 modulo 0xFFFF, adding a 32-bit big-endian word is the same
 * as adding its two 16-bit halves, which lets {@link #add} consume eight bytes per step.
 *
 * <p>All methods are static, allocation-free and thread-safe. Buffer indexes are absolute: the buffer's
 * position, limit and byte order are neither used nor changed (words are always read big-endian, network order).
 */
public final class Checksum {
    /** Folding threshold: keep the accumulator below 2^33 between calls so it can never overflow. */
    private static final long LOW32 = 0xFFFF_FFFFL;

    private Checksum() {
    }

    /**
     * Adds {@code length} bytes at absolute index {@code offset} as big-endian 16-bit words.
     * An odd final byte is padded with a zero byte on the right (RFC 1071 section 4.1), so a message split
     * across calls must split at even offsets.
     *
     * @param buf    bytes to sum (any byte order; read as network order)
     * @param offset absolute index of the first byte
     * @param length number of bytes, >= 0; the caller has already checked the range
     * @param acc    running sum (0 to start)
     * @return the new running sum, kept below 2^33
     */
    public static long add(ByteBuffer buf, int offset, int length, long acc) {
        boolean swap = buf.order() != ByteOrder.BIG_ENDIAN;
        int i = offset;
        int end = offset + length;
        long sum = acc;
        // Each 64-bit read contributes two 32-bit words of < 2^32; 2^31 bytes give < 2^61 in total: no overflow.
        for (int last = end - 8; i <= last; i += 8) {
            long v = buf.getLong(i);
            if (swap) {
                v = Long.reverseBytes(v);
            }
            sum += (v >>> 32) + (v & LOW32);
        }
        if (i + 4 <= end) {
            int v = buf.getInt(i);
            sum += (swap ? Integer.reverseBytes(v) : v) & LOW32;
            i += 4;
        }
        if (i + 2 <= end) {
            sum += ((buf.get(i) & 0xFF) << 8) | (buf.get(i + 1) & 0xFF);
            i += 2;
        }
        if (i < end) {
            sum += (buf.get(i) & 0xFF) << 8;
        }
        return (sum & LOW32) + (sum >>> 32);
    }

    /**
     * Adds the IPv4 pseudo-header used by TCP (RFC 9293 section 3.1) and UDP (RFC 768): source and destination
     * address, zero byte plus protocol, and the transport length (header plus data) in bytes.
     *
     * @param srcAddr  IPv4 source address, network order in an int
     * @param dstAddr  IPv4 destination address
     * @param protocol IP protocol number, e.g. {@link Ipv4#PROTO_TCP}
     * @param l4Length transport header plus payload length in bytes (0..65535)
     * @param acc      running sum
     * @return the new running sum
     */
    public static long addPseudoHeaderV4(int srcAddr, int dstAddr, int protocol, int l4Length, long acc) {
        return acc + (srcAddr >>> 16) + (srcAddr & 0xFFFF) + (dstAddr >>> 16) + (dstAddr & 0xFFFF)
            + (protocol & 0xFF) + (l4Length & 0xFFFF);
    }

    /**
     * Folds the running sum to 16 bits and complements it: the value to store in a checksum field. Summing a
     * correct packet including its checksum field therefore finishes to 0.
     *
     * @param acc running sum from {@link #add} / {@link #addPseudoHeaderV4}
     * @return 0..0xFFFF
     */
    public static int finish(long acc) {
        long sum = (acc & LOW32) + (acc >>> 32);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        return (int) ~sum & 0xFFFF;
    }

    /**
     * Incrementally updates a checksum after one 16-bit word of the covered data changed, by RFC 1624
     * equation 3: {@code HC' = ~(~HC + ~m + m')}. Unlike equation 2 this never produces a 0x0000 that a full
     * recomputation would write as 0xFFFF, except when the covered data becomes all zeros, which no IP,
     * TCP or UDP header can be (their version, ports or length fields are non-zero).
     *
     * @param oldChecksum the checksum field as it is (0..0xFFFF)
     * @param oldWord     the 16-bit word before the change
     * @param newWord     the word after the change
     * @return the new checksum field value
     */
    public static int update16(int oldChecksum, int oldWord, int newWord) {
        int sum = (~oldChecksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        return ~sum & 0xFFFF;
    }

    /**
     * Incrementally updates a checksum after a 32-bit value (e.g. an IPv4 address inside the pseudo-header or
     * a TCP sequence number) changed: equation 3 of RFC 1624 applied to both 16-bit halves at once.
     *
     * @param oldChecksum the checksum field as it is
     * @param oldValue    the 32-bit value before the change
     * @param newValue    the value after the change
     * @return the new checksum field value
     */
    public static int update32(int oldChecksum, int oldValue, int newValue) {
        int sum = (~oldChecksum & 0xFFFF) + (~oldValue >>> 16) + (~oldValue & 0xFFFF)
            + (newValue >>> 16) + (newValue & 0xFFFF);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        return ~sum & 0xFFFF;
    }
}
