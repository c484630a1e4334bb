package io.torgate.gateway.relay;

import io.torgate.gateway.classify.DropReason;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps on new flows, shared by every worker (a client's flows hash to different shards): SYNs waiting for a SOCKS
 * reply and open streams, per client and overall. A flow is admitted with {@link #admit} (counting one SYN in
 * flight and one stream), {@link #synDone} when its SOCKS exchange ends either way, {@link #streamDone} when the
 * flow is gone. A refusal changes nothing and names the cap that was hit.
 *
 * <p>Thread-safe: atomics per counter; a client's entry is created on its first SYN (one allocation per client,
 * never per packet).
 */
public final class FlowLimits {
    private final int synsPerClient;
    private final int syns;
    private final int streamsPerClient;
    private final int streams;
    private final AtomicInteger synCount = new AtomicInteger();
    private final AtomicInteger streamCount = new AtomicInteger();
    private final ConcurrentHashMap<Integer, ClientCount> clients = new ConcurrentHashMap<>();

    private static final class ClientCount {
        final AtomicInteger syns = new AtomicInteger();
        final AtomicInteger streams = new AtomicInteger();
    }

    public FlowLimits(int synsPerClient, int syns, int streamsPerClient, int streams) {
        this.synsPerClient = synsPerClient;
        this.syns = syns;
        this.streamsPerClient = streamsPerClient;
        this.streams = streams;
    }

    /**
     * Admits a new flow of {@code client} if no cap is hit.
     *
     * @return null when admitted, else the reason (one of the {@code *_LIMIT_*} drop reasons)
     */
    public DropReason admit(int client) {
        ClientCount c = clients.computeIfAbsent(client, k -> new ClientCount());
        DropReason refused = take(c.syns, synsPerClient, DropReason.SYN_LIMIT_CLIENT, null);
        refused = take(synCount, syns, DropReason.SYN_LIMIT_GLOBAL, refused);
        refused = take(c.streams, streamsPerClient, DropReason.STREAM_LIMIT_CLIENT, refused);
        refused = take(streamCount, streams, DropReason.STREAM_LIMIT_GLOBAL, refused);
        if (refused != null) {
            release(c, refused);
        }
        return refused;
    }

    /** Takes one unit unless an earlier cap already refused or this one is full. */
    private static DropReason take(AtomicInteger counter, int cap, DropReason ifFull, DropReason already) {
        if (already != null) {
            return already;
        }
        if (counter.incrementAndGet() > cap) {
            counter.decrementAndGet();
            return ifFull;
        }
        return null;
    }

    /** Gives back the units taken before the cap that refused. */
    private void release(ClientCount c, DropReason refusedAt) {
        switch (refusedAt) {
            case STREAM_LIMIT_GLOBAL -> {
                c.streams.decrementAndGet();
                synCount.decrementAndGet();
                c.syns.decrementAndGet();
            }
            case STREAM_LIMIT_CLIENT -> {
                synCount.decrementAndGet();
                c.syns.decrementAndGet();
            }
            case SYN_LIMIT_GLOBAL -> c.syns.decrementAndGet();
            default -> {
            }
        }
    }

    /** The flow's SOCKS exchange ended (success or not): it no longer counts as a SYN in flight. */
    public void synDone(int client) {
        ClientCount c = clients.get(client);
        c.syns.decrementAndGet();
        synCount.decrementAndGet();
    }

    /** The flow is gone: it no longer counts as a stream. */
    public void streamDone(int client) {
        ClientCount c = clients.get(client);
        c.streams.decrementAndGet();
        streamCount.decrementAndGet();
    }

    /** SYNs waiting for SOCKS replies, overall. */
    public int synsInFlight() {
        return synCount.get();
    }

    /** Open streams (SYNs in flight included), overall. */
    public int streams() {
        return streamCount.get();
    }

    /** Open streams of one client. */
    public int streams(int client) {
        ClientCount c = clients.get(client);
        return c == null ? 0 : c.streams.get();
    }
}
