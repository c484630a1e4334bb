package io.torgate.gateway.metrics;

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

    /** Client address → counters summed over shards, ordered by address (unsigned). */
    public static Map<Integer, ClientStats> of(List<ShardSnapshot> shards) {
        Map<Integer, ClientStats> total = new TreeMap<>(Integer::compareUnsigned);
        for (ShardSnapshot s : shards) {
            for (ClientStats c : s.clients()) {
                total.computeIfAbsent(c.client, ClientStats::empty).add(c);
            }
        }
        return total;
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
