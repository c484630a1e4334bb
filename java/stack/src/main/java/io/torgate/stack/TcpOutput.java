package io.torgate.stack;

import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import java.nio.ByteBuffer;

/**
 * Builds complete IPv4+TCP packets into a {@link SegmentSink}: IPv4 header ({@link Ipv4#writeHeader}), TCP header
 * with options, payload copied straight from a {@link SendBuffer}, TCP checksum over the pseudo-header. Also the
 * stateless replies the owner needs when no connection matches a segment (RFC 9293 §3.10.7.1).
 *
 * <p>Ownership and thread-safety: one per connection or per worker; holds only a reusable flyweight. Not
 * thread-safe. No allocation.
 */
public final class TcpOutput {
    private static final int IPV4_HEADER = 20;
    private final Tcp tcp = new Tcp();
    private final int ttl;
    private final int mtu;

    public TcpOutput(int ttl, int mtu) {
        this.ttl = ttl;
        this.mtu = mtu;
    }

    /**
     * Writes one segment from {@code (src, srcPort)} to {@code (dst, dstPort)}. The payload, if any, is the
     * {@code length} bytes of {@code data} from sequence number {@code seq}, cut so the packet fits the MTU with
     * its options; when cut, a FIN is left off (it belongs after the last byte).
     *
     * @return payload bytes sent (0 for a control segment), or -1 when the sink had no room
     */
    public int write(SegmentSink sink, int src, int srcPort, int dst, int dstPort, int seq, int ack, int flags,
                     int window, TcpOptions options, SendBuffer data, int length) {
        int optLen = options == null ? 0 : options.encodedLength();
        int room = mtu - IPV4_HEADER - Tcp.HEADER_LENGTH - optLen;
        int len = Math.max(0, Math.min(length, room));
        if (len < length) {
            flags &= ~Tcp.FIN;
        }
        ByteBuffer buf = sink.claim(IPV4_HEADER + Tcp.HEADER_LENGTH + optLen + len);
        if (buf == null) {
            return -1;
        }
        int at = buf.position();
        tcp.wrap(buf, at + IPV4_HEADER, Tcp.HEADER_LENGTH + optLen + len);
        int hl = tcp.writeHeader(srcPort, dstPort, seq, ack, flags, window, options, len);
        if (len > 0) {
            len = data.copy(seq, buf, tcp.offset() + hl, len);
            tcp.wrap(buf, tcp.offset(), hl + len);
        }
        tcp.fillChecksum(src, dst);
        Ipv4.writeHeader(buf, at, Ipv4.PROTO_TCP, src, dst, hl + len, ttl);
        sink.commit(IPV4_HEADER + hl + len);
        return len;
    }

    /**
     * The reply to a segment that matches no connection, or reaches one in CLOSED (RFC 9293 §3.10.7.1): nothing
     * for a RST; {@code <SEQ=SEG.ACK><CTL=RST>} when it carries an ACK; otherwise
     * {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}. Addresses and ports are those of the segment, swapped.
     *
     * @return true when a reset was written
     */
    public boolean writeResetFor(SegmentSink sink, TcpSegment s) {
        if (s.has(Tcp.RST)) {
            return false;
        }
        int seq = s.has(Tcp.ACK) ? s.ack() : 0;
        int ack = s.has(Tcp.ACK) ? 0 : s.seq() + s.segmentLength();
        int flags = s.has(Tcp.ACK) ? Tcp.RST : Tcp.RST | Tcp.ACK;
        return write(sink, s.destinationAddress(), s.destinationPort(), s.sourceAddress(), s.sourcePort(),
                seq, ack, flags, 0, null, null, 0) >= 0;
    }
}
