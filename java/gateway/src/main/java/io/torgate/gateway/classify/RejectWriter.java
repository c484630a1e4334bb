package io.torgate.gateway.classify;

import io.torgate.wire.Icmp;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import java.nio.ByteBuffer;

/**
 * Builds the fast-failure answers of the {@code reject} policy into a transmit slot: a TCP RST for a segment,
 * or an ICMP destination-unreachable "communication administratively prohibited" (RFC 1812 5.2.7.1, type 3
 * code 13) for a UDP datagram. The answer comes from the address the client sent to, so the client's stack
 * matches it to its socket.
 *
 * <p>Ownership: one worker thread owns an instance (its flyweights). Not thread-safe. Never allocates.
 */
public final class RejectWriter {
    /** TTL of generated packets (RFC 1700's recommended default). */
    private static final int TTL = 64;

    private final Tcp in = new Tcp();
    private final Tcp out = new Tcp();
    private final Icmp icmp = new Icmp();

    /**
     * Writes the reply a reject deserves: RST for TCP, ICMP for UDP.
     *
     * @param src the buffer holding the offending packet described by {@code p}
     * @return the reply's length, or 0 when none must be sent (e.g. the offending segment is itself a RST)
     */
    public int reject(ByteBuffer src, PacketInfo p, ByteBuffer dst, int dstOffset) {
        if (p.protocol == Ipv4.PROTO_TCP) {
            return tcpReset(src, p, dst, dstOffset);
        }
        if (p.protocol == Ipv4.PROTO_UDP) {
            return icmpProhibited(src, p, dst, dstOffset);
        }
        return 0;
    }

    /**
     * A RST for a segment no connection accepts, per RFC 9293 3.10.7.1: if the segment has ACK,
     * {@code <SEQ=SEG.ACK><CTL=RST>}, else {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}; a RST is never
     * answered.
     *
     * @return the IP packet length, or 0 when the segment is a RST
     */
    public int tcpReset(ByteBuffer src, PacketInfo p, ByteBuffer dst, int dstOffset) {
        in.wrap(src, p.transportOffset, p.transportLength);
        if (in.rst()) {
            return 0;
        }
        int seq;
        int ack;
        int flags;
        if (in.ack()) {
            seq = in.ackNumber();
            ack = 0;
            flags = Tcp.RST;
        } else {
            seq = 0;
            ack = in.sequenceNumber() + in.segmentLength();
            flags = Tcp.RST | Tcp.ACK;
        }
        return writeReset(dst, dstOffset, p.destinationAddress, p.destinationPort, p.sourceAddress, p.sourcePort,
            seq, ack, flags);
    }

    /**
     * A bare RST (or RST+ACK when {@code flags} says so) from {@code srcAddr:srcPort} to {@code dstAddr:dstPort}.
     *
     * @return the IP packet length
     */
    public int writeReset(ByteBuffer dst, int dstOffset, int srcAddr, int srcPort, int dstAddr, int dstPort,
                          int seq, int ack, int flags) {
        int tcpOffset = dstOffset + Ipv4.MIN_HEADER_LENGTH;
        out.wrap(dst, tcpOffset, Tcp.HEADER_LENGTH);
        out.writeHeader(srcPort, dstPort, seq, ack, flags, 0, null, 0);
        out.fillChecksum(srcAddr, dstAddr);
        Ipv4.writeHeader(dst, dstOffset, Ipv4.PROTO_TCP, srcAddr, dstAddr, Tcp.HEADER_LENGTH, TTL);
        return Ipv4.MIN_HEADER_LENGTH + Tcp.HEADER_LENGTH;
    }

    /**
     * ICMP type 3 code 13 quoting the offending datagram's header and first bytes (RFC 792, RFC 1812 4.3.2.3),
     * sent from the address the datagram was sent to.
     *
     * @return the IP packet length
     */
    public int icmpProhibited(ByteBuffer src, PacketInfo p, ByteBuffer dst, int dstOffset) {
        int icmpOffset = dstOffset + Ipv4.MIN_HEADER_LENGTH;
        int icmpLength = icmp.writeError(dst, icmpOffset, Icmp.TYPE_DESTINATION_UNREACHABLE,
            Icmp.CODE_ADMIN_PROHIBITED, src, p.ipOffset, p.ipLength);
        Ipv4.writeHeader(dst, dstOffset, Ipv4.PROTO_ICMP, p.destinationAddress, p.sourceAddress, icmpLength, TTL);
        return Ipv4.MIN_HEADER_LENGTH + icmpLength;
    }
}
