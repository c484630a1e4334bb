package io.torgate.gateway.dns;

/**
 * Where lookups go: tor's SOCKS port ({@link TorUpstream}) or, in benchmarks and tests, something in memory.
 * Every started lookup is completed exactly once through the {@link Completion} given at construction, on the
 * agent thread, possibly from within {@link #start} itself.
 *
 * <p>Ownership: confined to the DNS agent thread.
 */
interface Upstream extends AutoCloseable {
    /** Receives finished lookups. */
    interface Completion {
        void done(Lookup lookup, long nowNanos);
    }

    /** Starts a lookup whose type, name/address and key are set. */
    void start(Lookup lookup, long nowNanos);

    /** Ends lookups past their deadline. Returns how many. */
    int expire(long nowNanos);

    /** Earliest deadline of a lookup in flight, or {@code Long.MAX_VALUE}. */
    long nextDeadline();

    /** Abandons every lookup in flight (each is completed as a failure). */
    @Override
    void close();
}
