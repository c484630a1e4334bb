package io.torgate.gateway.classify;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * Per-thread drop counters, one {@code long} per {@link DropReason}.
 *
 * <p>Ownership: exactly one thread (a reader or a shard worker) increments an instance; any thread may read it.
 * Increments are plain read-modify-write published with opaque stores, so a reader sees every count eventually
 * and never a torn value, at the cost of one ordinary store on the hot path (no LongAdder cells, no CAS).
 * Totals are aggregated on read with {@link #sum(List, DropReason)}.
 */
public final class DropCounters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] counts = new long[DropReason.COUNT];

    /** Counts one drop. Owner thread only. */
    public void increment(DropReason reason) {
        int i = reason.ordinal();
        LONGS.setOpaque(counts, i, counts[i] + 1);
    }

    /** Current count for a reason; any thread. */
    public long get(DropReason reason) {
        return (long) LONGS.getOpaque(counts, reason.ordinal());
    }

    /** Total of one reason over several owners' counters; any thread. */
    public static long sum(List<DropCounters> all, DropReason reason) {
        long total = 0;
        for (DropCounters c : all) {
            total += c.get(reason);
        }
        return total;
    }

    /** Total over every reason; any thread. */
    public long total() {
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            total += (long) LONGS.getOpaque(counts, i);
        }
        return total;
    }
}
