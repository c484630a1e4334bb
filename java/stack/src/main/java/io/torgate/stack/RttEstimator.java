package io.torgate.stack;

/**
 * Retransmission timeout computation of RFC 6298: smoothed RTT and RTT variation from samples (§2), clamped to a
 * configured minimum and maximum (§2.4, §2.5), doubled per back-off (§5.5).
 *
 * <p>The caller follows Karn's algorithm (RFC 6298 §3): it feeds only samples from segments that were not
 * retransmitted (or from timestamps, RFC 7323 §4). A new sample recomputes the RTO from scratch, which also
 * collapses any back-off (§5.7 discussion: the back-off holds "until an acknowledgment for new data").
 *
 * <p>Ownership and thread-safety: owned by one connection; not thread-safe. No method allocates.
 */
public final class RttEstimator {
    /** RFC 6298 §2.4 says 1 s; Linux and most stacks use 200 ms, which suits low-latency client links. */
    public static final long DEFAULT_MIN_RTO_NANOS = 200_000_000L;
    /** RFC 6298 §2.5: a maximum of at least 60 s may be placed on the RTO. */
    public static final long DEFAULT_MAX_RTO_NANOS = 60_000_000_000L;
    /** RFC 6298 §2.1: before any sample the RTO is 1 s. */
    public static final long DEFAULT_INITIAL_RTO_NANOS = 1_000_000_000L;
    /** Clock granularity G of RFC 6298 §2: our clock is nanoTime, so G is the timer wheel's tick at most. */
    public static final long DEFAULT_GRANULARITY_NANOS = 1_000_000L;
    /** Back-offs beyond this cannot change the (already maximal) RTO; bounds the shift. */
    private static final int MAX_BACKOFF_SHIFT = 30;

    private final long minRto;
    private final long maxRto;
    private final long initialRto;
    private final long granularity;
    private long srtt;
    private long rttvar;
    private long baseRto;
    private int backoffs;
    private boolean sampled;

    /** Defaults: minimum 200 ms, maximum 60 s, initial 1 s, granularity 1 ms. */
    public RttEstimator() {
        this(DEFAULT_MIN_RTO_NANOS, DEFAULT_MAX_RTO_NANOS, DEFAULT_INITIAL_RTO_NANOS, DEFAULT_GRANULARITY_NANOS);
    }

    /**
     * @param minRtoNanos lower clamp of the RTO, &gt; 0
     * @param maxRtoNanos upper clamp of the RTO, &ge; minRtoNanos
     * @param initialRtoNanos RTO before the first sample (clamped too)
     * @param granularityNanos clock granularity G, &ge; 0
     */
    public RttEstimator(long minRtoNanos, long maxRtoNanos, long initialRtoNanos, long granularityNanos) {
        if (minRtoNanos <= 0 || maxRtoNanos < minRtoNanos || initialRtoNanos <= 0 || granularityNanos < 0) {
            throw new IllegalArgumentException("bad RTO bounds");
        }
        this.minRto = minRtoNanos;
        this.maxRto = maxRtoNanos;
        this.initialRto = initialRtoNanos;
        this.granularity = granularityNanos;
        reset();
    }

    /** Forgets all samples and back-off: the state of a new connection (RFC 6298 §2.1). */
    public void reset() {
        srtt = 0;
        rttvar = 0;
        sampled = false;
        backoffs = 0;
        baseRto = clamp(initialRto);
    }

    /**
     * Takes one RTT measurement (RFC 6298 §2.2 for the first, §2.3 after). Non-positive samples are raised to one
     * nanosecond (a clock that did not move still took some time).
     */
    public void sample(long rttNanos) {
        long r = Math.max(1, rttNanos);
        if (!sampled) {
            srtt = r;
            rttvar = r / 2;
            sampled = true;
        } else {
            // RTTVAR <- (1 - 1/4) * RTTVAR + 1/4 * |SRTT - R'|; SRTT <- (1 - 1/8) * SRTT + 1/8 * R' (beta, alpha).
            rttvar = rttvar - (rttvar >> 2) + (Math.abs(srtt - r) >> 2);
            srtt = srtt - (srtt >> 3) + (r >> 3);
        }
        // RTO <- SRTT + max(G, K * RTTVAR), K = 4.
        baseRto = clamp(saturatingAdd(srtt, Math.max(granularity, saturatingMul4(rttvar))));
        backoffs = 0;
    }

    /** @return the current RTO: the computed value doubled once per back-off, at most the maximum */
    public long rtoNanos() {
        if (backoffs == 0) {
            return baseRto;
        }
        int shift = Math.min(backoffs, MAX_BACKOFF_SHIFT);
        return baseRto > (maxRto >> shift) ? maxRto : Math.min(maxRto, baseRto << shift);
    }

    /** Doubles the RTO after a retransmission timeout (RFC 6298 §5.5). */
    public void backoff() {
        if (backoffs < MAX_BACKOFF_SHIFT) {
            backoffs++;
        }
    }

    /** Undoes back-off without a new sample, e.g. when new data is acknowledged but Karn forbids a sample. */
    public void resetBackoff() {
        backoffs = 0;
    }

    /** @return back-offs since the last sample or reset (the retry count for a retry limit) */
    public int backoffs() {
        return backoffs;
    }

    /** @return smoothed RTT, 0 before the first sample */
    public long srttNanos() {
        return srtt;
    }

    /** @return RTT variation, 0 before the first sample */
    public long rttVarNanos() {
        return rttvar;
    }

    /** @return true once a sample has been taken */
    public boolean hasSample() {
        return sampled;
    }

    private long clamp(long rto) {
        return Math.max(minRto, Math.min(maxRto, rto));
    }

    private static long saturatingMul4(long v) {
        return v > Long.MAX_VALUE >> 2 ? Long.MAX_VALUE : v << 2;
    }

    private static long saturatingAdd(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }
}
