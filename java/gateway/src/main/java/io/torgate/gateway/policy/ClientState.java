package io.torgate.gateway.policy;

import io.torgate.gateway.classify.DropReason;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The live state of one client address: what counts against its limits (SYNs in flight, open streams, its
 * new-stream and DNS token buckets) and what it was refused, by {@link DropReason}. Created on the client's first
 * SYN or DNS query and kept for the life of the gateway (clients are VMs).
 *
 * <p>Thread-safe: atomics only; workers, the DNS agent and readers (the control socket, metrics) share it without
 * locks. Nothing here allocates.
 */
public final class ClientState {
    final int address;
    private final AtomicInteger syns = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final RateBucket newStreams = new RateBucket();
    private final RateBucket dnsQueries = new RateBucket();
    private final AtomicLong streamsOpened = new AtomicLong();
    private final AtomicLong dnsQueriesSeen = new AtomicLong();
    private final AtomicLongArray refused = new AtomicLongArray(DropReason.COUNT);

    ClientState(int address) {
        this.address = address;
    }

    /** Counts one refusal of this client for {@code reason}. */
    public void count(DropReason reason) {
        refused.incrementAndGet(reason.ordinal());
    }

    /** Counts one more SYN in flight unless {@code cap} are already; false (no change) at the cap. */
    public boolean takeSyn(int cap) {
        return take(syns, cap);
    }

    public void releaseSyn() {
        syns.decrementAndGet();
    }

    /** Counts one more open stream unless {@code cap} are already open; false (no change) at the cap. */
    public boolean takeStream(int cap) {
        return take(streams, cap);
    }

    public void releaseStream() {
        streams.decrementAndGet();
    }

    /** Takes a token of the new-streams bucket at the caps' rate; counts the stream as opened when it does. */
    public boolean takeNewStream(long now, ClientCaps caps) {
        if (!newStreams.tryTake(now, caps.newStreamsPerSecond(), caps.newStreamsBurst())) {
            return false;
        }
        streamsOpened.incrementAndGet();
        return true;
    }

    /** Counts a DNS query and takes a token of the DNS bucket at the caps' rate. */
    public boolean takeDnsQuery(long now, ClientCaps caps) {
        dnsQueriesSeen.incrementAndGet();
        return dnsQueries.tryTake(now, caps.dnsQueriesPerSecond(), caps.dnsBurst());
    }

    private static boolean take(AtomicInteger counter, int cap) {
        if (counter.incrementAndGet() > cap) {
            counter.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Refusals for {@code reason} so far. */
    public long refused(DropReason reason) {
        return refused.get(reason.ordinal());
    }

    public int address() {
        return address;
    }

    /** SYNs waiting for a SOCKS reply now. */
    public int synsInFlight() {
        return syns.get();
    }

    /** Open streams now (SYNs in flight included). */
    public int streams() {
        return streams.get();
    }

    /** Streams admitted so far. */
    public long streamsOpened() {
        return streamsOpened.get();
    }

    /** DNS queries that reached the DNS service's rate check so far. */
    public long dnsQueries() {
        return dnsQueriesSeen.get();
    }
}
