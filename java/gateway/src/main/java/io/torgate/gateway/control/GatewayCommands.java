package io.torgate.gateway.control;

import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.metrics.ClientTotals;
import io.torgate.gateway.metrics.GatewayMetrics;
import io.torgate.gateway.ops.GatewayState;
import io.torgate.gateway.ops.TorLink;
import io.torgate.gateway.ops.TorStreams;
import io.torgate.gateway.policy.ClientSnapshot;
import io.torgate.gateway.relay.ClientStats;
import io.torgate.gateway.relay.ShardSnapshot;
import io.torgate.gateway.relay.StreamInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's own control commands: {@code status}, {@code clients}, {@code streams}, {@code kill},
 * {@code newnym} and {@code metrics}, each as a table or, with {@code --json}, as JSON. Registered on a
 * {@link ControlServer} by {@link #registerAll}. Stateless apart from the state it reads; thread-safe.
 */
public final class GatewayCommands {
    private final GatewayState state;
    private final GatewayMetrics metrics;

    public GatewayCommands(GatewayState state) {
        this.state = state;
        this.metrics = new GatewayMetrics(state);
    }

    /** Registers every command of this class. */
    public void registerAll(ControlServer server) {
        server.register("status", "status: tor bootstrap, uptime, streams, ring, buffers, drops by reason",
            this::status);
        server.register("clients", "clients: per client streams, bytes, DNS queries, drops, limit hits, profile",
            this::clients);
        server.register("streams", "streams: per stream client, destination, hostname, isolation key, age, bytes, "
            + "tor circuit and exit (\"ambiguous\" when siblings of one key and target cannot be told apart)",
            this::streams);
        server.register("kill", "kill STREAM: reset one stream (RST to the client, SOCKS closed; counted as killed)",
            this::kill);
        server.register("newnym", "newnym CLIENT: new identity for one client (address or name): its next streams "
            + "use new isolation keys and its circuits are closed; unlike tor's SIGNAL NEWNYM no other client is "
            + "touched", this::newnym);
        server.register("metrics", "metrics: the Prometheus text exposition", r -> ControlReply.ok(metrics.render()));
    }

    ControlReply status(ControlRequest r) throws Exception {
        List<ShardSnapshot> shards = state.shards();
        TorLink.State tor = state.tor().state();
        int streams = 0;
        for (ShardSnapshot s : shards) {
            streams += s.streams().size();
        }
        Map<String, Long> drops = new LinkedHashMap<>();
        List<DropCounters> counters = state.pipeline().allCounters();
        for (DropReason reason : DropReason.values()) {
            long n = DropCounters.sum(counters, reason);
            if (n > 0 || r.json()) {
                drops.put(reason.label(), n);
            }
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("uptime_seconds", state.uptimeMillis() / 1000);
        j.put("workers", state.pipeline().workers());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("mode", tor.mode());
        t.put("process", tor.process());
        t.put("bootstrap_percent", tor.bootstrapProgress());
        t.put("bootstrap_tag", tor.bootstrapTag());
        t.put("error", tor.error());
        t.put("tracked_tor_streams", state.tor().streams().streams().size());
        j.put("tor", t);
        j.put("streams", streams);
        j.put("syns_in_flight", state.limits().synsInFlight());
        j.put("ring_occupancy", state.pipeline().ringOccupancy());
        j.put("packets_in", state.pipeline().packetsIn());
        j.put("queues", queues());
        j.put("misqueued_tcp_packets", state.pipeline().misqueued());
        j.put("buffer_used_bytes", state.budget().used());
        j.put("buffer_max_bytes", state.budget().max());
        j.put("drops", drops);
        if (r.json()) {
            return ControlReply.ok(Json.write(j));
        }
        StringBuilder sb = new StringBuilder();
        sb.append("uptime    ").append(duration(state.uptimeMillis())).append(", ")
            .append(state.pipeline().workers()).append(" worker(s)\n");
        sb.append("tor       ").append(tor.mode()).append(tor.process().equals("-") ? "" : " (" + tor.process() + ")")
            .append(", bootstrap ").append(tor.bootstrapProgress() < 0 ? "unknown" : tor.bootstrapProgress() + "% "
                + tor.bootstrapTag()).append(tor.error() == null ? "" : " (" + tor.error() + ")").append('\n');
        sb.append("streams   ").append(streams).append(" open, ").append(state.limits().synsInFlight())
            .append(" SYN(s) waiting for tor\n");
        sb.append("ring      ").append(state.pipeline().ringOccupancy()).append(" event(s) queued, ")
            .append(state.pipeline().packetsIn()).append(" packet(s) in\n");
        if (state.pipeline().queues() > 1) {
            sb.append("queues    ").append(queues()).append(" packet(s) in per TUN queue, ")
                .append(state.pipeline().misqueued()).append(" TCP packet(s) on another worker's queue\n");
        }
        sb.append("buffers   ").append(mib(state.budget().used())).append(" of ").append(mib(state.budget().max()))
            .append('\n');
        Table d = new Table("DROP REASON", "COUNT");
        drops.forEach((k, v) -> d.row(k, v));
        sb.append(d.size() == 0 ? "drops     none\n" : d.toString());
        return ControlReply.ok(sb.toString());
    }

    /** Packets read per TUN queue, in queue order. */
    private List<Long> queues() {
        List<Long> in = new java.util.ArrayList<>();
        for (int q = 0; q < state.pipeline().queues(); q++) {
            in.add(state.pipeline().packetsIn(q));
        }
        return in;
    }

    ControlReply clients(ControlRequest r) throws Exception {
        List<ShardSnapshot> shards = state.shards();
        List<ClientSnapshot> policy = state.clients().snapshot();
        Map<Integer, ClientStats> totals = ClientTotals.of(shards, policy);
        Map<Integer, ClientSnapshot> byAddress = ClientTotals.policy(policy);
        Map<Integer, Integer> live = ClientTotals.liveStreams(shards);
        List<Object> rows = new ArrayList<>();
        Table t = new Table("CLIENT", "NAME", "STREAMS", "OPENED", "BYTES UP", "BYTES DOWN", "DNS", "DROPS",
            "LIMIT HITS", "PROFILE", "FIREWALL", "EPOCH");
        for (ClientStats c : totals.values()) {
            ClientSnapshot p = byAddress.get(c.client);
            String address = c.client == 0 ? "other" : Cidr.format(c.client);
            String name = c.client == 0 ? null : state.names().nameOf(c.client);
            String profile = p != null && p.profile() != null ? p.profile() : c.lastProfile();
            String firewall = p == null ? null : p.firewall();
            long epoch = c.client == 0 ? 0 : state.epochs().epoch(c.client);
            int open = live.getOrDefault(c.client, 0);
            t.row(address, name, open, c.streamsOpened(), c.bytesUp(), c.bytesDown(), c.dnsQueries(), c.dropsTotal(),
                c.limitHits(), profile, firewall, epoch);
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("client", address);
            j.put("name", name);
            j.put("streams", open);
            j.put("streams_opened", c.streamsOpened());
            j.put("syns_in_flight", p == null ? 0 : p.synsInFlight());
            j.put("bytes_up", c.bytesUp());
            j.put("bytes_down", c.bytesDown());
            j.put("dns_queries", c.dnsQueries());
            j.put("drops", c.dropsTotal());
            j.put("limit_hits", c.limitHits());
            Map<String, Object> byReason = new LinkedHashMap<>();
            Map<String, Object> limits = new LinkedHashMap<>();
            for (DropReason reason : DropReason.values()) {
                if (c.drops(reason) > 0) {
                    byReason.put(reason.label(), c.drops(reason));
                    if (ClientStats.isLimit(reason)) {
                        limits.put(reason.label(), c.drops(reason));
                    }
                }
            }
            j.put("drops_by_reason", byReason);
            j.put("limit_hits_by_reason", limits);
            j.put("profile", profile);
            j.put("firewall", firewall);
            j.put("epoch", epoch);
            rows.add(j);
        }
        return ControlReply.ok(r.json() ? Json.write(rows) : t.toString());
    }

    ControlReply streams(ControlRequest r) throws Exception {
        List<StreamInfo> all = new ArrayList<>();
        for (ShardSnapshot s : state.shards()) {
            all.addAll(s.streams());
        }
        all.sort(Comparator.comparingLong(StreamInfo::id));
        TorStreams tor = state.tor().streams();
        Map<String, String> exits = state.tor().exits();
        Map<Long, TorStreams.Match> matches = tor.match(all);
        List<Object> rows = new ArrayList<>();
        Table t = new Table("ID", "CLIENT", "DESTINATION", "HOSTNAME", "STATE", "PROFILE", "KEY", "AGE", "UP", "DOWN",
            "CIRCUIT", "EXIT");
        for (StreamInfo s : all) {
            TorStreams.Match m = matches.get(s.id());
            String circuit = m == null || "0".equals(m.circuitId()) ? null : m.circuitId();
            String exit = circuit == null ? null : exits.get(circuit);
            boolean ambiguous = m != null && TorStreams.AMBIGUOUS.equals(m.by());
            String client = state.names().label(s.client());
            String destination = Cidr.format(s.destination()) + ":" + s.destinationPort();
            t.row(s.id(), client, destination, s.hostname(), s.state(), s.profile(), s.isolationKeyId(),
                duration(s.ageMillis()), s.bytesUp(), s.bytesDown(),
                ambiguous ? (circuit == null ? "ambiguous" : circuit + " (ambiguous)") : circuit, exit);
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("id", s.id());
            j.put("client", Cidr.format(s.client()));
            j.put("client_name", state.names().nameOf(s.client()));
            j.put("client_port", s.clientPort());
            j.put("destination", destination);
            j.put("hostname", s.hostname());
            j.put("state", s.state());
            j.put("profile", s.profile());
            j.put("isolation_key_id", s.isolationKeyId());
            j.put("isolation_key", s.isolationKey());
            j.put("socks_source", s.socksLocal());
            j.put("age_ms", s.ageMillis());
            j.put("bytes_up", s.bytesUp());
            j.put("bytes_down", s.bytesDown());
            j.put("tor_stream", m == null || ambiguous ? null : m.torStreamId());
            j.put("circuit", circuit);
            j.put("circuit_matched_by", m == null ? null : m.by());
            j.put("exit", exit);
            rows.add(j);
        }
        return ControlReply.ok(r.json() ? Json.write(rows) : t.toString());
    }

    ControlReply kill(ControlRequest r) throws Exception {
        String arg = r.arg(0, "STREAM");
        long id;
        try {
            id = Long.parseLong(arg);
        } catch (NumberFormatException e) {
            throw new ControlException("kill: STREAM must be a stream id from 'streams' (got '" + arg + "')");
        }
        if (id <= 0 || !state.kill(id)) {
            throw new ControlException("kill: no open stream " + id);
        }
        return ControlReply.ok(r.json() ? Json.write(Map.of("killed", id)) : "killed stream " + id + "\n");
    }

    ControlReply newnym(ControlRequest r) throws Exception {
        String arg = r.arg(0, "CLIENT");
        List<Integer> named = state.names().addressesOf(arg);
        if (named.isEmpty()) {
            try {
                named = List.of(Cidr.parseAddress(arg));
            } catch (IllegalArgumentException e) {
                throw new ControlException("newnym: CLIENT must be a client address or a configured name (got '"
                    + arg + "')");
            }
        }
        StringBuilder text = new StringBuilder();
        List<Object> rows = new ArrayList<>();
        for (int client : named) {
            Map<String, Object> j = newnym(client);
            rows.add(j);
            text.append(j.remove("text"));
        }
        return ControlReply.ok(r.json() ? Json.write(rows.size() == 1 ? rows.get(0) : rows) : text.toString());
    }

    /** New identity for one address: the JSON fields, and the human line under "text". */
    private Map<String, Object> newnym(int client) {
        int closed = -1;
        String note = "";
        io.torgate.tor.ControlClient control = null;
        if (state.tor().hasControl()) {
            try {
                control = state.tor().control();
            } catch (java.io.IOException e) {
                note = " (tor's control port is unavailable: " + e.getMessage() + "; old circuits stay until tor"
                    + " retires them)";
            }
        } else {
            note = " (no tor control port: old circuits stay until tor retires them)";
        }
        if (control != null) {
            try {
                closed = state.tor().newIdentity().newIdentity(client, control); // bumps the epoch first
            } catch (java.io.IOException e) {
                note = " (closing its circuits failed: " + e.getMessage() + ")";
            }
        } else {
            state.epochs().bump(client);
        }
        long epoch = state.epochs().epoch(client);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("client", Cidr.format(client));
        j.put("epoch", epoch);
        j.put("circuits_closed", closed < 0 ? null : closed);
        j.put("text", "client " + Cidr.format(client) + ": epoch " + epoch
            + (closed < 0 ? "" : ", " + closed + " circuit(s) closed") + note + "\n");
        return j;
    }

    static String duration(long millis) {
        long s = millis / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + String.format("%02d", s % 60) + "s";
        }
        return s / 3600 + "h" + String.format("%02d", s / 60 % 60) + "m";
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
