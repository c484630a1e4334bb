package io.torgate.stack;

import io.torgate.wire.SeqNum;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;

/**
 * Receive side of one connection (gVisor's rcv.go): RCV.NXT and the receive window over a {@link ReceiveBuffer},
 * segment acceptability (RFC 9293 §3.10.7.4), in-order FIN, window scaling of what we advertise (RFC 7323 §2),
 * TS.Recent (RFC 7323 §4.3), SACK blocks to report (RFC 2018 §4) and the delayed-ACK decision (RFC 5681 §4.2,
 * RFC 9293 §3.8.6.3).
 *
 * <p>Ownership and thread-safety: part of one {@link TcpConnection}; not thread-safe. No allocation after
 * construction.
 */
final class TcpReceiver {
    final ReceiveBuffer buffer;
    int irs;
    boolean finReceived;
    /** A FIN arrived beyond a hole, at {@link #pendingFinSeq}. */
    boolean finPending;
    int pendingFinSeq;
    /** Our window scale shift (Rcv.Wind.Shift), 0 unless both sides sent the option. */
    int shift;
    int tsRecent;
    /** RCV.NXT carried by the last ACK we sent (Last.ACK.sent of RFC 7323 §4.3). */
    int lastAckSent;
    /** Right edge of the window we last advertised. */
    int advertisedEdge;
    /** An ACK must go out at the next poll. */
    boolean ackNow;
    /** In-order segments received since the last ACK we sent. */
    int unackedSegments;

    TcpReceiver(int capacity, ChunkPool pool) {
        buffer = new ReceiveBuffer(capacity, pool);
    }

    void init(int irs) {
        this.irs = irs;
        buffer.reset(irs + 1);
        finReceived = false;
        finPending = false;
        lastAckSent = irs + 1;
        advertisedEdge = irs + 1;
        ackNow = false;
        unackedSegments = 0;
    }

    /** RCV.NXT, counting a received FIN. */
    int rcvNxt() {
        return buffer.rcvNxt() + (finReceived ? 1 : 0);
    }

    /** RCV.WND: free buffer space (RFC 9293 §3.8.6.2.2; it only shrinks as data arrives, never on its own). */
    int window() {
        return buffer.window();
    }

    /** The 16-bit window field: unscaled in a SYN (RFC 7323 §2.2), else scaled down (rounding toward zero). */
    int windowField(boolean syn) {
        return Math.min(syn ? window() : window() >>> shift, 0xFFFF);
    }

    /**
     * RFC 9293 §3.10.7.4: the four acceptability cases, with RCV.WND = 0 still admitting SEG.SEQ = RCV.NXT. A
     * zero-length segment exactly at the right edge is accepted too (as Linux's tcp_sequence does): a sender whose
     * SND.NXT reached our window's edge sends its ACKs there.
     */
    boolean acceptable(int seq, int segLen) {
        int nxt = rcvNxt();
        int wnd = window();
        if (wnd == 0) {
            return seq == nxt;
        }
        int end = nxt + wnd;
        if (segLen == 0) {
            return SeqNum.ge(seq, nxt) && SeqNum.le(seq, end);
        }
        return SeqNum.inRange(seq, nxt, end) || SeqNum.inRange(seq + segLen - 1, nxt, end);
    }

    /** RFC 7323 §4.3: TS.Recent follows the TSval of segments that cover Last.ACK.sent. */
    void updateTsRecent(TcpSegment s) {
        TcpOptions o = s.options();
        if (o.hasTimestamp && SeqNum.ge(o.tsVal, tsRecent) && SeqNum.le(s.seq(), lastAckSent)) {
            tsRecent = o.tsVal;
        }
    }

    /** RFC 7323 §5.3 R1: a timestamp older than TS.Recent marks an old duplicate (PAWS). */
    boolean failsPaws(TcpSegment s) {
        TcpOptions o = s.options();
        return o.hasTimestamp && !s.has(Tcp.RST) && SeqNum.lt(o.tsVal, tsRecent);
    }

    /**
     * Stores the segment's text and decides how to acknowledge it: immediately for out-of-order data or data that
     * fills a hole (RFC 5681 §4.2), for every second full segment, or after the delayed-ACK timeout otherwise. A
     * super-segment from a TSO/GRO device counts as the MSS-sized segments it stands for (as Linux's
     * __tcp_ack_snd_check compares bytes, not packets), so it is acknowledged at once.
     *
     * @param mss our receive MSS, to count a super-segment's segments
     * @return true when the delayed-ACK timer should be started
     */
    boolean onData(TcpSegment s, int mss) {
        int dataSeq = s.seq() + (s.has(Tcp.SYN) ? 1 : 0);
        boolean wasOutOfOrder = buffer.hasOutOfOrder();
        int advanced = buffer.offer(dataSeq, s.tcp().buffer(), s.tcp().payloadOffset(), s.payloadLength());
        if (advanced == 0 || wasOutOfOrder || buffer.hasOutOfOrder()) {
            ackNow = true; // out of order, duplicate or beyond the window: tell the sender where we are now
            return false;
        }
        unackedSegments += s.payloadLength() > mss ? 2 : 1;
        if (unackedSegments >= 2) {
            ackNow = true;
            return false;
        }
        return true;
    }

    /**
     * A FIN takes effect in order, after all data before it; one that arrives ahead of a hole is remembered (as
     * Linux keeps it in its out-of-order queue) and taken by {@link #takePendingFin()} once the hole is filled, so
     * the peer need not retransmit it.
     *
     * @return true when the FIN was taken now
     */
    boolean onFin(TcpSegment s) {
        int finSeq = s.seq() + (s.has(Tcp.SYN) ? 1 : 0) + s.payloadLength();
        if (finReceived) {
            return false;
        }
        if (finSeq != buffer.rcvNxt()) {
            if (SeqNum.gt(finSeq, buffer.rcvNxt()) && SeqNum.le(finSeq, buffer.rcvNxt() + window())) {
                finPending = true;
                pendingFinSeq = finSeq;
            }
            return false;
        }
        return takeFin();
    }

    /** Takes a FIN remembered out of order once RCV.NXT reached it. */
    boolean takePendingFin() {
        return finPending && !finReceived && pendingFinSeq == buffer.rcvNxt() && takeFin();
    }

    private boolean takeFin() {
        finPending = false;
        finReceived = true;
        ackNow = true;
        return true;
    }

    /**
     * After the application read: RFC 9293 §3.8.6.2.2 receiver SWS avoidance, announce the larger window only once
     * it grew by min(half the buffer, one MSS); and send it as a pure ACK only while the peer is short of window,
     * with less than two segments' worth left of what we last advertised. With more left, the peer is not held
     * back, and the ACKs of its next data carry the new window anyway. This saves a needless pure ACK on every
     * connection: the SYN-ACK's window field is unscaled (RFC 7323 §2.2), so it advertises at most 65,535 bytes of a
     * larger buffer, and the first read always found the window "grown" past that edge (issue 8).
     */
    void onRead(int mss) {
        int seen = rcvNxt();
        int edge = seen + (windowField(false) << shift);
        int growth = edge - advertisedEdge;
        if (growth >= Math.min(buffer.capacity() / 2, mss) && advertisedEdge - seen < 2 * mss) {
            ackNow = true;
        }
    }

    /** Bookkeeping for any segment we send with ACK set. */
    void onAckSent(int windowField, boolean syn) {
        lastAckSent = rcvNxt();
        advertisedEdge = lastAckSent + (syn ? windowField : windowField << shift);
        ackNow = false;
        unackedSegments = 0;
    }

    /** Fills SACK blocks (most recent first) into {@code o}, as many as fit next to the other options. */
    void addSackBlocks(TcpOptions o) {
        if (!buffer.hasOutOfOrder()) {
            return;
        }
        int max = o.hasTimestamp ? 3 : TcpOptions.MAX_SACK_BLOCKS;
        o.sackCount = buffer.sackBlocks(o.sackLeft, o.sackRight, max);
    }
}
