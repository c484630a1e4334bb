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

    /** As {@link #write(SegmentSink, int, int, int, int, int, int, int, int, TcpOptions, SendBuffer, int, int)}
     *  with no MSS below the MTU's. */
    public int write(SegmentSink sink, int src, int srcPort, int dst, int dstPort, int seq, int ack, int flags,
                     int window, TcpOptions options, SendBuffer data, int length) {
        return write(sink, src, srcPort, dst, dstPort, seq, ack, flags, window, options, data, length, 0);
    }

    /**
     * Writes one segment from {@code (src, srcPort)} to {@code (dst, dstPort)}. The payload, if any, is the
     * {@code length} bytes of {@code data} from sequence number {@code seq}, cut so the packet fits the MTU with
     * its options; when cut, a FIN is left off (it belongs after the last byte).
     *
     * <p>When the sink takes TSO super-segments ({@link SegmentSink#offloadLimit()} > 0) the cut is at that limit
     * instead: the packet goes out with a partial checksum (pseudo-header only, no pass over the payload) and the
     * device cuts it into segments of min(mss, MTU room) payload bytes, the same segments this method would have
     * written one by one, each with these headers and options (RFC 6691: options count against the MSS room).
     *
     * @param mss the peer's MSS (SendMSS, options not taken off), or 0 or less for none below the MTU's
     * @return payload bytes sent (0 for a control segment), or -1 when the sink had no room
     */
    public int write(SegmentSink sink, int src, int srcPort, int dst, int dstPort, int seq, int ack, int flags,
                     int window, TcpOptions options, SendBuffer data, int length, int mss) {
        int optLen = options == null ? 0 : options.encodedLength();
        int headers = IPV4_HEADER + Tcp.HEADER_LENGTH + optLen;
        // RFC 9293 §3.7.1: Eff.snd.MSS = min(SendMSS + 20, MMS_S) − TCPhdrsize − IPoptionsize, i.e. the options
        // of this very segment (timestamps, SACK blocks) come out of the peer's MSS as out of the MTU (RFC 6691).
        int segment = mtu - headers;
        if (mss > 0) {
            segment = Math.min(segment, mss - optLen);
        }
        int limit = sink.offloadLimit();
        int room = limit > 0 ? limit - headers : segment;
        int len = Math.max(0, Math.min(length, room));
        if (len < length) {
            flags &= ~Tcp.FIN;
        }
        ByteBuffer buf = sink.claim(headers + len);
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
        Ipv4.writeHeader(buf, at, Ipv4.PROTO_TCP, src, dst, hl + len, ttl);
        if (limit > 0) {
            tcp.fillPartialChecksum(src, dst);
            sink.commitOffloaded(IPV4_HEADER + hl + len, IPV4_HEADER, IPV4_HEADER + hl, Math.max(1, segment));
        } else {
            tcp.fillChecksum(src, dst);
            sink.commit(IPV4_HEADER + hl + len);
        }
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
