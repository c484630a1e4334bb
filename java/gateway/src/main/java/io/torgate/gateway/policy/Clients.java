package io.torgate.gateway.policy;

import io.torgate.gateway.classify.DropReason;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Every client the gateway has seen, with its {@link ClientState}, and the live {@link Policy}. The workers
 * (admission, firewall), the DNS agent (query rates) and readers (control socket, metrics) share one instance.
 *
 * <p>Read API for the control socket and metrics: {@link #snapshot()} (every client) and {@link #snapshot(int)} (one
 * address) copy the counters; {@link #policy()} is the policy in force.
 *
 * <p>Thread-safe without locks: the policy is a volatile reference; clients live in a fixed open-addressing table
 * whose key slots are claimed by compare-and-set, so a lookup allocates nothing. Address 0 marks a free slot (0.0.0.0
 * is never a client: the classifier drops it as spoofed). Past {@link #MAX_CLIENTS} distinct addresses every new one
 * shares one overflow state, so a flood of odd sources limits itself and never the known clients.
 */
public final class Clients {
    /** Distinct client addresses tracked one by one. */
    public static final int MAX_CLIENTS = 2048;
    private static final int CELLS = MAX_CLIENTS * 2;

    private final AtomicIntegerArray keys = new AtomicIntegerArray(CELLS);
    private final AtomicReferenceArray<ClientState> states = new AtomicReferenceArray<>(CELLS);
    private final ClientState overflow = new ClientState(0);
    private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Policy policy;
    private volatile int generation;

    public Clients(Policy policy) {
        this.policy = policy;
    }

    /** The policy in force. */
    public Policy policy() {
        return policy;
    }

    /** Puts a new policy in force for every new flow and query (a reload). */
    public void policy(Policy next) {
        policy = next;
        generation++;
    }

    /** Bumped by each {@link #policy(Policy)}: caches of per-client rates compare it (the DNS limiter). */
    public int generation() {
        return generation;
    }

    /**
     * The DNS service's per-client rate ({@code dns.DnsRateLimit}): takes a token of the client's DNS bucket at its
     * policy's rate; a refusal is counted as {@link DropReason#DNS_RATE_CLIENT}. Allocation-free.
     */
    public boolean tryAcquireDns(int client, long now) {
        ClientState s = state(client);
        if (s.takeDnsQuery(now, policy.clientFor(client).caps())) {
            return true;
        }
        s.count(DropReason.DNS_RATE_CLIENT);
        return false;
    }

    /** The state of {@code address}, created on first sight. Allocation-free once the client exists. */
    public ClientState state(int address) {
        int i = mix(address) & (CELLS - 1);
        while (true) {
            int k = keys.get(i);
            if (k == address) {
                return await(i);
            }
            if (k == 0) {
                if (count.get() >= MAX_CLIENTS) {
                    return overflow;
                }
                if (keys.compareAndSet(i, 0, address)) {
                    count.incrementAndGet();
                    ClientState s = new ClientState(address);
                    states.set(i, s);
                    return s;
                }
                continue; // another thread claimed this slot: look at it again
            }
            i = (i + 1) & (CELLS - 1);
        }
    }

    /** The state of {@code address}, or null when it was never seen. */
    public ClientState find(int address) {
        int i = mix(address) & (CELLS - 1);
        for (int probes = 0; probes < CELLS; probes++) {
            int k = keys.get(i);
            if (k == address) {
                return await(i);
            }
            if (k == 0) {
                return null;
            }
            i = (i + 1) & (CELLS - 1);
        }
        return null;
    }

    /** The slot's state, published just after its key was claimed. */
    private ClientState await(int i) {
        ClientState s;
        while ((s = states.get(i)) == null) {
            Thread.onSpinWait();
        }
        return s;
    }

    /** Every client seen, by address order of the table (not sorted). Any thread. */
    public List<ClientSnapshot> snapshot() {
        List<ClientSnapshot> out = new ArrayList<>();
        Policy p = policy;
        for (int i = 0; i < CELLS; i++) {
            ClientState s = keys.get(i) == 0 ? null : states.get(i);
            if (s != null) {
                out.add(copy(s, p));
            }
        }
        if (count.get() >= MAX_CLIENTS) {
            out.add(copy(overflow, p));
        }
        return out;
    }

    /** One client, or null when it was never seen. */
    public ClientSnapshot snapshot(int address) {
        ClientState s = find(address);
        return s == null ? null : copy(s, policy);
    }

    private static ClientSnapshot copy(ClientState s, Policy p) {
        Map<DropReason, Long> refused = new EnumMap<>(DropReason.class);
        for (int r = 0; r < DropReason.COUNT; r++) {
            long v = s.refused(DropReason.of(r));
            if (v != 0) {
                refused.put(DropReason.of(r), v);
            }
        }
        ClientPolicy c = p.clientFor(s.address);
        String profile = (c.profile() != null ? c.profile() : p.isolation().fallback()).name();
        return new ClientSnapshot(s.address, c.name(), profile, c.firewall().name(), s.synsInFlight(), s.streams(),
            s.streamsOpened(), s.dnsQueries(), refused);
    }

    private static int mix(int x) {
        int h = x * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
