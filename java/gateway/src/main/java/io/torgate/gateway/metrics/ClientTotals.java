package io.torgate.gateway.metrics;

import io.torgate.gateway.policy.ClientSnapshot;
import io.torgate.gateway.relay.ClientStats;
import io.torgate.gateway.relay.ShardSnapshot;
import io.torgate.gateway.relay.StreamInfo;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Per-client totals over every shard's snapshot (clients are spread over shards by flow hash). Stateless. */
public final class ClientTotals {
    private ClientTotals() {
    }

    /**
     * Client address → counters summed over shards, ordered by address (unsigned), with the policy's per-client
     * counts merged in: both count the refusals they see (limits and firewall at admission by the policy, SOCKS
     * failures and kills by the relay, DNS rate refusals only by the policy), so each reason shows the larger of
     * the two; DNS queries likewise (the policy also sees DNS over TCP).
     */
    public static Map<Integer, ClientStats> of(List<ShardSnapshot> shards, List<ClientSnapshot> policy) {
        Map<Integer, ClientStats> total = new TreeMap<>(Integer::compareUnsigned);
        for (ShardSnapshot s : shards) {
            for (ClientStats c : s.clients()) {
                total.computeIfAbsent(c.client, ClientStats::empty).add(c);
            }
        }
        for (ClientSnapshot p : policy) {
            ClientStats c = total.computeIfAbsent(p.address(), ClientStats::empty);
            p.refused().forEach(c::atLeast);
            c.dnsAtLeast(p.dnsQueries());
        }
        return total;
    }

    /** Client address → the policy's view of it. */
    public static Map<Integer, ClientSnapshot> policy(List<ClientSnapshot> policy) {
        Map<Integer, ClientSnapshot> m = new TreeMap<>(Integer::compareUnsigned);
        for (ClientSnapshot p : policy) {
            m.put(p.address(), p);
        }
        return m;
    }

    /** Client address → open streams. */
    public static Map<Integer, Integer> liveStreams(List<ShardSnapshot> shards) {
        Map<Integer, Integer> live = new TreeMap<>(Integer::compareUnsigned);
        for (ShardSnapshot s : shards) {
            for (StreamInfo i : s.streams()) {
                live.merge(i.client(), 1, Integer::sum);
            }
        }
        return live;
    }
}
