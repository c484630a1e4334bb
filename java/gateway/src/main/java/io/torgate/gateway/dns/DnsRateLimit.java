package io.torgate.gateway.dns;

/**
 * Per-client query rates decided outside the DNS service: the gateway's live policy gives each client its own
 * queries per second (issue 9, {@code [[clients]] dns_queries_per_second}), changed by a reload, and counts each
 * query it refuses for that client. Without one, {@link DnsConfig#queriesPerSecond()} applies to every client.
 *
 * <p>Called on the DNS agent thread; implementations must be thread-safe (they are shared with the workers and
 * readers) and allocation-free.
 */
@FunctionalInterface
public interface DnsRateLimit {
    /**
     * Takes one query of {@code client} from its bucket.
     *
     * @param now monotonic nanoseconds
     * @return false when the client is over its rate (the query is dropped; the implementation counts it)
     */
    boolean tryAcquire(int client, long now);
}
