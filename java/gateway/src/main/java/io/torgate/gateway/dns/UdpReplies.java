package io.torgate.gateway.dns;

import io.torgate.wire.Ipv4;
import io.torgate.wire.Udp;
import java.nio.ByteBuffer;

/**
 * Builds the IPv4/UDP packet around a DNS answer (RFC 768, RFC 791): source is the address and port the query
 * was sent to (a client may query any address, and its resolver only accepts an answer from where it asked),
 * destination the client; TTL 64, DF set (as {@link Ipv4#writeHeader} emits), both checksums filled.
 *
 * <p>Ownership: an instance (it owns a flyweight) per thread. Not thread-safe.
 */
public final class UdpReplies {
    /** IPv4 (20, no options) plus UDP (8) header bytes. */
    public static final int HEADERS = 28;
    private static final int TTL = 64;

    private final Udp udp = new Udp();

    /**
     * Completes a packet whose DNS payload is already at {@code buf[offset + 28, offset + 28 + payloadLength)}.
     *
     * @return the packet length
     */
    public int wrapInPlace(ByteBuffer buf, int offset, int src, int srcPort, int dst, int dstPort,
                           int payloadLength) {
        Udp.writeHeader(buf, offset + 20, srcPort, dstPort, payloadLength);
        udp.wrap(buf, offset + 20, Udp.HEADER_LENGTH + payloadLength).fillChecksum(src, dst);
        Ipv4.writeHeader(buf, offset, Ipv4.PROTO_UDP, src, dst, Udp.HEADER_LENGTH + payloadLength, TTL);
        return HEADERS + payloadLength;
    }

    /**
     * Builds a packet into {@code out} at {@code outOffset} around a payload copied from elsewhere.
     *
     * @return the packet length, or 0 when it does not fit
     */
    public int write(ByteBuffer out, int outOffset, int src, int srcPort, int dst, int dstPort, ByteBuffer payload,
                     int payloadOffset, int payloadLength) {
        if (outOffset < 0 || outOffset + HEADERS + payloadLength > out.capacity()) {
            return 0;
        }
        out.put(outOffset + HEADERS, payload, payloadOffset, payloadLength);
        return wrapInPlace(out, outOffset, src, srcPort, dst, dstPort, payloadLength);
    }
}
