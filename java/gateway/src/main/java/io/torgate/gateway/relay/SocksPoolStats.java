package io.torgate.gateway.relay;

/**
 * One shard's pre-connected SOCKS sockets ({@code [socks] preconnect}): how many it holds now and, since start, how
 * its held SYNs were served.
 *
 * @param pooled sockets held now
 * @param hits SYNs that took a pooled socket
 * @param misses SYNs that found none and connected a fresh one
 * @param dead pooled sockets found closed, reset or failed when taken (closed, the next one tried)
 * @param expired pooled sockets closed unused at the age limit
 * @param retried pooled sockets dead on first use, their SOCKS request retried once on a fresh socket
 * @param opened sockets opened for the pool
 */
public record SocksPoolStats(long pooled, long hits, long misses, long dead, long expired, long retried,
                             long opened) {
    public static final SocksPoolStats NONE = new SocksPoolStats(0, 0, 0, 0, 0, 0, 0);

    /** The sum of two shards' counters. */
    public SocksPoolStats plus(SocksPoolStats o) {
        return new SocksPoolStats(pooled + o.pooled, hits + o.hits, misses + o.misses, dead + o.dead,
            expired + o.expired, retried + o.retried, opened + o.opened);
    }
}
