package io.torgate.gateway.relay;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.policy.ClientCaps;
import io.torgate.gateway.policy.ClientState;
import io.torgate.gateway.policy.Clients;
import io.torgate.gateway.policy.Policy;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps on new flows, shared by every worker (a client's flows hash to different shards): SYNs waiting for a SOCKS
 * reply and open streams, per client and overall, and each client's new streams per second. The per-client caps
 * come from the client's {@code [[clients]]} entry in the live {@link Policy}, so a reload changes them for the next
 * SYN. A flow is admitted with {@link #admit} (counting one SYN in flight and one stream), {@link #synDone} when its
 * SOCKS exchange ends either way, {@link #streamDone} when the flow is gone. A refusal changes nothing but the
 * client's refusal count, and names the cap that was hit.
 *
 * <p>Thread-safe: atomics per counter and a lock-free token bucket per client ({@link Clients}); nothing allocates
 * once a client has been seen.
 */
public final class FlowLimits {
    private final int syns;
    private final int streams;
    private final Clients clients;
    private final AtomicInteger synCount = new AtomicInteger();
    private final AtomicInteger streamCount = new AtomicInteger();

    /** Per-client caps from {@code clients}' live policy; {@code syns} and {@code streams} are global. */
    public FlowLimits(int syns, int streams, Clients clients) {
        this.syns = syns;
        this.streams = streams;
        this.clients = clients;
    }

    /** The same per-client caps for every client, no stream rate, no firewall. */
    public FlowLimits(int synsPerClient, int syns, int streamsPerClient, int streams) {
        this(syns, streams, new Clients(Policy.open(ClientCaps.DEFAULTS.withFlows(synsPerClient, streamsPerClient))));
    }

    /** The clients these limits count (their states and the live policy). */
    public Clients clients() {
        return clients;
    }

    /**
     * Admits a new flow of {@code client} if no cap is hit and its new-streams bucket has a token.
     *
     * @param now monotonic nanoseconds, for the rate bucket
     * @return null when admitted, else the reason (one of the {@code *_LIMIT_*} reasons or
     *         {@link DropReason#STREAM_RATE_CLIENT}), also counted for the client
     */
    public DropReason admit(int client, long now) {
        ClientState c = clients.state(client);
        ClientCaps caps = clients.policy().clientFor(client).caps();
        DropReason refused = null;
        if (!c.takeSyn(caps.synsInFlight())) {
            refused = DropReason.SYN_LIMIT_CLIENT;
        } else if (!take(synCount, syns)) {
            c.releaseSyn();
            refused = DropReason.SYN_LIMIT_GLOBAL;
        } else if (!c.takeStream(caps.streams())) {
            releaseSyn(c);
            refused = DropReason.STREAM_LIMIT_CLIENT;
        } else if (!take(streamCount, streams)) {
            c.releaseStream();
            releaseSyn(c);
            refused = DropReason.STREAM_LIMIT_GLOBAL;
        } else if (!c.takeNewStream(now, caps)) {
            releaseStream(c);
            releaseSyn(c);
            refused = DropReason.STREAM_RATE_CLIENT;
        }
        if (refused != null) {
            c.count(refused);
        }
        return refused;
    }

    /** {@link #admit(int, long)} at {@code System.nanoTime()}. */
    public DropReason admit(int client) {
        return admit(client, System.nanoTime());
    }

    private static boolean take(AtomicInteger counter, int cap) {
        if (counter.incrementAndGet() > cap) {
            counter.decrementAndGet();
            return false;
        }
        return true;
    }

    private void releaseSyn(ClientState c) {
        c.releaseSyn();
        synCount.decrementAndGet();
    }

    private void releaseStream(ClientState c) {
        c.releaseStream();
        streamCount.decrementAndGet();
    }

    /** The flow's SOCKS exchange ended (success or not): it no longer counts as a SYN in flight. */
    public void synDone(int client) {
        releaseSyn(clients.state(client));
    }

    /** The flow is gone: it no longer counts as a stream. */
    public void streamDone(int client) {
        releaseStream(clients.state(client));
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
        ClientState c = clients.find(client);
        return c == null ? 0 : c.streams();
    }
}
