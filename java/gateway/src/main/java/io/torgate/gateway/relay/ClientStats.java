package io.torgate.gateway.relay;

import io.torgate.gateway.classify.DropReason;

/**
 * One client's counters as seen by one shard: streams opened, bytes of retired streams, DNS queries handed to the
 * DNS service, and refusals by {@link DropReason}. Updated per flow event (open, refusal, retire) and per DNS
 * query, never per relayed packet.
 *
 * <p>Ownership: confined to the shard worker that owns it (no locks, no volatile); other threads get a copy from
 * {@link #copy()}, taken on the worker's thread by a {@code ShardTask}.
 */
public final class ClientStats {
    /** The client's address (0 for the overflow entry that holds clients beyond the table's capacity). */
    public final int client;
    long streamsOpened;
    long bytesUp;
    long bytesDown;
    long dnsQueries;
    final long[] drops = new long[DropReason.COUNT];
    /** The isolation profile of the client's latest stream, or null. */
    String lastProfile;

    ClientStats(int client) {
        this.client = client;
    }

    /** Zero counters for {@code client} (to sum shards' copies into). */
    public static ClientStats empty(int client) {
        return new ClientStats(client);
    }

    void drop(DropReason reason) {
        drops[reason.ordinal()]++;
    }

    /** A detached copy (allocates; off the hot path). */
    public ClientStats copy() {
        ClientStats c = new ClientStats(client);
        c.add(this);
        return c;
    }

    /** Adds another shard's counters of the same client (for totals over shards). */
    public void add(ClientStats o) {
        streamsOpened += o.streamsOpened;
        bytesUp += o.bytesUp;
        bytesDown += o.bytesDown;
        dnsQueries += o.dnsQueries;
        for (int i = 0; i < drops.length; i++) {
            drops[i] += o.drops[i];
        }
        if (o.lastProfile != null) {
            lastProfile = o.lastProfile;
        }
    }

    /** Adds a live stream's bytes (the counters hold retired streams' bytes only). */
    void addLive(long up, long down) {
        bytesUp += up;
        bytesDown += down;
    }

    public long streamsOpened() {
        return streamsOpened;
    }

    public long bytesUp() {
        return bytesUp;
    }

    public long bytesDown() {
        return bytesDown;
    }

    public long dnsQueries() {
        return dnsQueries;
    }

    public long drops(DropReason reason) {
        return drops[reason.ordinal()];
    }

    /** Every refusal of this client. */
    public long dropsTotal() {
        long n = 0;
        for (long d : drops) {
            n += d;
        }
        return n;
    }

    /** Refusals by a cap or rate limit (per client or global). */
    public long limitHits() {
        long n = 0;
        for (int i = 0; i < drops.length; i++) {
            if (isLimit(DropReason.of(i))) {
                n += drops[i];
            }
        }
        return n;
    }

    /** Whether a reason is a limit: a cap ({@code *_limit_*}) or a rate ({@code *_rate_*}). */
    public static boolean isLimit(DropReason r) {
        return r.label().contains("_limit") || r.label().contains("_rate");
    }

    /** Sets a reason's count (merging the policy's per-client counts in; see the clients command). */
    public void atLeast(DropReason reason, long count) {
        drops[reason.ordinal()] = Math.max(drops[reason.ordinal()], count);
    }

    /** Sets the DNS query count to at least {@code count} (the policy counts UDP and TCP queries). */
    public void dnsAtLeast(long count) {
        dnsQueries = Math.max(dnsQueries, count);
    }

    public String lastProfile() {
        return lastProfile;
    }
}
