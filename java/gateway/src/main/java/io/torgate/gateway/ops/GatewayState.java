package io.torgate.gateway.ops;

import io.torgate.gateway.dns.DnsStats;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.policy.Clients;
import io.torgate.gateway.relay.FlowLimits;
import io.torgate.gateway.relay.RelayHandler;
import io.torgate.gateway.relay.ShardSnapshot;
import io.torgate.gateway.relay.StreamInfo;
import io.torgate.stack.BufferBudget;
import io.torgate.tor.ClientEpochs;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * What the control socket and the metrics endpoint read from a running gateway. Per-shard state (streams,
 * per-client counters, SOCKS latency) is never read across threads: {@link #shards()} asks every shard worker for a
 * snapshot on its own thread ({@code Pipeline.onEachShard}) and waits, bounded, for the answers.
 *
 * <p>Thread-safe; the DNS histograms are accumulated under this object's lock (one interval reader at a time, as
 * HdrHistogram's Recorder requires).
 */
public final class GatewayState {
    /** How long a snapshot may take: a shard turn is microseconds, but a stalled worker must not hang ctl. */
    static final long SNAPSHOT_TIMEOUT_MILLIS = 5_000;

    private final Pipeline pipeline;
    private final BufferBudget budget;
    private final FlowLimits limits;
    private final DnsStats dns;
    private final TorLink tor;
    private final ClientEpochs epochs;
    private final ClientNames names;
    private final long startedNanos = System.nanoTime();
    private final Histogram dnsAnswers = new Histogram(60_000_000L, 3);
    private final Histogram dnsResolves = new Histogram(60_000_000L, 3);

    /**
     * @param dns the DNS service's stats, or null without DNS
     * @param tor the control-port link (its control may be absent)
     */
    public GatewayState(Pipeline pipeline, BufferBudget budget, FlowLimits limits, DnsStats dns, TorLink tor,
                        ClientEpochs epochs) {
        this.pipeline = pipeline;
        this.budget = budget;
        this.limits = limits;
        this.dns = dns;
        this.tor = tor;
        this.epochs = epochs;
        this.names = new ClientNames(limits.clients());
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public BufferBudget budget() {
        return budget;
    }

    public FlowLimits limits() {
        return limits;
    }

    /** The DNS stats, or null without a DNS service. */
    public DnsStats dns() {
        return dns;
    }

    public TorLink tor() {
        return tor;
    }

    public ClientEpochs epochs() {
        return epochs;
    }

    public ClientNames names() {
        return names;
    }

    /** The policy's per-client state (name, profile, firewall, limits and their refusals). */
    public Clients clients() {
        return limits.clients();
    }

    public long uptimeMillis() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** Every shard's snapshot, in shard order, taken on the shards' own threads. */
    public List<ShardSnapshot> shards() throws IOException {
        return await(pipeline.onEachShard((shard, handler, now) -> ((RelayHandler) handler).snapshot(now)));
    }

    /** Kills a stream on the shard that owns it: true when it existed. */
    public boolean kill(long id) throws IOException {
        int owner = StreamInfo.shardOf(id);
        List<Boolean> r = await(pipeline.onEachShard((shard, handler, now) ->
            shard == owner && ((RelayHandler) handler).kill(id, now)));
        return r.contains(Boolean.TRUE);
    }

    /** DNS answer latency (µs) since start: folds the recorder's latest interval in. Copy. */
    public synchronized Histogram dnsAnswerLatency() {
        if (dns != null) {
            dnsAnswers.add(dns.answerLatencyInterval());
        }
        return dnsAnswers.copy();
    }

    /** DNS RESOLVE exchange latency with tor (µs) since start. Copy. */
    public synchronized Histogram dnsResolveLatency() {
        if (dns != null) {
            dnsResolves.add(dns.resolveLatencyInterval());
        }
        return dnsResolves.copy();
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws IOException {
        try {
            return f.get(SNAPSHOT_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("a shard worker did not answer within " + SNAPSHOT_TIMEOUT_MILLIS + " ms");
        } catch (ExecutionException e) {
            throw new IOException("shard task failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}
