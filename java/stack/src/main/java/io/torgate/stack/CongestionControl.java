package io.torgate.stack;

/**
 * NewReno congestion control: slow start and congestion avoidance (RFC 5681 §3.1), fast retransmit and fast
 * recovery (RFC 5681 §3.2) with the NewReno partial-acknowledgment rules (RFC 6582 §3.2), and the loss window
 * after a retransmission timeout (RFC 5681 §3.1, eq. 4).
 *
 * <p>The sender drives it: {@link #onAck} for an ACK of new data outside recovery, {@link #onDupAck} for each
 * duplicate ACK (RFC 5681 §2 definition), and during recovery {@link #onPartialAck} or {@link #onFullAck}
 * depending on whether the ACK covers {@link #recover()}. All quantities are bytes; the window never drops
 * below one MSS and never grows beyond {@link #MAX_WINDOW}.
 *
 * <p>Ownership and thread-safety: owned by one connection; not thread-safe. No method allocates.
 */
public final class CongestionControl {
    /** Cap on cwnd and ssthresh: 1 GiB is beyond any window scale (RFC 7323 §2.3) and keeps sums in an int. */
    public static final int MAX_WINDOW = 1 << 30;
    /** RFC 5681 §3.2: the third duplicate ACK triggers fast retransmit. */
    public static final int DUP_ACK_THRESHOLD = 3;

    private final int initialWindowSegments;
    private int mss;
    private int initialWindow;
    private int cwnd;
    private int ssthresh;
    private int dupAcks;
    private boolean inRecovery;
    private int recover;
    /** Bytes acknowledged in congestion avoidance since cwnd last grew (RFC 5681 §3.1, byte counting). */
    private int bytesAckedInCa;

    /**
     * @param mss sender maximum segment size (SMSS), &gt; 0
     * @param initialWindowSegments initial window in segments (RFC 5681 §3.1 allows up to 4; RFC 6928 allows 10)
     */
    public CongestionControl(int mss, int initialWindowSegments) {
        if (mss <= 0 || initialWindowSegments <= 0) {
            throw new IllegalArgumentException("mss and initial window must be positive");
        }
        this.initialWindowSegments = initialWindowSegments;
        reset(mss);
    }

    /**
     * Returns to the state of a new connection whose SMSS is {@code mss}, so a pooled connection reuses this
     * object for every handshake instead of allocating one.
     */
    public void reset(int mss) {
        if (mss <= 0) {
            throw new IllegalArgumentException("mss must be positive");
        }
        this.mss = mss;
        this.initialWindow = (int) Math.min(MAX_WINDOW, (long) mss * initialWindowSegments);
        reset();
    }

    /** Returns to the state of a new connection: IW, ssthresh "arbitrarily high" (RFC 5681 §3.1). */
    public void reset() {
        cwnd = initialWindow;
        ssthresh = MAX_WINDOW;
        dupAcks = 0;
        inRecovery = false;
        recover = 0;
        bytesAckedInCa = 0;
    }

    public int cwnd() {
        return cwnd;
    }

    public int ssthresh() {
        return ssthresh;
    }

    public int mss() {
        return mss;
    }

    public boolean inRecovery() {
        return inRecovery;
    }

    /** @return the "recover" sequence number of RFC 6582 §3.2: SND.NXT when recovery began */
    public int recover() {
        return recover;
    }

    /** @return duplicate ACKs counted since the last ACK of new data */
    public int dupAcks() {
        return dupAcks;
    }

    /**
     * An ACK of new data outside fast recovery. In slow start cwnd grows by the bytes acknowledged, up to ssthresh
     * (byte counting, RFC 3465, without its L = 2 SMSS cap per ACK, as Linux's tcp_slow_start): a receiver behind
     * GRO/LRO acknowledges tens of segments per ACK, and RFC 5681's one SMSS per ACK (eq. 2) would then grow the
     * window by one segment per round trip, i.e. no faster than congestion avoidance. The rest of such an ACK
     * beyond ssthresh counts toward congestion avoidance: one SMSS per cwnd of acknowledged bytes (§3.1, the
     * byte-counting variant). Growth is skipped while less than half of cwnd was in flight, so an
     * application-limited sender does not inflate a window it never used (RFC 7661 §4.1; Linux's rule too).
     *
     * @param bytesAcked bytes newly acknowledged
     * @param flightSize bytes that were outstanding before this ACK
     */
    public void onAck(int bytesAcked, int flightSize) {
        dupAcks = 0;
        if (bytesAcked <= 0 || 2L * flightSize < cwnd) {
            return;
        }
        if (cwnd < ssthresh) {
            int grown = (int) Math.min(Math.min(MAX_WINDOW, ssthresh), (long) cwnd + bytesAcked);
            bytesAcked -= grown - cwnd;
            cwnd = grown;
            if (bytesAcked <= 0) {
                return;
            }
        }
        bytesAckedInCa += bytesAcked;
        if (bytesAckedInCa >= cwnd) {
            bytesAckedInCa -= cwnd;
            cwnd = Math.min(MAX_WINDOW, cwnd + mss);
        }
    }

    /**
     * A duplicate ACK. The third one outside recovery starts fast retransmit and recovery: ssthresh becomes
     * max(FlightSize / 2, 2 * SMSS) (RFC 5681 eq. 4), recover := SND.NXT (RFC 6582 §3.2 step 2) and cwnd is
     * ssthresh + 3 * SMSS (RFC 5681 §3.2 step 4). Each further duplicate in recovery inflates cwnd by one SMSS
     * (RFC 5681 §3.2 step 5).
     *
     * @param sndNxt SND.NXT now, remembered as "recover"
     * @param flightSize bytes outstanding
     * @return true exactly when the caller must retransmit the first unacknowledged segment now
     */
    public boolean onDupAck(int sndNxt, int flightSize) {
        if (dupAcks < Integer.MAX_VALUE) {
            dupAcks++;
        }
        if (inRecovery) {
            cwnd = Math.min(MAX_WINDOW, cwnd + mss);
            return false;
        }
        if (dupAcks != DUP_ACK_THRESHOLD) {
            return false;
        }
        ssthresh = lossThreshold(flightSize);
        cwnd = Math.min(MAX_WINDOW, ssthresh + DUP_ACK_THRESHOLD * mss);
        recover = sndNxt;
        inRecovery = true;
        bytesAckedInCa = 0;
        return true;
    }

    /**
     * An ACK in recovery that does not cover "recover" (RFC 6582 §3.2 step 3, partial ACK): the caller
     * retransmits the first unacknowledged segment; cwnd deflates by the bytes acknowledged and grows back by one
     * SMSS if at least one SMSS was acknowledged, so about ssthresh bytes stay in flight.
     */
    public void onPartialAck(int bytesAcked) {
        if (!inRecovery || bytesAcked <= 0) {
            return;
        }
        long next = (long) cwnd - bytesAcked + (bytesAcked >= mss ? mss : 0);
        cwnd = (int) Math.max(mss, Math.min(MAX_WINDOW, next));
    }

    /**
     * An ACK in recovery that covers "recover" (RFC 6582 §3.2 step 3, full ACK): recovery ends and cwnd
     * deflates to ssthresh (the RFC's second option).
     *
     * @param ack the cumulative acknowledgment number; recovery ends only if it is at or after {@link #recover()}
     */
    public void onFullAck(int ack) {
        if (!inRecovery || ack - recover < 0) {
            return;
        }
        cwnd = Math.max(mss, ssthresh);
        inRecovery = false;
        dupAcks = 0;
        bytesAckedInCa = 0;
    }

    /**
     * A retransmission timeout: ssthresh = max(FlightSize / 2, 2 * SMSS) (RFC 5681 eq. 4) and cwnd becomes the
     * loss window of one SMSS; any fast recovery is abandoned (RFC 6582 §3.2 step 4 leaves "recover" for the
     * caller to compare against).
     */
    public void onRetransmitTimeout(int flightSize) {
        ssthresh = lossThreshold(flightSize);
        cwnd = mss;
        inRecovery = false;
        dupAcks = 0;
        bytesAckedInCa = 0;
    }

    private int lossThreshold(int flightSize) {
        return Math.max(Math.max(flightSize, 0) / 2, 2 * mss);
    }
}
