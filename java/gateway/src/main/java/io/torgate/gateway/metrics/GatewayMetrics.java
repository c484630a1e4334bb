package io.torgate.gateway.metrics;

import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.dns.DnsCounter;
import io.torgate.gateway.ops.GatewayState;
import io.torgate.gateway.ops.TorLink;
import io.torgate.gateway.relay.ClientStats;
import io.torgate.gateway.relay.ShardSnapshot;
import io.torgate.gateway.relay.SocksPoolStats;
import io.torgate.gateway.relay.StreamInfo;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The gateway's metrics in Prometheus text format, for {@code GET /metrics} and {@code torgate ctl metrics}. Every
 * call takes fresh shard snapshots (see {@link GatewayState#shards()}), so per-client traffic and the SOCKS
 * latency histogram cost nothing on the packet path. Stateless apart from the state it reads; thread-safe.
 */
public final class GatewayMetrics {
    private final GatewayState state;

    public GatewayMetrics(GatewayState state) {
        this.state = state;
    }

    /** The exposition text. */
    public String render() throws IOException {
        List<ShardSnapshot> shards = state.shards();
        PrometheusText p = new PrometheusText();
        p.family("torgate_uptime_seconds", "gauge", "Seconds since the gateway started.")
            .sample("torgate_uptime_seconds", state.uptimeMillis() / 1000.0);
        List<DropCounters> counters = state.pipeline().allCounters();
        p.family("torgate_drops_total", "counter", "Packets and flows not served, by reason.");
        for (DropReason r : DropReason.values()) {
            p.sample("torgate_drops_total", DropCounters.sum(counters, r), "reason", r.label());
        }
        p.family("torgate_packets_in_total", "counter", "Packets read from the TUN into the ring.")
            .sample("torgate_packets_in_total", state.pipeline().packetsIn());
        p.family("torgate_queue_packets_in_total", "counter", "Packets read from each TUN queue into its ring.");
        for (int q = 0; q < state.pipeline().queues(); q++) {
            p.sample("torgate_queue_packets_in_total", state.pipeline().packetsIn(q), "queue", Integer.toString(q));
        }
        p.family("torgate_misqueued_tcp_packets_total", "counter",
            "TCP packets the kernel delivered on a TUN queue other than their worker's (flow steering missed).")
            .sample("torgate_misqueued_tcp_packets_total", state.pipeline().misqueued());
        p.family("torgate_ring_occupancy", "gauge", "Ring events published but not yet consumed by every worker.")
            .sample("torgate_ring_occupancy", state.pipeline().ringOccupancy());
        streams(p, shards);
        p.family("torgate_buffer_budget_used_bytes", "gauge",
                "Buffer bytes holding data now (borrowed while bytes are in flight; an idle stream holds none).")
            .sample("torgate_buffer_budget_used_bytes", state.budget().used());
        p.family("torgate_buffer_budget_refusals_total", "counter",
                "Buffer memory a flow asked for while the budget was spent (a segment dropped unacknowledged, fewer"
                + " bytes taken, or a short wait).")
            .sample("torgate_buffer_budget_refusals_total", state.budget().refusals());
        p.family("torgate_buffer_budget_max_bytes", "gauge", "The global buffer budget ([limits] buffer_bytes).")
            .sample("torgate_buffer_budget_max_bytes", state.budget().max());
        clients(p, shards);
        Histogram socks = new Histogram(60_000_000L, 2);
        for (ShardSnapshot s : shards) {
            socks.add(s.socksConnect());
        }
        p.family("torgate_socks_connect_seconds", "histogram",
            "Time from opening a SOCKS connection to tor's CONNECT reply (success or failure).");
        p.histogram("torgate_socks_connect_seconds", socks);
        socksPool(p, shards);
        dns(p);
        tor(p);
        return p.toString();
    }

    private static void socksPool(PrometheusText p, List<ShardSnapshot> shards) {
        SocksPoolStats t = SocksPoolStats.NONE;
        for (ShardSnapshot s : shards) {
            t = t.plus(s.socksPool());
        }
        p.family("torgate_socks_preconnected", "gauge",
                "Sockets connected to the SOCKS endpoint ahead of demand ([socks] preconnect), now.")
            .sample("torgate_socks_preconnected", t.pooled());
        p.family("torgate_socks_preconnect_total", "counter",
            "Held SYNs by how their SOCKS socket came: hit (pre-connected), miss (fresh connect); pre-connected"
            + " sockets closed as dead when taken, expired unused, retried (dead on first use, request sent again on a"
            + " fresh socket), opened.");
        p.sample("torgate_socks_preconnect_total", t.hits(), "result", "hit");
        p.sample("torgate_socks_preconnect_total", t.misses(), "result", "miss");
        p.sample("torgate_socks_preconnect_total", t.dead(), "result", "dead");
        p.sample("torgate_socks_preconnect_total", t.expired(), "result", "expired");
        p.sample("torgate_socks_preconnect_total", t.retried(), "result", "retried");
        p.sample("torgate_socks_preconnect_total", t.opened(), "result", "opened");
    }

    private static void streams(PrometheusText p, List<ShardSnapshot> shards) {
        Map<String, Integer> byState = new TreeMap<>();
        for (ShardSnapshot s : shards) {
            for (StreamInfo i : s.streams()) {
                byState.merge(i.state(), 1, Integer::sum);
            }
        }
        p.family("torgate_streams", "gauge", "Open client streams, by state.");
        for (String st : List.of("connecting", "relaying", "dns", "socks-request", "socks-upstream")) {
            byState.putIfAbsent(st, 0);
        }
        byState.forEach((st, n) -> p.sample("torgate_streams", n, "state", st));
    }

    private void clients(PrometheusText p, List<ShardSnapshot> shards) {
        Map<Integer, ClientStats> total = ClientTotals.of(shards, state.clients().snapshot());
        Map<Integer, Integer> live = ClientTotals.liveStreams(shards);
        p.family("torgate_client_streams", "gauge", "Open streams per client.");
        total.forEach((c, s) -> p.sample("torgate_client_streams", live.getOrDefault(c, 0), labels(c)));
        p.family("torgate_client_streams_opened_total", "counter", "Streams a client opened (SYNs admitted).");
        total.forEach((c, s) -> p.sample("torgate_client_streams_opened_total", s.streamsOpened(), labels(c)));
        p.family("torgate_client_bytes_total", "counter", "Relayed bytes per client; up = client to Tor.");
        total.forEach((c, s) -> {
            p.sample("torgate_client_bytes_total", s.bytesUp(), labels(c, "direction", "up"));
            p.sample("torgate_client_bytes_total", s.bytesDown(), labels(c, "direction", "down"));
        });
        p.family("torgate_client_dns_queries_total", "counter", "DNS queries per client.");
        total.forEach((c, s) -> p.sample("torgate_client_dns_queries_total", s.dnsQueries(), labels(c)));
        p.family("torgate_client_drops_total", "counter", "Refused flows per client and reason (limits included).");
        total.forEach((c, s) -> {
            for (DropReason r : DropReason.values()) {
                if (s.drops(r) > 0) {
                    p.sample("torgate_client_drops_total", s.drops(r), labels(c, "reason", r.label()));
                }
            }
        });
    }

    /**
     * {@code client} is the address (unique: a {@code [[clients]]} range may hold several clients), {@code name} the
     * range's name ("" when none); the overflow entry of untracked clients is {@code client="other"}.
     */
    private String[] labels(int client, String... more) {
        String name = client == 0 ? null : state.names().nameOf(client);
        String[] l = new String[4 + more.length];
        l[0] = "client";
        l[1] = client == 0 ? "other" : Cidr.format(client);
        l[2] = "name";
        l[3] = name == null ? "" : name;
        System.arraycopy(more, 0, l, 4, more.length);
        return l;
    }

    private void dns(PrometheusText p) {
        if (state.dns() == null) {
            return;
        }
        p.family("torgate_dns_events_total", "counter", "DNS service events by kind (queries, answers, drops...).");
        for (DnsCounter c : DnsCounter.values()) {
            p.sample("torgate_dns_events_total", state.dns().get(c), "event", c.label());
        }
        p.family("torgate_dns_answer_seconds", "histogram", "Time from a query reaching the DNS agent to its answer.");
        p.histogram("torgate_dns_answer_seconds", state.dnsAnswerLatency());
        p.family("torgate_dns_resolve_seconds", "histogram", "Time of a SOCKS RESOLVE exchange with tor.");
        p.histogram("torgate_dns_resolve_seconds", state.dnsResolveLatency());
    }

    private void tor(PrometheusText p) {
        TorLink.State t = state.tor().state();
        p.family("torgate_tor_bootstrap_percent", "gauge", "Tor's bootstrap progress, 0..100; -1 when unknown.")
            .sample("torgate_tor_bootstrap_percent", t.bootstrapProgress());
        p.family("torgate_tor_control_up", "gauge", "1 when tor's control port answered this scrape.")
            .sample("torgate_tor_control_up", t.error() == null ? 1 : 0);
    }
}
