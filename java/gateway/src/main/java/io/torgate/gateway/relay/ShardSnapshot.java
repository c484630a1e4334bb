package io.torgate.gateway.relay;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * What one shard reports to the control socket and metrics: its live streams, its per-client counters and a copy of
 * its SOCKS connect latency histogram (microseconds, from the SOCKS connection attempt to tor's reply). Built on
 * the shard's own thread by {@link RelayHandler#snapshot(long)}; immutable afterwards, so any thread may read it.
 */
public record ShardSnapshot(int shard, List<StreamInfo> streams, List<ClientStats> clients, Histogram socksConnect,
                            SocksPoolStats socksPool) {
    public ShardSnapshot {
        streams = List.copyOf(streams);
        clients = List.copyOf(clients);
    }

    /** Without pre-connected SOCKS sockets. */
    public ShardSnapshot(int shard, List<StreamInfo> streams, List<ClientStats> clients, Histogram socksConnect) {
        this(shard, streams, clients, socksConnect, SocksPoolStats.NONE);
    }
}
