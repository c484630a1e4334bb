package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over a UDP header (RFC 768) in a {@link ByteBuffer}; all indexes are absolute and the buffer must be
 * big-endian (the default).
 *
 * <pre>
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |     Source      |   Destination   |
 *   |      Port       |      Port       |
 *   +--------+--------+--------+--------+
 *   |                 |                 |
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 *   |          data octets ...
 *   +---------------- ...
 * </pre>
 *
 * <p>Untrusted bytes: {@link #wrap} (with the IP payload range) then {@link #checkLength()} once; after it returns
 * {@link WireError#OK} no accessor can fail and the payload lies inside the wrapped range. Emitting goes through
 * {@link #writeHeader} or the fluent setters, then {@link #fillChecksum}.
 *
 * <p>Ownership: a flyweight holds no packet data and is reused by one thread for many datagrams. Not thread-safe.
 */
public final class Udp extends Flyweight {
    /** Header length in bytes. */
    public static final int HEADER_LENGTH = 8;

    // Field offsets from the start of the header, in bytes.
    private static final int SOURCE_PORT = 0;
    private static final int DESTINATION_PORT = 2;
    /** Header plus data, in bytes. */
    private static final int LENGTH = 4;
    private static final int CHECKSUM = 6;

    /**
     * Points this flyweight at {@code length} bytes (normally the IPv4 payload) of {@code buf} at {@code offset}.
     *
     * @return this
     */
    public Udp wrap(ByteBuffer buf, int offset, int length) {
        view(buf, offset, length);
        return this;
    }

    /**
     * The checked path: the header fits and the length field covers the header and fits in the wrapped range
     * (RFC 768 "Length"; bytes after it, if any, are ignored).
     *
     * @return {@link WireError#OK}, {@link WireError#TRUNCATED} or {@link WireError#BAD_TOTAL_LENGTH}; never throws
     */
    public int checkLength() {
        if (!fits(HEADER_LENGTH)) {
            return WireError.TRUNCATED;
        }
        int udpLength = udpLength();
        return udpLength < HEADER_LENGTH || udpLength > length ? WireError.BAD_TOTAL_LENGTH : WireError.OK;
    }

    /**
     * {@link #checkLength()} and then the checksum, in one call for the receive path.
     *
     * @return {@link WireError#OK}, a code from {@link #checkLength()}, or {@link WireError#BAD_CHECKSUM}
     */
    public int check(int srcAddr, int dstAddr) {
        int code = checkLength();
        if (code != WireError.OK) {
            return code;
        }
        return verifyChecksum(srcAddr, dstAddr) ? WireError.OK : WireError.BAD_CHECKSUM;
    }

    /**
     * Verifies the checksum over the pseudo-header, header and data. A zero field means the sender computed
     * none, which RFC 768 allows over IPv4, so it verifies.
     *
     * @param srcAddr IPv4 source address of the enclosing packet
     * @param dstAddr IPv4 destination address
     * @return true when the datagram may be accepted
     */
    public boolean verifyChecksum(int srcAddr, int dstAddr) {
        if (checksum() == 0) {
            return true;
        }
        int udpLength = udpLength();
        long acc = Checksum.addPseudoHeaderV4(srcAddr, dstAddr, Ipv4.PROTO_UDP, udpLength, 0);
        return Checksum.finish(Checksum.add(buf, offset, udpLength, acc)) == 0;
    }

    public int sourcePort() {
        return buf.getShort(offset + SOURCE_PORT) & 0xFFFF;
    }

    public int destinationPort() {
        return buf.getShort(offset + DESTINATION_PORT) & 0xFFFF;
    }

    /** The Length field: header plus data in bytes. */
    public int udpLength() {
        return buf.getShort(offset + LENGTH) & 0xFFFF;
    }

    public int checksum() {
        return buf.getShort(offset + CHECKSUM) & 0xFFFF;
    }

    /** Absolute index of the first data byte. */
    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    /** Data bytes per the Length field. */
    public int payloadLength() {
        return udpLength() - HEADER_LENGTH;
    }

    public Udp sourcePort(int port) {
        buf.putShort(offset + SOURCE_PORT, (short) port);
        return this;
    }

    public Udp destinationPort(int port) {
        buf.putShort(offset + DESTINATION_PORT, (short) port);
        return this;
    }

    public Udp udpLength(int bytes) {
        buf.putShort(offset + LENGTH, (short) bytes);
        return this;
    }

    public Udp checksum(int checksum) {
        buf.putShort(offset + CHECKSUM, (short) checksum);
        return this;
    }

    /**
     * Computes the checksum over pseudo-header, header and {@link #udpLength()} bytes and stores it; a computed
     * zero is sent as 0xFFFF because zero means "no checksum" (RFC 768).
     */
    public Udp fillChecksum(int srcAddr, int dstAddr) {
        int udpLength = udpLength();
        buf.putShort(offset + CHECKSUM, (short) 0);
        long acc = Checksum.addPseudoHeaderV4(srcAddr, dstAddr, Ipv4.PROTO_UDP, udpLength, 0);
        int checksum = Checksum.finish(Checksum.add(buf, offset, udpLength, acc));
        buf.putShort(offset + CHECKSUM, (short) (checksum == 0 ? 0xFFFF : checksum));
        return this;
    }

    /**
     * Emits a header with the checksum field zeroed; fill the payload, then call {@link #fillChecksum}.
     *
     * @param payloadLength data bytes that follow the header
     */
    public static void writeHeader(ByteBuffer buf, int offset, int srcPort, int dstPort, int payloadLength) {
        buf.putInt(offset, srcPort << 16 | (dstPort & 0xFFFF));
        buf.putInt(offset + LENGTH, (HEADER_LENGTH + payloadLength) << 16);
    }
}
