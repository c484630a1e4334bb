package io.torgate.gateway.dns;

import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The DNS service's counters (by {@link DnsCounter}) and two latency histograms in microseconds: every answer
 * (from the query reaching the agent to the response leaving it) and every RESOLVE exchange with Tor.
 *
 * <p>Thread-safety: counters are atomic (incremented by the agent and by workers that hand queries over, read
 * by anyone); the histograms are HdrHistogram {@link Recorder}s: wait-free, allocation-free recording by the
 * agent, interval snapshots by any one reader.
 */
public final class DnsStats {
    /** Highest latency tracked, in microseconds (1 minute); larger values are clamped. */
    private static final long MAX_MICROS = 60_000_000L;

    private final AtomicLongArray counters = new AtomicLongArray(DnsCounter.values().length);
    private final Recorder answerLatency = new Recorder(MAX_MICROS, 3);
    private final Recorder resolveLatency = new Recorder(MAX_MICROS, 3);

    void increment(DnsCounter c) {
        counters.incrementAndGet(c.ordinal());
    }

    public long get(DnsCounter c) {
        return counters.get(c.ordinal());
    }

    void recordAnswer(long nanos) {
        answerLatency.recordValue(clamp(nanos));
    }

    void recordResolve(long nanos) {
        resolveLatency.recordValue(clamp(nanos));
    }

    private static long clamp(long nanos) {
        return Math.max(0, Math.min(MAX_MICROS, nanos / 1000));
    }

    /** Answer latencies (µs) since the previous call; one reader at a time. */
    public Histogram answerLatencyInterval() {
        return answerLatency.getIntervalHistogram();
    }

    /** RESOLVE exchange latencies (µs) since the previous call; one reader at a time. */
    public Histogram resolveLatencyInterval() {
        return resolveLatency.getIntervalHistogram();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("DnsStats[");
        for (DnsCounter c : DnsCounter.values()) {
            long v = get(c);
            if (v != 0) {
                sb.append(c.label()).append('=').append(v).append(' ');
            }
        }
        return sb.append(']').toString();
    }
}
