package io.torgate.stack;

import io.torgate.wire.SeqNum;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;

/**
 * Send side of one connection (gVisor's snd.go): SND.UNA/SND.NXT over a {@link SendBuffer}, the peer's window
 * (RFC 9293 §3.10.7.4, scaled per RFC 7323 §2.3), acknowledgment processing with RTT samples (RFC 6298, RFC 7323
 * §4 timestamps, Karn's rule), NewReno (RFC 5681/6582) through {@link CongestionControl}, the SACK scoreboard
 * (RFC 2018) and the transmit loop with sender-side SWS avoidance (RFC 9293 §3.8.6.2.1).
 *
 * <p>Sequence space: ISS is the SYN, data starts at ISS + 1 ({@link SendBuffer} holds it from its own SND.UNA),
 * a FIN follows the last data byte once {@link #finQueued}. {@code sndMax} is the highest SND.NXT ever reached:
 * after a timeout SND.NXT goes back to SND.UNA (go-back-N, skipping SACKed data) while sndMax remembers what
 * was sent.
 *
 * <p>Ownership and thread-safety: part of one {@link TcpConnection}; not thread-safe. No allocation per segment.
 */
final class TcpSender {
    static final int MIN_MSS = 64;
    final SendBuffer buffer;
    final RttEstimator rtt;
    /** The congestion state once the MSS is known (null before: nothing may be sent); always {@link #congestion}. */
    CongestionControl cc;
    /** Allocated with the connection and reset per handshake ({@link CongestionControl#reset(int)}). */
    private final CongestionControl congestion;
    int iss;
    int una;
    int nxt;
    int max;
    int window;
    int maxWindow;
    int wl1;
    int wl2;
    /** The peer's window scale shift (Snd.Wind.Shift). */
    int shift;
    /** SendMSS of RFC 9293 §3.7.1: min(peer MSS, our MTU − 40), options not yet taken off. */
    int sendMss;
    /**
     * The effective send MSS (SMSS): {@link #sendMss} less the options every segment carries (the 12 bytes of
     * timestamps, RFC 7323 §3.2). cwnd, segment sizing and the SWS rules count in it, so a window of n SMSS is n
     * full segments and no runt (Linux's mss_cache).
     */
    int mss;
    boolean finQueued;
    /** Retransmissions of the current oldest segment (reset by an ACK of new data). */
    int retries;
    /** A fast or partial-ACK retransmission of the first unacknowledged segment is due. */
    boolean retransmitFirst;
    /** In SACK recovery: new SACK information arrived, so the next hole below the highest SACK may be resent. */
    boolean retransmitHole;
    /** In SACK recovery: holes before this were already retransmitted (RFC 6675 HighRxt + 1). */
    int rexmitNext;
    /** This recovery episode's retransmissions, to notice one that was lost too. */
    final RetransmitLog rexmitLog = new RetransmitLog();
    /** A retransmission was found lost: send it again. */
    boolean resendLost;
    /** Karn-safe RTT timing without timestamps: one segment timed at a time. */
    boolean timing;
    int timedSeq;
    long timedAt;

    TcpSender(int capacity, TcpConfig cfg, ChunkPool pool) {
        congestion = new CongestionControl(cfg.mss(), cfg.initialWindowSegments);
        buffer = new SendBuffer(capacity, pool);
        rtt = new RttEstimator(cfg.minRtoNanos, cfg.maxRtoNanos, cfg.initialRtoNanos,
                RttEstimator.DEFAULT_GRANULARITY_NANOS);
    }

    void init(int iss) {
        this.iss = iss;
        una = iss;
        nxt = iss;
        max = iss;
        buffer.reset(iss + 1);
        rtt.reset();
        cc = null;
        window = 0;
        maxWindow = 0;
        wl1 = 0;
        wl2 = 0;
        finQueued = false;
        retries = 0;
        retransmitFirst = false;
        retransmitHole = false;
        rexmitLog.clear();
        resendLost = false;
        timing = false;
    }

    /**
     * Sets the send MSS once the peer's SYN is known and resets the congestion state for it.
     *
     * @param fixedOptions bytes of TCP options on every data segment (12 with timestamps, else 0)
     */
    void negotiated(int peerMss, int ourMss, int fixedOptions) {
        // A floor on the peer's MSS, as Linux's tcp_min_snd_mss: a tiny MSS would multiply our per-segment work
        // (CVE-2019-11479).
        sendMss = Math.max(MIN_MSS, Math.min(peerMss, ourMss));
        mss = sendMss - fixedOptions;
        congestion.reset(mss);
        cc = congestion;
    }

    /** Sequence number after the last data byte; the FIN's sequence number once queued. */
    int dataEnd() {
        return buffer.sndUna() + buffer.length();
    }

    boolean synAcked() {
        return una != iss;
    }

    boolean finSent() {
        return finQueued && SeqNum.gt(max, dataEnd());
    }

    boolean finAcked() {
        return finQueued && SeqNum.gt(una, dataEnd());
    }

    /** Bytes sent and not acknowledged (FlightSize of RFC 5681 §2). */
    int flightSize() {
        return max - una;
    }

    /**
     * Sequence number for a segment without data (bare ACK, challenge ACK): SND.NXT, except that after a timeout
     * rewound SND.NXT we use the highest sent (the peer may already hold everything up to it, so anything lower
     * would be an old, unacceptable segment to it), kept within the peer's window as Linux's
     * tcp_acceptable_seq() does.
     */
    int ackSeq() {
        return SeqNum.min(max, una + window);
    }

    boolean allAcked() {
        return una == max;
    }

    /**
     * The window-update rule of RFC 9293 §3.10.7.4 (SND.WL1/SND.WL2 guard against old segments), widened as in
     * Linux's tcp_may_update_window: an ACK that advances SND.UNA always carries the current window. Without that,
     * a retransmitted (lower-sequence) segment acknowledging new data would leave the old window anchored at the
     * new SND.UNA, i.e. stretched beyond what the peer offered.
     */
    void updateWindow(int seq, int ack, int scaledWindow, boolean advanced) {
        if (advanced || SeqNum.lt(wl1, seq) || wl1 == seq && SeqNum.le(wl2, ack)) {
            window = scaledWindow;
            wl1 = seq;
            wl2 = ack;
            maxWindow = Math.max(maxWindow, scaledWindow);
        }
    }

    /** RFC 5961 §5.2: an ACK is acceptable in [SND.UNA − MAX.SND.WND, SND.NXT] (we use the highest sent). */
    boolean ackAcceptable(int ack) {
        return SeqNum.le(ack, max) && SeqNum.ge(ack, una - Math.max(maxWindow, 1));
    }

    /**
     * Processes the acknowledgment fields of an acceptable segment in a synchronized state.
     *
     * @return true when SND.UNA advanced
     */
    boolean onAck(TcpSegment s, long now, int tsNow) {
        int ack = s.ack();
        int scaled = s.window() << shift;
        applySack(s.options());
        retransmitHole = cc != null && cc.inRecovery() && s.options().sackCount > 0;
        if (SeqNum.gt(ack, una)) {
            onNewAck(s, ack, now, tsNow);
            updateWindow(s.seq(), ack, scaled, true);
            detectLostRetransmissions(now);
            return true;
        }
        if (ack == una && s.payloadLength() == 0 && (s.flags() & (Tcp.SYN | Tcp.FIN)) == 0
                && scaled == window && !allAcked() && cc != null) {
            // RFC 5681 §2 duplicate ACK; the third starts fast retransmit (§3.2).
            if (cc.onDupAck(max, flightSize())) {
                retransmitFirst = true;
                retransmitHole = s.options().sackCount > 0;
                rexmitNext = una;
            }
        }
        updateWindow(s.seq(), ack, scaled, false);
        detectLostRetransmissions(now);
        return false;
    }

    /** RFC 8985 §6.2 for this episode's retransmissions: one sent earlier than a delivered segment is lost. */
    private void detectLostRetransmissions(long now) {
        long srtt = rtt.srttNanos(); // RACK.rtt + reo_wnd (RFC 8985 §6.2), with SRTT standing in for RACK.rtt
        if (rexmitLog.onAck(una, buffer, now, srtt + (srtt >> 2)) > 0) {
            resendLost = true;
        }
    }

    private void onNewAck(TcpSegment s, int ack, long now, int tsNow) {
        int acked = ack - una;
        int flight = flightSize();
        boolean synWasOutstanding = !synAcked();
        una = ack;
        if (SeqNum.lt(nxt, una)) {
            nxt = una;
        }
        buffer.acknowledge(ack);
        retries = 0;
        // New data acknowledged: the path delivers again, so the RTO returns from its back-off (RFC 6298 §5.7
        // allows it; as Linux, which clears icsk_backoff on an ACK of new data). A timestamp sample below also does.
        rtt.resetBackoff();
        TcpOptions o = s.options();
        if (o.hasTimestamp && o.tsEcr != 0) {
            int ms = tsNow - o.tsEcr; // RFC 7323 §4.1: RTTM from the echoed timestamp, valid across retransmissions
            if (ms >= 0) {
                rtt.sample(ms * 1_000_000L);
            }
        } else if (timing && SeqNum.gt(ack, timedSeq)) {
            rtt.sample(now - timedAt);
            timing = false;
        }
        if (cc == null || synWasOutstanding) {
            return;
        }
        if (cc.inRecovery()) {
            if (SeqNum.ge(ack, cc.recover())) {
                cc.onFullAck(ack);
                rexmitLog.clear(); // the episode is over: every retransmission below "recover" was delivered
                resendLost = false;
            } else {
                cc.onPartialAck(acked); // RFC 6582 §3.2 step 3: retransmit the next hole at once
                retransmitFirst = true;
            }
        } else {
            cc.onAck(acked, flight);
        }
    }

    /** RFC 2018: records the peer's SACK blocks that lie within what we sent and have not seen acknowledged. */
    private void applySack(TcpOptions o) {
        for (int i = 0; i < o.sackCount; i++) {
            int left = SeqNum.max(o.sackLeft[i], una);
            int right = SeqNum.min(o.sackRight[i], SeqNum.min(max, dataEnd()));
            if (SeqNum.lt(left, right)) {
                buffer.markSacked(left, right);
            }
        }
    }

    /** RFC 6298 §5.4–5.6 after a timeout: go back to SND.UNA, forget SACKs (RFC 2018 §8), collapse cwnd. */
    void onRetransmitTimeout() {
        rtt.backoff();
        if (cc != null) {
            cc.onRetransmitTimeout(flightSize());
        }
        buffer.clearScoreboard();
        nxt = una;
        retransmitFirst = false;
        retransmitHole = false;
        rexmitLog.clear(); // go-back-N resends everything not acknowledged anyway
        resendLost = false;
        timing = false;
    }

    /** A zero window reopened with data outstanding: go back to SND.UNA (skipping SACKed data) without back-off. */
    void resendAfterZeroWindow() {
        rtt.resetBackoff();
        nxt = una;
        timing = false;
    }

    /** Bytes the congestion and receive windows still allow to start at {@code seq}. */
    int sendable(int seq) {
        int inFlight = (nxt - una) - buffer.sackedBytes();
        int byCwnd = cc == null ? 0 : cc.cwnd() - Math.max(0, inFlight);
        int byRwnd = una + window - seq;
        return Math.min(byCwnd, byRwnd);
    }
}
