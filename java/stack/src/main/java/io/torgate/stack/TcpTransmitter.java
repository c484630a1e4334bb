package io.torgate.stack;

import io.torgate.wire.SeqNum;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;

/**
 * What {@link TcpConnection#poll} does: expire due timers (retransmission RFC 6298 §5, delayed ACK, persist
 * RFC 9293 §3.8.6.1, keepalive RFC 1122 §4.2.3.6, TIME-WAIT and FIN-WAIT-2), then emit what is pending in a fixed
 * order: a RST, the SYN or SYN-ACK, a fast retransmission, data as the windows allow (which carries the ACK and
 * possibly the FIN), a lone FIN, and finally a bare ACK if one is still owed.
 *
 * <p>Ownership and thread-safety: part of one connection; not thread-safe. No allocation.
 */
final class TcpTransmitter {
    private final TcpConnection c;
    private final TcpOptions options = new TcpOptions();

    TcpTransmitter(TcpConnection c) {
        this.c = c;
    }

    void poll(long now, SegmentSink sink) {
        if (c.state != TcpState.CLOSED) {
            runTimers(now, sink);
        }
        if (c.rstPending) {
            if (c.output.write(sink, c.localAddr, c.localPort, c.remoteAddr, c.remotePort, c.rstSeq, c.rstAck,
                    c.rstFlags, 0, null, null, 0) < 0) {
                c.counters.increment(TcpCounters.SINK_FULL);
                return;
            }
            c.rstPending = false;
            c.counters.increment(TcpCounters.SEGMENTS_OUT);
        }
        TcpState st = c.state;
        if (st == TcpState.CLOSED || st == TcpState.LISTEN) {
            return;
        }
        if (st == TcpState.SYN_SENT || st == TcpState.SYN_RECEIVED) {
            sendSyn(now, sink);
        } else if (st != TcpState.TIME_WAIT) {
            sendData(now, sink);
        }
        if (c.rcv.ackNow && st != TcpState.SYN_SENT) {
            emit(sink, now, c.snd.ackSeq(), Tcp.ACK, 0);
        }
    }

    private void sendSyn(long now, SegmentSink sink) {
        TcpSender snd = c.snd;
        if (snd.nxt != snd.iss) {
            return;
        }
        int flags = c.state == TcpState.SYN_RECEIVED ? Tcp.SYN | Tcp.ACK : Tcp.SYN;
        if (emit(sink, now, snd.iss, flags, 0) < 0) {
            return;
        }
        if (snd.max != snd.iss) {
            c.counters.increment(TcpCounters.RETRANSMITS);
        }
        snd.nxt = snd.iss + 1;
        snd.max = snd.nxt;
        c.timers.arm(TcpTimers.RETRANSMIT, now + snd.rtt.rtoNanos());
    }

    private void sendData(long now, SegmentSink sink) {
        TcpSender snd = c.snd;
        if (snd.retransmitFirst) {
            snd.retransmitFirst = false;
            retransmitFirst(now, sink);
        }
        if (snd.resendLost) {
            snd.resendLost = false;
            resendLostRetransmissions(now, sink);
        }
        if (snd.retransmitHole) {
            snd.retransmitHole = false;
            retransmitHole(now, sink);
        }
        while (sendOne(now, sink)) {
            // one segment per iteration until a window, the data or the sink runs out
        }
        int fin = snd.dataEnd();
        if (snd.finQueued && snd.nxt == fin) {
            if (emit(sink, now, fin, Tcp.ACK | Tcp.FIN, 0) >= 0) {
                countIfRetransmit(fin);
                advance(fin + 1, now);
            }
        }
        if (snd.window == 0 && SeqNum.lt(snd.nxt, fin) && snd.allAcked()) {
            // RFC 9293 §3.8.6.1: data waits behind a zero window with nothing in flight to elicit ACKs.
            c.timers.arm(TcpTimers.PERSIST, now + persistInterval());
        }
    }

    /** Sends the next segment of new or go-back-N data; false when nothing (more) can be sent now. */
    private boolean sendOne(long now, SegmentSink sink) {
        TcpSender snd = c.snd;
        int seq = snd.nxt;
        if (SeqNum.lt(seq, snd.max) && c.sackOk) {
            seq = snd.buffer.nextUnsackedFrom(seq); // RFC 2018: no need to resend what the peer holds
            snd.nxt = seq;
        }
        int end = snd.dataEnd();
        int avail = end - seq;
        if (avail <= 0) {
            return false;
        }
        // A sink with TSO takes one super-segment for what would be many MSS segments (fewer packets to build, no
        // checksum pass); retransmissions stay one MSS each, so go-back-N never resends SACKed data in bulk.
        boolean retransmission = SeqNum.lt(seq, snd.max);
        int chunk = sink.offloadLimit() > 0 && !retransmission ? sink.offloadLimit() : snd.mss;
        int len = Math.min(Math.min(avail, chunk), snd.sendable(seq));
        if (len <= 0 && seq == snd.una && SeqNum.lt(seq, snd.max)) {
            // The head may always be retransmitted, even into a zero window (Linux tcp_retransmit_skb): it then
            // acts as a window probe, so a timeout during a zero window cannot stall the connection.
            len = Math.min(avail, snd.mss);
        }
        if (len <= 0) {
            return false;
        }
        // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): no runt of new data while more waits and ACKs are still
        // coming. Retransmissions are exempt: after a timeout nothing else would ever send them.
        if (!retransmission && len < snd.mss && len < avail && snd.nxt != snd.una && len < snd.maxWindow / 2) {
            return false;
        }
        boolean last = seq + len == end;
        int flags = Tcp.ACK | (last ? Tcp.PSH : 0) | (last && snd.finQueued ? Tcp.FIN : 0);
        int sent = emit(sink, now, seq, flags, len);
        if (sent <= 0) {
            return false;
        }
        countIfRetransmit(seq);
        if (!c.tsOk && !snd.timing && !SeqNum.lt(seq, snd.max)) {
            snd.timing = true; // Karn: only never-retransmitted data is timed
            snd.timedSeq = seq;
            snd.timedAt = now;
        }
        boolean finSent = last && snd.finQueued && sent == len;
        advance(seq + sent + (finSent ? 1 : 0), now);
        return true;
    }

    /** Fast retransmit / NewReno partial ACK: resend the first unacknowledged, un-SACKed segment. */
    private void retransmitFirst(long now, SegmentSink sink) {
        TcpSender snd = c.snd;
        int seq = c.sackOk ? snd.buffer.nextUnsackedFrom(snd.una) : snd.una;
        int end = snd.dataEnd();
        if (!SeqNum.lt(seq, snd.max)) {
            return;
        }
        int len = Math.min(end - seq, snd.mss);
        int flags = Tcp.ACK | (len <= 0 && snd.finQueued ? Tcp.FIN : 0);
        int sent = emit(sink, now, seq, flags, Math.max(len, 0));
        if (sent >= 0) {
            c.counters.increment(TcpCounters.FAST_RETRANSMITS);
            c.counters.increment(TcpCounters.RETRANSMITS);
            snd.timing = false;
            snd.rexmitNext = SeqNum.max(snd.rexmitNext, seq + sent);
            recordRetransmission(seq, sent, now);
        }
    }

    private void recordRetransmission(int seq, int sent, long now) {
        if (c.sackOk) {
            c.snd.rexmitLog.record(seq, sent, c.snd.max, now);
        }
    }

    /**
     * Sends again each retransmission found lost ({@link RetransmitLog}), at once and outside cwnd as a fast
     * retransmission is: the episode already reduced the window, and without this only the RTO would repair it.
     * What was acknowledged or SACKed since is skipped.
     */
    private void resendLostRetransmissions(long now, SegmentSink sink) {
        TcpSender snd = c.snd;
        RetransmitLog log = snd.rexmitLog;
        for (int i = log.firstLost(); i >= 0; i = log.firstLost()) {
            int seq = SeqNum.max(log.seq(i), snd.una);
            int end = SeqNum.min(log.seq(i) + log.length(i), snd.dataEnd());
            log.resending(i);
            if (SeqNum.ge(seq, end) || snd.buffer.isSacked(seq)) {
                continue;
            }
            int sent = emit(sink, now, seq, Tcp.ACK, Math.min(end - seq, snd.mss));
            if (sent <= 0) {
                return; // sink full: the RTO still covers it
            }
            c.counters.increment(TcpCounters.RETRANSMITS);
            c.counters.increment(TcpCounters.LOST_RETRANSMITS);
            recordRetransmission(seq, sent, now);
        }
    }

    /**
     * SACK loss recovery (RFC 6675 §5 NextSeg, simplified): each ACK with SACK information during recovery lets
     * the next hole below the highest SACKed byte go out again, so several losses in one window are repaired in
     * about one round trip instead of one per RTT as with plain NewReno.
     */
    private void retransmitHole(long now, SegmentSink sink) {
        TcpSender snd = c.snd;
        int high = snd.buffer.highestSacked();
        int hole = snd.buffer.nextUnsackedFrom(SeqNum.max(snd.rexmitNext, snd.una));
        if (!SeqNum.lt(hole, high)) {
            return;
        }
        int sent = emit(sink, now, hole, Tcp.ACK, Math.min(snd.mss, high - hole));
        if (sent > 0) {
            c.counters.increment(TcpCounters.RETRANSMITS);
            snd.rexmitNext = hole + sent;
            recordRetransmission(hole, sent, now);
        }
    }

    private void countIfRetransmit(int seq) {
        if (SeqNum.lt(seq, c.snd.max)) {
            c.counters.increment(TcpCounters.RETRANSMITS);
        }
    }

    private void advance(int nxt, long now) {
        TcpSender snd = c.snd;
        snd.nxt = nxt;
        if (SeqNum.gt(nxt, snd.max)) {
            snd.max = nxt;
        }
        c.timers.arm(TcpTimers.RETRANSMIT, now + snd.rtt.rtoNanos()); // RFC 6298 §5.1
    }

    private long persistInterval() {
        long base = c.snd.rtt.rtoNanos();
        return Math.min(base << Math.min(c.persistBackoff, 16), c.cfg.maxRtoNanos);
    }

    private void runTimers(long now, SegmentSink sink) {
        TcpTimers t = c.timers;
        if (t.expire(TcpTimers.RETRANSMIT, now)) {
            onRetransmitTimeout(now);
        }
        if (t.expire(TcpTimers.DELAYED_ACK, now)) {
            c.rcv.ackNow = true;
        }
        if (t.expire(TcpTimers.PERSIST, now)) {
            onPersist(now, sink);
        }
        if (t.expire(TcpTimers.KEEPALIVE, now)) {
            onKeepalive(now, sink);
        }
        if (t.expire(TcpTimers.TIME_WAIT, now)) {
            c.setState(TcpState.CLOSED); // 2 MSL passed (RFC 9293 §3.10.8)
        }
        if (t.expire(TcpTimers.FIN_WAIT_2, now) && c.state == TcpState.FIN_WAIT_2) {
            c.counters.increment(TcpCounters.FIN_WAIT_2_TIMEOUTS);
            c.setState(TcpState.CLOSED);
        }
    }

    private void onRetransmitTimeout(long now) {
        TcpSender snd = c.snd;
        if (snd.allAcked()) {
            return;
        }
        c.counters.increment(TcpCounters.RTO_EXPIRED);
        boolean handshake = c.state == TcpState.SYN_RECEIVED || c.state == TcpState.SYN_SENT;
        int limit = handshake ? c.cfg.maxSynRetransmits : c.cfg.maxRetransmits;
        // A zero window answered since the last timeout is a slow reader, not a dead peer (RFC 1122 §4.2.2.17).
        boolean slowReader = snd.window == 0 && c.heardSinceTimeout;
        c.heardSinceTimeout = false;
        if (!slowReader && ++snd.retries > limit) {
            giveUp(); // RFC 9293 §3.8.3 R2: the connection is dead
            return;
        }
        snd.onRetransmitTimeout();
        c.timers.set(TcpTimers.RETRANSMIT, now + snd.rtt.rtoNanos()); // RFC 6298 §5.5-5.6: backed-off timer
    }

    /** Zero-window probe: a segment one below SND.UNA elicits an ACK with the current window (as Linux). */
    private void onPersist(long now, SegmentSink sink) {
        TcpSender snd = c.snd;
        if (snd.window > 0 || !c.state.isSynchronized()) {
            return;
        }
        if (++c.persistUnanswered > c.cfg.maxRetransmits) {
            giveUp(); // the receiver stopped answering probes: it is gone, not just full
            return;
        }
        c.persistBackoff++;
        c.counters.increment(TcpCounters.PERSIST_PROBES);
        emitProbe(sink, now, snd.una - 1);
        c.timers.set(TcpTimers.PERSIST, now + persistInterval());
    }

    /** RFC 1122 §4.2.3.6: probe with SEG.SEQ = SND.NXT − 1 after idle time; give up after unanswered probes. */
    private void onKeepalive(long now, SegmentSink sink) {
        if (c.state != TcpState.ESTABLISHED && c.state != TcpState.CLOSE_WAIT) {
            return;
        }
        if (!c.snd.allAcked()) {
            // Not idle: the retransmission timer already watches the peer (RFC 1122 §4.2.3.6 probes idle ones).
            c.timers.set(TcpTimers.KEEPALIVE, now + c.cfg.keepaliveIdleNanos);
            return;
        }
        if (c.keepaliveProbesSent >= c.cfg.keepaliveProbes) {
            c.counters.increment(TcpCounters.KEEPALIVE_TIMEOUTS);
            giveUp();
            return;
        }
        c.keepaliveProbesSent++;
        c.counters.increment(TcpCounters.KEEPALIVE_PROBES);
        emitProbe(sink, now, c.snd.max - 1);
        c.timers.set(TcpTimers.KEEPALIVE, now + c.cfg.keepaliveIntervalNanos);
    }

    /** Gives up on an unresponsive peer: RST (so a live peer learns), CLOSED with the timeout flag. */
    private void giveUp() {
        c.counters.increment(TcpCounters.RETRY_LIMIT);
        c.timedOut = true;
        if (c.state.isSynchronized()) {
            c.queueReset(c.snd.max, 0, Tcp.RST);
        }
        c.setState(TcpState.CLOSED);
    }

    /**
     * A window or keepalive probe: below what the peer expects, so the peer drops it and answers with an ACK
     * (RFC 9293 §3.8.6.1, RFC 1122 §4.2.3.6). Being unacceptable to the peer, it cannot stand in for an ACK we
     * owe: that one still goes out at the end of this poll.
     */
    private void emitProbe(SegmentSink sink, long now, int seq) {
        boolean owed = c.rcv.ackNow;
        emit(sink, now, seq, Tcp.ACK, 0);
        c.rcv.ackNow |= owed;
    }

    /**
     * Writes one segment from us with the current ACK, window and options (SYN options, timestamps, SACK blocks).
     *
     * @return payload bytes sent, or -1 when the sink is full
     */
    private int emit(SegmentSink sink, long now, int seq, int flags, int length) {
        boolean syn = (flags & Tcp.SYN) != 0;
        TcpOptions o = options.clear();
        if (syn) {
            o.mss = c.cfg.mss();
            o.sackPermitted = c.sackOk;
            if (c.wsOk || c.state == TcpState.SYN_SENT && c.cfg.windowScaling) {
                o.windowScale = c.rcv.shift;
            }
        }
        if (c.tsOk) {
            o.timestamp(c.tsNow(now), (flags & Tcp.ACK) != 0 ? c.rcv.tsRecent : 0);
        }
        if (!syn && c.sackOk && (flags & Tcp.ACK) != 0) {
            c.rcv.addSackBlocks(o);
        }
        int window = c.rcv.windowField(syn);
        int ack = (flags & Tcp.ACK) != 0 ? c.rcv.rcvNxt() : 0;
        int sent = c.output.write(sink, c.localAddr, c.localPort, c.remoteAddr, c.remotePort, seq, ack, flags,
                window, o, c.snd.buffer, length, c.snd.sendMss);
        if (sent < 0) {
            c.counters.increment(TcpCounters.SINK_FULL);
            return -1;
        }
        c.counters.increment(TcpCounters.SEGMENTS_OUT);
        if ((flags & Tcp.ACK) != 0) {
            c.rcv.onAckSent(window, syn);
            c.timers.cancel(TcpTimers.DELAYED_ACK);
        }
        return sent;
    }
}
