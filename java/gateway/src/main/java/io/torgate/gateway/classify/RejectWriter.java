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
    /** The reconstructed start of a held SYN that an ICMP error quotes (IP header + a TCP header). */
    private final ByteBuffer quoted = ByteBuffer.allocate(Ipv4.MIN_HEADER_LENGTH + Tcp.HEADER_LENGTH);

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

    /**
     * ICMP destination unreachable ({@code code}: net 0, host 1, prohibited 13) for a client's held SYN whose
     * packet is gone by the time tor answered: the quote is rebuilt from the flow (IP header, then the first 8
     * bytes of the TCP header with the ports and the client's ISN, RFC 792), which is all a client's stack
     * needs to match it to its socket. Sent from the destination address.
     *
     * @return the IP packet length
     */
    public int icmpUnreachable(int code, int client, int clientPort, int destination, int destinationPort,
                               int clientIsn, ByteBuffer dst, int dstOffset) {
        out.wrap(quoted, Ipv4.MIN_HEADER_LENGTH, Tcp.HEADER_LENGTH);
        out.writeHeader(clientPort, destinationPort, clientIsn, 0, Tcp.SYN, 0, null, 0);
        Ipv4.writeHeader(quoted, 0, Ipv4.PROTO_TCP, client, destination, Tcp.HEADER_LENGTH, TTL);
        int icmpOffset = dstOffset + Ipv4.MIN_HEADER_LENGTH;
        // RFC 792: the internet header plus the first 64 bits of the datagram's data.
        int icmpLength = icmp.writeError(dst, icmpOffset, Icmp.TYPE_DESTINATION_UNREACHABLE, code, quoted, 0,
            Ipv4.MIN_HEADER_LENGTH + 8);
        Ipv4.writeHeader(dst, dstOffset, Ipv4.PROTO_ICMP, destination, client, icmpLength, TTL);
        return Ipv4.MIN_HEADER_LENGTH + icmpLength;
    }
}
