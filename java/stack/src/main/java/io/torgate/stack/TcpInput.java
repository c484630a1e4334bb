package io.torgate.stack;

import io.torgate.wire.SeqNum;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;

/**
 * Segment arrival for one {@link TcpConnection}: the "SEGMENT ARRIVES" event of RFC 9293 §3.10.7, one method per
 * group of states, with the RFC 5961 hardening (challenge ACKs for in-window RST and SYN, the ACK-range check
 * against blind data injection) and PAWS (RFC 7323 §5).
 *
 * <p>Ownership and thread-safety: part of one connection; not thread-safe. No allocation.
 */
final class TcpInput {
    /** RFC 9293 §3.7.1: the MSS to assume when the peer sends none. */
    static final int DEFAULT_MSS = 536;

    private final TcpConnection c;

    TcpInput(TcpConnection c) {
        this.c = c;
    }

    void onSegment(TcpSegment s, long now) {
        switch (c.state) {
            // §3.10.7.1: everything but a RST is answered by a RST.
            case CLOSED -> {
                c.counters.increment(TcpCounters.SEGMENT_IN_CLOSED);
                if (!s.has(Tcp.RST)) {
                    resetFor(s);
                }
            }
            case LISTEN -> onListen(s);
            case SYN_SENT -> onSynSent(s, now);
            default -> onSynchronized(s, now);
        }
    }

    /** §3.10.7.1/2: the RST that answers an unacceptable segment, derived from its ACK field. */
    private void resetFor(TcpSegment s) {
        if (s.has(Tcp.ACK)) {
            c.queueReset(s.ack(), 0, Tcp.RST);
        } else {
            c.queueReset(0, s.seq() + s.segmentLength(), Tcp.RST | Tcp.ACK);
        }
    }

    /** §3.10.7.2 LISTEN, holding the SYN for the owner's decision. */
    private void onListen(TcpSegment s) {
        if (s.has(Tcp.RST)) {
            // A RST is ignored in LISTEN; but the client may cancel its own held SYN (seq = IRS + 1).
            if (c.synHeld && s.seq() == c.rcv.irs + 1) {
                c.counters.increment(TcpCounters.RESETS_IN);
                c.reset = true;
                c.setState(TcpState.CLOSED);
            }
            return;
        }
        if (s.has(Tcp.ACK)) {
            resetFor(s); // nothing of ours can be acknowledged yet
            return;
        }
        if (!s.has(Tcp.SYN)) {
            return;
        }
        if (c.synHeld) {
            c.counters.increment(TcpCounters.DUPLICATE_SYNS); // absorbed while the owner decides
            if (s.seq() == c.rcv.irs) {
                return;
            }
        }
        recordSyn(s);
        c.synHeld = true;
    }

    /** Learns IRS and the options the peer offered in its SYN (RFC 9293 §3.7.1, RFC 7323, RFC 2018). */
    private void recordSyn(TcpSegment s) {
        TcpOptions o = s.options();
        TcpConfig cfg = c.cfg;
        c.rcv.init(s.seq());
        c.peerMss = o.mss > 0 ? o.mss : DEFAULT_MSS;
        c.wsOk = cfg.windowScaling && o.windowScale >= 0;
        c.rcv.shift = c.wsOk ? cfg.receiveWindowShift() : 0;
        c.snd.shift = c.wsOk ? o.windowScale : 0;
        c.sackOk = cfg.sack && o.sackPermitted;
        c.tsOk = cfg.timestamps && o.hasTimestamp;
        c.rcv.tsRecent = o.hasTimestamp ? o.tsVal : 0;
        c.snd.window = s.window(); // never scaled in a SYN (RFC 7323 §2.2)
        c.snd.maxWindow = s.window();
        c.snd.wl1 = s.seq();
    }

    /** §3.10.7.3 SYN-SENT (active open). */
    private void onSynSent(TcpSegment s, long now) {
        TcpSender snd = c.snd;
        boolean ackOk = s.has(Tcp.ACK) && SeqNum.gt(s.ack(), snd.iss) && SeqNum.le(s.ack(), snd.max);
        if (s.has(Tcp.ACK) && !ackOk) {
            if (!s.has(Tcp.RST)) {
                c.queueReset(s.ack(), 0, Tcp.RST);
            }
            return;
        }
        if (s.has(Tcp.RST)) {
            if (ackOk) {
                c.counters.increment(TcpCounters.RESETS_IN);
                c.reset = true;
                c.setState(TcpState.CLOSED);
            }
            return;
        }
        if (!s.has(Tcp.SYN)) {
            return;
        }
        recordSyn(s);
        snd.negotiated(c.peerMss, c.cfg.mss(), c.fixedOptionBytes());
        c.rcv.ackNow = true;
        if (ackOk) {
            snd.onAck(s, now, c.tsNow(now));
            snd.window = s.window(); // a SYN's window is never scaled (RFC 7323 §2.2)
            snd.maxWindow = s.window();
            snd.wl1 = s.seq();
            snd.wl2 = s.ack();
            established(now);
        } else {
            snd.nxt = snd.iss; // simultaneous open: our SYN goes again, now with an ACK
            c.setState(TcpState.SYN_RECEIVED);
        }
    }

    /** §3.10.7.4: SYN-RECEIVED through TIME-WAIT. */
    private void onSynchronized(TcpSegment s, long now) {
        int flags = s.flags();
        if (c.state == TcpState.SYN_RECEIVED && (flags & Tcp.SYN) != 0 && s.seq() == c.rcv.irs
                && (flags & (Tcp.RST | Tcp.ACK)) == 0) {
            c.counters.increment(TcpCounters.DUPLICATE_SYNS); // our SYN-ACK was lost: send it again
            c.snd.nxt = c.snd.iss;
            return;
        }
        if (c.tsOk && c.rcv.failsPaws(s)) {
            c.counters.increment(TcpCounters.PAWS_REJECTED); // RFC 7323 §5.3 R1: old duplicate, ACK and drop
            c.rcv.ackNow = true;
            return;
        }
        if (!c.rcv.acceptable(s.seq(), s.segmentLength())) {
            unacceptable(s, now);
            return;
        }
        if ((flags & Tcp.RST) != 0) {
            onReset(s, now);
            return;
        }
        if ((flags & Tcp.SYN) != 0) {
            c.challengeAck(now); // RFC 5961 §4.2: any SYN here may be spoofed; let the real peer sort it out
            return;
        }
        if ((flags & Tcp.ACK) == 0) {
            c.counters.increment(TcpCounters.NO_ACK_FLAG); // §3.10.7.4 fifth: drop
            return;
        }
        if (!onAckField(s, now)) {
            return;
        }
        if (c.tsOk) {
            c.rcv.updateTsRecent(s);
        }
        if (s.has(Tcp.URG)) {
            c.counters.increment(TcpCounters.URGENT_IGNORED); // RFC 6093: urgent data is read in line
        }
        if (s.payloadLength() > 0) {
            onText(s, now);
        }
        boolean fin = (flags & Tcp.FIN) != 0 && c.rcv.onFin(s);
        if ((fin || c.rcv.takePendingFin()) && c.state.isSynchronized()) {
            onFin(now);
        }
        armKeepalive(now);
    }

    /** §3.10.7.4 first check failed: ACK (unless RST) and drop; a FIN in TIME-WAIT restarts 2 MSL. */
    private void unacceptable(TcpSegment s, long now) {
        c.counters.increment(TcpCounters.OUT_OF_WINDOW);
        if (s.has(Tcp.RST)) {
            return;
        }
        c.rcv.ackNow = true;
        if (c.state == TcpState.TIME_WAIT && s.has(Tcp.FIN)) {
            c.timers.set(TcpTimers.TIME_WAIT, now + c.cfg.timeWaitNanos);
        }
    }

    /** RFC 5961 §3.2: only a RST exactly at RCV.NXT resets; one elsewhere in the window gets a challenge ACK. */
    private void onReset(TcpSegment s, long now) {
        if (s.seq() != c.rcv.rcvNxt()) {
            c.challengeAck(now);
            return;
        }
        c.counters.increment(TcpCounters.RESETS_IN);
        c.reset = c.state != TcpState.TIME_WAIT && c.state != TcpState.LAST_ACK && c.state != TcpState.CLOSING;
        c.setState(TcpState.CLOSED);
    }

    /** §3.10.7.4 fifth, the ACK field; returns false when the segment must be dropped. */
    private boolean onAckField(TcpSegment s, long now) {
        TcpSender snd = c.snd;
        int ack = s.ack();
        if (c.state == TcpState.SYN_RECEIVED) {
            if (!SeqNum.gt(ack, snd.una) || SeqNum.gt(ack, snd.max)) {
                c.counters.increment(TcpCounters.BAD_ACK);
                c.queueReset(ack, 0, Tcp.RST);
                return false;
            }
        } else if (!snd.ackAcceptable(ack)) {
            c.counters.increment(TcpCounters.BAD_ACK);
            c.challengeAck(now); // RFC 5961 §5.2: outside [SND.UNA − MAX.SND.WND, SND.NXT]
            return false;
        }
        int windowBefore = snd.window;
        boolean advanced = snd.onAck(s, now, c.tsNow(now));
        if (windowBefore == 0 && snd.window > 0 && !snd.allAcked() && c.state.isSynchronized()) {
            // The window reopened while data was out: what went past the zero window was dropped, and the head was
            // being retransmitted as the probe with a backed-off RTO. Resend from SND.UNA now, with a fresh timer,
            // instead of waiting out the back-off (up to the maximum RTO) while the receiver has room.
            snd.resendAfterZeroWindow();
            c.timers.set(TcpTimers.RETRANSMIT, now + snd.rtt.rtoNanos());
        }
        c.persistUnanswered = 0;
        c.heardSinceTimeout = true;
        if (advanced) {
            if (snd.allAcked()) {
                c.timers.cancel(TcpTimers.RETRANSMIT);
            } else {
                c.timers.set(TcpTimers.RETRANSMIT, now + snd.rtt.rtoNanos()); // RFC 6298 §5.3
            }
        }
        if (snd.window > 0) {
            c.timers.cancel(TcpTimers.PERSIST);
            c.persistBackoff = 0;
        }
        c.keepaliveProbesSent = 0;
        return afterAck(now);
    }

    /** State changes driven by what the ACK covered; false when the connection closed. */
    private boolean afterAck(long now) {
        TcpSender snd = c.snd;
        switch (c.state) {
            case SYN_RECEIVED -> established(now);
            // Our FIN acknowledged: wait for theirs (bounded only once orphaned, see close()).
            case FIN_WAIT_1 -> {
                if (snd.finAcked()) {
                    c.setState(TcpState.FIN_WAIT_2);
                    if (c.orphaned) {
                        c.timers.set(TcpTimers.FIN_WAIT_2, now + c.cfg.finWait2TimeoutNanos);
                    }
                }
            }
            case CLOSING -> {
                if (snd.finAcked()) {
                    enterTimeWait(now);
                }
            }
            case LAST_ACK -> {
                if (snd.finAcked()) {
                    c.setState(TcpState.CLOSED);
                    return false;
                }
            }
            default -> {
                // ESTABLISHED, CLOSE-WAIT, FIN-WAIT-2, TIME-WAIT: nothing changes state on an ACK.
            }
        }
        return true;
    }

    private void established(long now) {
        c.wasEstablished = true;
        c.setState(TcpState.ESTABLISHED);
        if (c.snd.finQueued) {
            c.setState(TcpState.FIN_WAIT_1); // CLOSE was issued in SYN-RECEIVED (§3.10.4)
        }
        armKeepalive(now);
    }

    /** §3.10.7.4 seventh: text is taken in ESTABLISHED and FIN-WAIT-1/2 only. */
    private void onText(TcpSegment s, long now) {
        if (!c.state.acceptsData()) {
            c.counters.increment(TcpCounters.DATA_AFTER_CLOSE);
            return;
        }
        long shortBefore = c.rcv.buffer.shortOfMemory();
        if (c.rcv.onData(s, c.cfg.mss())) {
            c.timers.arm(TcpTimers.DELAYED_ACK, now + c.cfg.delayedAckNanos);
        }
        if (c.rcv.buffer.shortOfMemory() != shortBefore) {
            c.counters.increment(TcpCounters.RCV_NO_MEMORY);
        }
    }

    /** §3.10.7.4 eighth: the peer's FIN, in order. */
    private void onFin(long now) {
        switch (c.state) {
            case SYN_RECEIVED, ESTABLISHED -> c.setState(TcpState.CLOSE_WAIT);
            case FIN_WAIT_1 -> {
                if (c.snd.finAcked()) {
                    enterTimeWait(now);
                } else {
                    c.setState(TcpState.CLOSING); // simultaneous close
                }
            }
            case FIN_WAIT_2 -> enterTimeWait(now);
            default -> {
                // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a FIN was already taken; onFin refuses a second.
            }
        }
    }

    private void enterTimeWait(long now) {
        c.setState(TcpState.TIME_WAIT);
        c.timers.clear();
        c.timers.set(TcpTimers.TIME_WAIT, now + c.cfg.timeWaitNanos);
    }

    /** RFC 1122 §4.2.3.6: any segment from the peer proves it alive and restarts the idle time. */
    private void armKeepalive(long now) {
        if (c.cfg.keepalive && (c.state == TcpState.ESTABLISHED || c.state == TcpState.CLOSE_WAIT)) {
            c.timers.set(TcpTimers.KEEPALIVE, now + c.cfg.keepaliveIdleNanos);
        }
    }
}
