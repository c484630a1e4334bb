package io.torgate.gateway.dns;

import io.torgate.gateway.egress.EgressGuard;
import io.torgate.tor.IsolationKeys;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Selector;
import java.util.function.BooleanSupplier;

/**
 * DNS through Tor for the client VMs: UDP and TCP port 53 to any address, answered by us from that address.
 * Everything is answered on the DNS agent thread ({@link DnsAgent}); see {@link DnsEngine} for the table of
 * answers, {@link DnsConfig} for the settings.
 *
 * <p><b>Modes.</b> {@code resolve}: A through SOCKS RESOLVE and PTR through RESOLVE_PTR, with the client's
 * isolation credentials, cached per client with our TTLs (tor reports none), negative answers cached too,
 * identical concurrent queries coalesced onto one RESOLVE. {@code mapped}: each name gets a virtual address at
 * once ({@link VirtualMap}); the relay asks {@link #hostnames()} and CONNECTs by name. {@code .onion} names are
 * mapped in both modes (tor cannot RESOLVE them; a CONNECT by name reaches them).
 *
 * <p><b>Isolation key of a lookup.</b> {@code IsolationKeys.derive(config.profile(), client, name, ptrAddress,
 * 53, null)}. The default profile {@link DnsConfig#DNS_PROFILE} isolates by client (and its epoch) only: a DNS
 * lookup has no destination port, and isolating by name would build one circuit per name looked up, which costs
 * tor a circuit for every lookup and shows the exit nothing it would not see anyway. Two VMs never share a
 * lookup's circuit, credentials or cache entry, and a "new identity" for a VM (epoch bump) changes its DNS key
 * and invalidates its cached answers. A profile that includes DEST_ADDRESS isolates per name, exactly like a
 * TCP stream to that name.
 *
 * <p><b>Wiring (for the gateway).</b> A worker that gets a UDP datagram to port 53 calls {@link #submitUdp}
 * with the addresses and the UDP payload, and is done with it (false: dropped and counted; nothing else to do).
 * The answer is written to the TUN by the agent through the {@link DnsReplySink}. A TCP connection to port 53
 * gets a {@link #openTcpSession} instead of a SOCKS relay. Before CONNECTing to an address, the relay asks
 * {@link HostnameMap#hostnameFor}; a virtual address without a name gets a RST.
 *
 * <p>Lifecycle: construct, {@link #start()} (loads the map, starts the agent thread), {@link #close()} (stops it,
 * fails lookups in flight, saves the map). Thread-safety: every public method may be called from any thread.
 */
public final class DnsService implements AutoCloseable {
    /** Queries one TCP connection may have unanswered at once (RFC 7766 section 6.2.1.1 pipelining). */
    public static final int TCP_MAX_IN_FLIGHT = 16;

    private final DnsConfig config;
    private final DnsStats stats = new DnsStats();
    private final VirtualMap map;
    private final Selector selector;
    private final DnsAgent agent;
    private Thread thread;

    /** As the full constructor, with an egress guard that allows {@code socks} only (tests, tools). */
    public DnsService(DnsConfig config, IsolationKeys keys, BooleanSupplier torReady, SocketAddress socks,
                      DnsReplySink sink) throws IOException {
        this(config, keys, torReady, new EgressGuard(java.util.List.of(socks)), socks, sink);
    }

    /**
     * @param config   the settings
     * @param keys     isolation key derivation (shared with the TCP relay, so epochs are shared)
     * @param torReady true while tor is bootstrapped (e.g. {@code TorService::isReady}); read per query
     * @param egress   the gateway's egress guard; every SOCKS connection is opened through it
     * @param socks    tor's SocksPort (with IsolateSOCKSAuth and ExtendedErrors)
     * @param sink     where UDP answers go (a {@link TunReplySink} in the gateway)
     */
    public DnsService(DnsConfig config, IsolationKeys keys, BooleanSupplier torReady, EgressGuard egress,
                      SocketAddress socks, DnsReplySink sink) throws IOException {
        this(config, keys, torReady, egress, socks, sink, null);
    }

    /** As above, with each client's query rate decided by {@code rates} (the gateway's live policy), or null. */
    public DnsService(DnsConfig config, IsolationKeys keys, BooleanSupplier torReady, EgressGuard egress,
                      SocketAddress socks, DnsReplySink sink, DnsRateLimit rates) throws IOException {
        this.config = config;
        this.map = new VirtualMap(config.virtualNetwork(), config.virtualPrefix(), config.mapEntries());
        this.selector = Selector.open();
        DnsAgent[] self = new DnsAgent[1];
        DnsEngine engine = new DnsEngine(config, keys, torReady, stats, map, (r, now) -> self[0].emit(r, now),
            rates);
        TorUpstream upstream = new TorUpstream(egress, socks, selector, config.resolveTimeoutMillis() * 1_000_000L,
            config.lookups(), stats, engine);
        engine.upstream(upstream);
        this.agent = new DnsAgent(config, engine, selector, upstream, sink, stats, map);
        self[0] = agent;
    }

    /** Loads the persisted map (if configured) and starts the agent thread. Call once. */
    public synchronized void start() throws IOException {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        if (config.mapFile() != null) {
            map.load(config.mapFile());
        }
        thread = Thread.ofPlatform().name("torgate-dns").daemon(true).start(agent);
    }

    /**
     * Hands a UDP query to the agent (copied; the caller's buffer is free on return).
     *
     * @param client     the client's address (the IP source)
     * @param clientPort the client's port
     * @param server     the address the query was sent to (answers come from it)
     * @param serverPort the port it was sent to (53)
     * @return false when it was dropped (no free slot, or larger than any query we accept); counted
     */
    public boolean submitUdp(int client, int clientPort, int server, int serverPort, ByteBuffer payload,
                             int offset, int length) {
        return agent.submitUdp(client, clientPort, server, serverPort, payload, offset, length);
    }

    boolean submitTcp(DnsTcpSession session, int client, int server, ByteBuffer payload, int offset, int length) {
        return agent.submitTcp(session, client, server, payload, offset, length);
    }

    /**
     * A handler for one TCP connection from {@code client} to {@code server}:53; see {@link DnsTcpSession} for
     * the calls the worker makes.
     *
     * @param outputReady run on the agent thread when answers are ready to read (mark and wake; do not block)
     */
    public DnsTcpSession openTcpSession(int client, int server, Runnable outputReady) {
        return new DnsTcpSession(this, client, server, outputReady, TCP_MAX_IN_FLIGHT);
    }

    /** Virtual address → host name, for the TCP relay (thread-safe, lock-free). */
    public HostnameMap hostnames() {
        return map;
    }

    public DnsStats stats() {
        return stats;
    }

    public DnsConfig config() {
        return config;
    }

    /** Stops the agent (lookups in flight get SERVFAIL), saves the map, closes the selector. Idempotent. */
    @Override
    public synchronized void close() {
        agent.stop();
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            System.getLogger(DnsService.class.getName()).log(System.Logger.Level.DEBUG, "closing: {0}", e);
        }
    }
}
