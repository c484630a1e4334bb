package io.torgate.gateway.policy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket shared by threads, in its GCRA form (the ATM Forum's generic cell rate algorithm, ITU-T I.371):
 * one "theoretical arrival time" per bucket instead of a token count and a refill time, so a take is one
 * compare-and-set. A take at {@code now} succeeds when the bucket's arrival time is at most
 * {@code (burst - 1) * interval} ahead of {@code now}; it then moves the arrival time one interval on. This admits
 * exactly what a bucket of depth {@code burst} refilled at {@code 1/interval} admits.
 *
 * <p>The rate is passed on each take (a reload may change it; the bucket keeps its state, unless the new rate is
 * faster than the debt it holds, when it starts over full). Lock-free and
 * allocation-free; thread-safe.
 */
public final class RateBucket {
    private final AtomicLong arrival = new AtomicLong(Long.MIN_VALUE);

    /**
     * Takes one token.
     *
     * @param now a monotonic clock in nanoseconds ({@code System.nanoTime()})
     * @param perSecond the rate; 0 means unlimited
     * @param burst the depth (tokens a full bucket holds), at least 1
     * @return true when the token was taken, false when the bucket is empty (nothing changes)
     */
    public boolean tryTake(long now, int perSecond, int burst) {
        if (perSecond <= 0) {
            return true;
        }
        long interval = 1_000_000_000L / perSecond;
        long tolerance = (long) (Math.max(1, burst) - 1) * interval;
        while (true) {
            long tat = arrival.get();
            // A debt larger than this rate can build (tolerance + one interval) means the rate rose (a reload): the
            // bucket starts over full instead of making the client wait out the old, slower rate.
            long start = tat == Long.MIN_VALUE || tat < now || tat - now > tolerance + interval ? now : tat;
            if (start - now > tolerance) {
                return false;
            }
            if (arrival.compareAndSet(tat, start + interval)) {
                return true;
            }
        }
    }
}
