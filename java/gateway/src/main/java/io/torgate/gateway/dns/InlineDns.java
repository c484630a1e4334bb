package io.torgate.gateway.dns;

import io.torgate.tor.ClientAction;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Dns;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongFunction;

/**
 * The DNS engine without a thread or sockets, driven by its caller: the same decisions, cache and virtual map
 * as {@link DnsService}, with lookups answered synchronously by a function. For benchmarks (the cost of a cache
 * hit or a mapped answer without any hand-over) and tests of the answer logic.
 *
 * <p>Ownership: one thread. Not thread-safe.
 */
public final class InlineDns {
    private final DnsStats stats = new DnsStats();
    private final VirtualMap map;
    private final DnsEngine engine;
    private final DnsRequest request = new DnsRequest();
    private DnsRequest emitted;

    /**
     * @param resolver name → IPv4 address for A lookups (-1: the name does not exist); PTR lookups fail
     */
    public InlineDns(DnsConfig config, IsolationKeys keys, BooleanSupplier torReady, ToLongFunction<String> resolver) {
        map = new VirtualMap(config.virtualNetwork(), config.virtualPrefix(), config.mapEntries());
        engine = new DnsEngine(config, keys, torReady, stats, map, (r, now) -> emitted = r);
        engine.upstream(new Upstream() {
            @Override
            public void start(Lookup l, long now) {
                long a = l.type == Dns.TYPE_A ? resolver.applyAsLong(l.host) : -1;
                l.startedNanos = now;
                l.address = (int) a;
                l.hasAddress = a >= 0;
                l.action = a >= 0 ? ClientAction.PROCEED : ClientAction.DNS_NXDOMAIN;
                engine.done(l, now);
            }

            @Override
            public int expire(long now) {
                return 0;
            }

            @Override
            public long nextDeadline() {
                return Long.MAX_VALUE;
            }

            @Override
            public void close() {
            }
        });
    }

    /**
     * Answers one UDP query from {@code client}.
     *
     * @return the response length written at {@code out[outOffset..]}, or 0 when the query is dropped
     */
    public int answer(int client, ByteBuffer query, int offset, int length, ByteBuffer out, int outOffset,
                      long nowNanos) {
        DnsRequest r = request;
        r.session = null;
        r.client = client;
        r.query.put(0, query, offset, length);
        r.queryLength = length;
        emitted = null;
        engine.handle(r, nowNanos);
        if (emitted != r || r.responseLength == 0) {
            return 0;
        }
        out.put(outOffset, r.response, DnsRequest.HEADROOM, r.responseLength);
        return r.responseLength;
    }

    public HostnameMap hostnames() {
        return map;
    }

    public DnsStats stats() {
        return stats;
    }
}
