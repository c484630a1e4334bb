package io.torgate.gateway.relay;

import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.classify.PacketInfo;
import io.torgate.gateway.egress.EgressGuard;
import io.torgate.gateway.pipeline.PacketEvent;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.pipeline.ShardHandler;
import io.torgate.gateway.pipeline.TxQueue;
import io.torgate.gateway.pipeline.WorkerContext;
import io.torgate.gateway.policy.FirewallRule;
import io.torgate.gateway.policy.Policy;
import io.torgate.stack.BufferBudget;
import io.torgate.stack.ChunkPool;
import io.torgate.stack.FlowTable;
import io.torgate.stack.IsnGenerator;
import io.torgate.stack.TcpConfig;
import io.torgate.stack.TcpConnection;
import io.torgate.stack.TcpCounters;
import io.torgate.stack.TcpSegment;
import io.torgate.stack.TimeWaitTable;
import io.torgate.stack.TimerWheel;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.IsolationKeys;
import io.torgate.tor.IsolationProfile;
import io.torgate.tor.Socks5Client;
import io.torgate.wire.Tcp;
import io.torgate.wire.WireError;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A shard's stream relay: terminates each client TCP flow in a {@link TcpConnection} and carries it over a
 * non-blocking SOCKS5 connection with the flow's isolation credentials.
 *
 * <p>Life of a flow: a SYN for an unknown 4-tuple passes the caps ({@link FlowLimits}, the flow table, the
 * {@link BufferBudget}), is held by the connection, and starts a SOCKS CONNECT (to the IPv4 address, or the host
 * name the {@link HostnameResolver} knows); success completes the handshake (SYN-ACK), failure or timeout answers
 * RST. Then {@link StreamPump} moves bytes both ways with backpressure and carries half-closes. Any other segment
 * for an unknown flow gets a RST (RFC 9293 3.10.7.1). Every refusal is counted and logged at debug level.
 *
 * <p>Ownership: one instance per worker; every method runs on that worker's thread (no locks). Shared
 * collaborators ({@link FlowLimits}, {@link BufferBudget}, {@link IsolationKeys}) are thread-safe.
 */
public final class RelayHandler implements ShardHandler {
    private static final Logger LOG = System.getLogger(RelayHandler.class.getName());
    /** Timer wheel resolution and size: 1 ms ticks, 4096 slots (4 s per revolution). */
    private static final long TICK_NANOS = 1_000_000L;
    /** A flow refused memory by the budget tries again this much later (a few ticks: memory frees as ACKs come). */
    private static final long MEMORY_RETRY_NANOS = 5_000_000L;
    /**
     * How often a worker looks for SOCKS sockets reset behind bytes it has not read ({@link SocketResets}) while any
     * of its flows is blocked on its client: a client learns of the reset this much later at most, for one
     * {@code poll(2)} per period.
     */
    static final long RESET_CHECK_NANOS = 50_000_000L;
    /**
     * Most free chunks or relay buffers a worker keeps for reuse. A worker keeps every one it made, up to what the
     * budget allows (measured: dropping extras to the GC let garbage direct buffers pile up to the direct-memory cap
     * before a GC freed them, because the data path allocates nothing that would trigger one: 196 MiB VmHWM).
     */
    private static final long KEEP_FREE_MAX = 1 << 16;

    private final RelaySettings settings;
    private final EgressGuard egress;
    private final FlowLimits limits;
    private final BufferBudget budget;
    private final PolicyGate gate;
    private final IsolationKeys keys;
    private final HostnameResolver names;
    private final DnsQueries dns;
    private final GatewaySocksPorts socksPorts;
    private final SocksPortServer socksServer;
    private final IsnGenerator isn = new IsnGenerator();
    private final TcpCounters tcpCounters = new TcpCounters();
    private final TcpSegment segment = new TcpSegment();
    private final TimerWheel wheel = new TimerWheel(TICK_NANOS, 4096);
    private final TimerWheel.Handler onTimer = this::onTimer;
    private final Refusals refusals = new Refusals();
    private final FlowPool pool;
    /** This worker's memory for its flows' connection buffers and relay buffers, both charged to {@link #budget}. */
    private final ChunkPool chunks;
    private final RelayBuffers relayBuffers;
    private final FlowTable<Flow> flows;
    /** Tuples in TIME-WAIT after their flow was retired: a few ints each, bounded like the flow table. */
    private final TimeWaitTable timeWait;
    /** How long a flow whose client side ended in order may still drain the client's bytes toward Tor (2 MSL). */
    private final long drainNanos;
    private final DnsStreamPump dnsPump = new DnsStreamPump();
    /** DNS-over-TCP flows of this shard, scanned when the DNS agent signals answers. */
    private final ArrayList<Flow> dnsFlows = new ArrayList<>();
    /**
     * Relaying flows that got only pure ACKs or SOCKS data in this worker turn, serviced once at its end
     * ({@link #onTick}): a download's client ACKs every other segment, and servicing each ACK (and each socket
     * read) on its own would send one small super-segment per event (the window it just opened) instead of one
     * large one for the turn (Linux defers TSO likewise, tcp_tso_should_defer). Sized for the flow table, so
     * adding never allocates.
     */
    private final ArrayList<Flow> serviceDue;
    private volatile boolean dnsWake;
    private StreamPump pump;
    private DropCounters counters;
    private TxQueue tx;
    private TxSink sink;
    private java.nio.channels.Selector selector;
    /** Per-client counters of this shard (clients a shard tracks one by one; see {@link ClientTable}). */
    private final ClientTable clients = new ClientTable(4096);
    /** SOCKS connect latency in µs (attempt → tor's reply), up to a minute, 2 significant digits: fixed size. */
    private final Histogram socksConnect = new Histogram(60_000_000L, 2);
    /** Blocked flows' sockets, polled for a reset every {@link #RESET_CHECK_NANOS}; see {@link #checkResets}. */
    private final SocketResets resets;
    private final java.util.function.Consumer<Flow> watchIfBlocked = this::watchIfBlocked;
    /** When {@link #checkResets} runs next; MAX_VALUE while no flow is blocked. */
    private long resetCheckAt = Long.MAX_VALUE;
    private int shard;
    private long nextSerial;
    /** Sockets pre-connected to the SOCKS endpoint ({@code [socks] preconnect}; capacity 0 = off). */
    private final SocksSocketPool socksPool;
    /** Flows of this shard whose SOCKS CONNECT is in progress: the pool refills only when none is. */
    private int socksPending;

    public RelayHandler(RelaySettings settings, EgressGuard egress, FlowLimits limits, BufferBudget budget,
                        IsolationKeys keys, HostnameResolver names, int maxFlows) {
        this(settings, egress, limits, budget, keys, names, DnsQueries.NONE, maxFlows);
    }

    /** With a DNS service: UDP queries go to {@code dns}, virtual destinations are CONNECTed by name. */
    public RelayHandler(RelaySettings settings, EgressGuard egress, FlowLimits limits, BufferBudget budget,
                        IsolationKeys keys, HostnameResolver names, DnsQueries dns, int maxFlows) {
        this(settings, egress, limits, budget, keys, names, dns, GatewaySocksPorts.NONE, maxFlows);
    }

    /**
     * With the gateway's own SOCKS ports for Tor-aware clients (TorVM 9050/9049) as well. Firewall, per-client limits
     * and isolation rules come from the live policy of {@code limits.clients()}.
     */
    public RelayHandler(RelaySettings settings, EgressGuard egress, FlowLimits limits, BufferBudget budget,
                        IsolationKeys keys, HostnameResolver names, DnsQueries dns, GatewaySocksPorts socksPorts,
                        int maxFlows) {
        this.dns = dns;
        this.socksPorts = socksPorts;
        this.gate = new PolicyGate(limits.clients(), names, clients);
        this.socksServer = new SocksPortServer(keys, egress, settings, gate);
        this.settings = settings;
        this.egress = egress;
        this.limits = limits;
        this.budget = budget;
        this.keys = keys;
        this.names = names;
        this.flows = new FlowTable<>(maxFlows);
        this.resets = new SocketResets(maxFlows);
        this.serviceDue = new ArrayList<>(maxFlows);
        TcpConfig tcpConfig = new TcpConfig().mtu(settings.mtu()).receiveBuffer(settings.tcpBufferBytes())
            .sendBuffer(settings.tcpBufferBytes());
        this.timeWait = new TimeWaitTable(maxFlows, tcpConfig.timeWaitNanos());
        this.drainNanos = tcpConfig.timeWaitNanos();
        this.chunks = new ChunkPool(ChunkPool.DEFAULT_CHUNK_BYTES, budget,
            (int) Math.min(KEEP_FREE_MAX, budget.max() / ChunkPool.DEFAULT_CHUNK_BYTES));
        this.relayBuffers = new RelayBuffers(settings.relayBufferBytes(), budget,
            (int) Math.min(KEEP_FREE_MAX, budget.max() / settings.relayBufferBytes()));
        this.pool = new FlowPool(() -> new Flow(this, new TcpConnection(tcpConfig, isn, tcpCounters, chunks)));
        this.socksPool = new SocksSocketPool(settings.preconnect(), () -> egress.open(settings.socksEndpoint()),
            settings.torReady());
    }

    @Override
    public void start(WorkerContext context) {
        this.counters = context.counters();
        this.shard = context.shard();
        this.tx = context.tx();
        this.sink = new TxSink(tx);
        this.selector = context.selector();
        this.pump = new StreamPump();
        refusals.start(counters, tx);
        socksServer.start(counters, selector, pump);
    }

    /** Flows this shard holds (any state). */
    public int flowCount() {
        return flows.size();
    }

    /** The stack's counters of this shard. */
    public TcpCounters tcpCounters() {
        return tcpCounters;
    }

    @Override
    public void onPacket(PacketEvent event, ByteBuffer buf, long now) {
        if (event.verdict == PacketInfo.DNS_UDP) {
            Policy p = gate.policy();
            if (!gate.allowsDns(p, event.sourceAddress, event.destinationAddress, FirewallRule.UDP)) {
                gate.count(event.sourceAddress, DropReason.FIREWALL_DNS);
                refusals.firewall(event, buf, DropReason.FIREWALL_DNS, p.firewallAnswer());
                return;
            }
            clients.of(event.sourceAddress).dnsQueries++;
            // UDP header is 8 bytes (RFC 768); the service copies the query and answers through the TUN itself.
            dns.submitUdp(event.sourceAddress, event.sourcePort, event.destinationAddress, event.destinationPort,
                buf, event.transportOffset + 8, event.transportLength - 8);
            return;
        }
        if (event.verdict != PacketInfo.TCP) {
            return;
        }
        // The classifier verified the checksum (verdict TCP); lengths, data offset and options are checked here.
        if (segment.parseChecksumVerified(buf, event.transportOffset, event.transportLength, event.sourceAddress,
            event.destinationAddress, tcpCounters) != WireError.OK) {
            refusals.count(event, buf, DropReason.MALFORMED);
            clients.of(event.sourceAddress).drop(DropReason.MALFORMED);
            return;
        }
        Flow f = flows.get(event.sourceAddress, event.sourcePort, event.destinationAddress, event.destinationPort);
        if (f == null) {
            int tw = timeWait.onSegment(segment, now);
            if (tw == TimeWaitTable.ACK) {
                refusals.timeWaitAck(event, timeWait.ackSeq(), timeWait.ackNumber());
            } else if (tw != TimeWaitTable.DROP) {
                newFlow(event, buf, now);
            }
            return;
        }
        f.conn.onSegment(segment, now);
        if (f.phase == Flow.RELAYING && segment.payloadLength() == 0 && segment.flags() == Tcp.ACK) {
            defer(f);
            return;
        }
        service(f, now);
    }

    /** Services {@code f} once at the end of this worker turn ({@link #onTick}), with whatever else came for it. */
    private void defer(Flow f) {
        if (!f.serviceDue) {
            f.serviceDue = true;
            serviceDue.add(f);
        }
    }

    private void newFlow(PacketEvent event, ByteBuffer buf, long now) {
        if (!segment.has(Tcp.SYN) || segment.has(Tcp.ACK) || segment.has(Tcp.RST)) {
            // RFC 9293 3.10.7.1: no connection → RST (never for a RST).
            refusals.reset(event, buf, DropReason.NO_FLOW);
            return;
        }
        Policy p = gate.policy();
        DropReason denied = socksPorts.profileFor(event.destinationAddress, event.destinationPort) != null ? null
            : gate.checkTcp(p, event.sourceAddress, event.destinationAddress, event.destinationPort);
        if (denied != null) {
            // Before the limits: a denied SYN takes nothing (the SOCKS port's requests are checked once read).
            gate.count(event.sourceAddress, denied);
            refusals.firewall(event, buf, denied, p.firewallAnswer());
            return;
        }
        DropReason refused = limits.admit(event.sourceAddress, now);
        // Buffers are taken on demand (an idle flow holds none): admit while one busy flow's worth still fits.
        if (refused == null && (flows.isFull() || budget.available() < settings.bytesPerFlow())) {
            limits.synDone(event.sourceAddress);
            limits.streamDone(event.sourceAddress);
            refused = DropReason.BUFFER_BUDGET;
        }
        if (refused != null) {
            refusals.reset(event, buf, refused);
            clients.of(event.sourceAddress).drop(refused);
            return;
        }
        Flow f = pool.take();
        f.reset(event.sourceAddress, event.sourcePort, event.destinationAddress, event.destinationPort);
        f.id = ++nextSerial * StreamInfo.MAX_SHARDS + shard;
        f.openedAt = now;
        clients.of(f.client).streamsOpened++;
        f.conn.open(event.destinationAddress, event.destinationPort, event.sourceAddress, event.sourcePort);
        f.conn.onSegment(segment, now);
        flows.put(f.client, f.clientPort, f.destination, f.destinationPort, f);
        if ((f.conn.events() & TcpConnection.EV_SYN) == 0) {
            refuse(f, DropReason.INTERNAL, now);
            return;
        }
        DnsStream stream = f.destinationPort == PacketClassifier.DNS_PORT
            ? dns.openTcp(f.client, f.destination, () -> signalDns(f)) : null;
        if (stream != null) {
            // DNS over TCP is answered by the DNS service, never relayed: accept at once.
            f.dns = stream;
            f.phase = Flow.DNS;
            limits.synDone(f.client);
            f.conn.accept(now);
            dnsFlows.add(f);
            service(f, now);
            return;
        }
        if (!settings.torReady().getAsBoolean()) {
            // Tor is down or restarting: refuse at once (RST), never try another path (issue 5 acceptance).
            refuse(f, DropReason.TOR_NOT_READY, now);
            return;
        }
        f.serverProfile = socksPorts.profileFor(f.destination, f.destinationPort);
        if (f.serverProfile != null) {
            f.profile = f.serverProfile.name();
            // Our own SOCKS port: accept at once and read the client's SOCKS request (bounded by the timeout).
            f.phase = Flow.SOCKS_REQUEST;
            limits.synDone(f.client);
            f.conn.accept(now);
            f.socksDeadline = now + settings.connectTimeoutNanos();
            service(f, now);
            return;
        }
        startSocks(f, now);
    }

    private void startSocks(Flow f, long now) {
        CharSequence host = names.hostnameFor(f.destination);
        if (host == null && names.isVirtual(f.destination)) {
            LOG.log(Level.DEBUG, "{0}: virtual address without a name (map evicted or never asked)", f);
            refuse(f, DropReason.UNMAPPED_VIRTUAL, now);
            return;
        }
        if (!openSocks(f, socksPool.take(now))) {
            refuse(f, DropReason.SOCKS_UNAVAILABLE, now);
            return;
        }
        IsolationProfile profile = gate.policy().isolation().profileFor(f.client, f.destinationPort);
        IsolationKey key = keys.derive(profile, f.client, host, f.destination, f.destinationPort, null);
        f.isolationKey = key;
        f.profile = profile.name();
        f.socksStartedAt = now;
        clients.of(f.client).lastProfile = profile.name();
        f.socksDeadline = now + settings.connectTimeoutNanos();
        f.socksPending = true;
        socksPending++;
        sendConnect(f, host);
        advanceSocks(f, now);
    }

    /**
     * Gives {@code f} its SOCKS channel: {@code pooled} (pre-connected, may be null) or a fresh connection to the
     * endpoint, registered with the selector. False when the endpoint is unreachable.
     */
    private boolean openSocks(Flow f, SocketChannel pooled) {
        SocketChannel ch = pooled;
        try {
            if (ch == null) {
                ch = egress.open(settings.socksEndpoint());
            }
            f.channel = ch;
            f.socksPooled = pooled != null;
            f.channelFd = SocketResets.fd(ch);
            f.key = ch.register(selector, 0, f);
            return true;
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "{0}: SOCKS endpoint unreachable: {1}", f, e.getMessage());
            socksPool.endpointFailed();
            return false;
        }
    }

    private void sendConnect(Flow f, CharSequence host) {
        if (host != null) {
            f.socks.startConnect(f.channel, host, f.destinationPort, f.isolationKey);
        } else {
            f.socks.startConnect(f.channel, f.destination, f.destinationPort, f.isolationKey);
        }
    }

    /**
     * A pre-connected socket that tor closed or reset before answering anything (it passed the pool's check, then
     * died): the same request once more on a fresh connection to the same endpoint. Returns false when that cannot
     * be opened.
     */
    private boolean retryFresh(Flow f) {
        LOG.log(Level.DEBUG, "{0}: pre-connected SOCKS socket dead on first use ({1}): retrying on a fresh one", f,
            f.socks.failure());
        socksPool.retried();
        pump.close(f, true);
        if (!openSocks(f, null)) {
            return false;
        }
        sendConnect(f, names.hostnameFor(f.destination));
        return true;
    }

    /** The flow's SOCKS exchange is over (answered, failed or the flow retired while waiting). */
    private void socksDone(Flow f) {
        if (f.socksPending) {
            f.socksPending = false;
            socksPending--;
        }
    }

    /** Selector callback for a flow's SOCKS channel. */
    void onReady(Flow f, long now) {
        if (f.phase == Flow.CONNECTING) {
            advanceSocks(f, now);
            return;
        }
        // A relaying flow's service is deferred to the end of the turn, and its socket read needs no relay buffer
        // (it lands in the connection's send buffer): borrow nothing now.
        if (f.phase != Flow.RELAYING && !attachBuffers(f, now)) {
            return;
        }
        if (f.phase == Flow.SOCKS_UPSTREAM) {
            socksServer.advanceUpstream(f);
            service(f, now);
            return;
        }
        if (!pump.onSocketReady(f)) {
            abort(f, DropReason.SOCKS_RESET, now);
            return;
        }
        if (f.phase == Flow.RELAYING) {
            defer(f); // with the ACKs of this turn: one pump, one poll, one super-segment
            return;
        }
        service(f, now);
    }

    private void advanceSocks(Flow f, long now) {
        int ops = f.socks.advance();
        if (ops == 0 && f.socksPooled && f.socks.failedUnanswered()) {
            f.socksPooled = false;
            if (!retryFresh(f)) {
                socksDone(f);
                limits.synDone(f.client);
                f.phase = -1;
                refuse(f, DropReason.SOCKS_UNAVAILABLE, now);
                return;
            }
            ops = f.socks.advance();
        }
        if (ops != 0) {
            f.key.interestOps(ops);
            schedule(f);
            return;
        }
        socksDone(f);
        limits.synDone(f.client);
        f.socksDeadline = Long.MAX_VALUE;
        socksConnect.recordValue(Math.min(60_000_000L, Math.max(0, (now - f.socksStartedAt) / 1000)));
        if (f.socks.status() != Socks5Client.Status.SUCCEEDED) {
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "{0}: SOCKS CONNECT failed: {1} {2} → RST", f, f.socks.failure(),
                    f.socks.failure() == Socks5Client.Failure.REPLY ? f.socks.reply().reply() : "");
            }
            f.phase = -1;
            if (f.socks.failure() != Socks5Client.Failure.REPLY) {
                socksPool.endpointFailed();
                refuse(f, DropReason.SOCKS_UNAVAILABLE, now);
            } else if (settings.icmpRefusals() && refusals.icmp(f, f.socks.clientAction())) {
                retire(f); // the held SYN is dropped without a RST: the ICMP error is the answer
            } else {
                refuse(f, DropReason.SOCKS_REFUSED, now);
            }
            return;
        }
        socksPool.endpointWorked();
        f.phase = Flow.RELAYING;
        f.conn.accept(now);
        service(f, now);
    }

    /** DNS agent thread: answers for {@code f} are ready. Marks it and wakes the worker. */
    private void signalDns(Flow f) {
        f.dnsReady = true;
        dnsWake = true;
        selector.wakeup();
    }

    /**
     * Borrows the flow's relay buffers for a service. When the budget refuses, the flow stops listening to its socket
     * and is serviced again after {@link #MEMORY_RETRY_NANOS}.
     */
    private boolean attachBuffers(Flow f, long now) {
        f.memoryRetryAt = Long.MAX_VALUE;
        if (f.phase <= Flow.CONNECTING || f.attachBuffers(relayBuffers)) {
            return true;
        }
        f.memoryRetryAt = now + MEMORY_RETRY_NANOS;
        if (f.key != null && f.key.isValid()) {
            f.key.interestOps(0);
        }
        schedule(f);
        return false;
    }

    /** Moves what can move, lets the connection emit, and retires the flow when both sides are done. */
    private void service(Flow f, long now) {
        f.serviceDue = false;
        if (!attachBuffers(f, now)) {
            return;
        }
        if (f.phase == Flow.SOCKS_REQUEST) {
            socksServer.serve(f, now);
        }
        if (f.phase == Flow.RELAYING && !pump.pump(f)) {
            abort(f, DropReason.SOCKS_RESET, now);
            return;
        }
        if (resetCheckAt == Long.MAX_VALUE && StreamPump.blocked(f)) {
            resetCheckAt = now + RESET_CHECK_NANOS;
        }
        if (f.phase == Flow.DNS && !dnsPump.pump(f)) {
            abort(f, DropReason.MALFORMED, now);
            return;
        }
        if (f.phase == Flow.SOCKS_CLOSING) {
            socksServer.drainClosing(f);
        }
        if (f.memoryShort
            || f.downQueued() && (f.conn.events() & TcpConnection.EV_WRITABLE) != 0) {
            f.memoryRetryAt = now + MEMORY_RETRY_NANOS; // the send buffer had room but no memory for Tor's bytes
        }
        f.detachIdleBuffers(relayBuffers);
        f.conn.poll(now, sink);
        int ev = f.conn.events();
        // An orderly end of the client side - TIME-WAIT, or CLOSED after LAST-ACK when Tor's EOF came after the
        // client's FIN - needs no relay state once the client's last bytes went upstream: retire the flow then, so
        // its buffers return to the budget, and keep a TIME-WAIT tuple in the compact table (a late retransmitted
        // FIN is acknowledged again from there). Until then keep pumping (acknowledged data is never dropped, for
        // at most one TIME-WAIT span), and close the SOCKS side in order so the kernel still delivers what its
        // socket buffer holds: an abortive close there would discard it.
        if ((ev & (TcpConnection.EV_CLOSED | TcpConnection.EV_TIME_WAIT)) != 0) {
            if ((ev & (TcpConnection.EV_RESET | TcpConnection.EV_TIMEOUT)) == 0 && f.phase == Flow.RELAYING
                && f.channel != null) {
                if (f.socksDeadline == Long.MAX_VALUE) {
                    f.socksDeadline = now + drainNanos; // bounds the drain toward a stalled Tor
                }
                if (!f.upShut && now < f.socksDeadline) {
                    schedule(f);
                    return;
                }
                if (!f.upShut) {
                    LOG.log(Level.DEBUG, "{0}: the SOCKS side took no more of the client's bytes in time", f);
                }
                pump.close(f, !f.upShut);
            }
            if ((ev & TcpConnection.EV_CLOSED) == 0) {
                timeWait.add(f.destination, f.destinationPort, f.client, f.clientPort, f.conn.sndNxt(),
                    f.conn.rcvNxt(), now);
            }
            if ((ev & (TcpConnection.EV_RESET | TcpConnection.EV_TIMEOUT)) != 0 && LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "{0}: client side {1}", f,
                    (ev & TcpConnection.EV_RESET) != 0 ? "reset" : "timed out");
            }
            retire(f);
            return;
        }
        if (f.channel != null && f.phase == Flow.RELAYING && f.upShut && f.downShut
            && !f.downQueued()) {
            pump.close(f, false);
        }
        schedule(f);
    }

    private void schedule(Flow f) {
        long d = Math.min(Math.min(f.conn.nextDeadline(), f.socksDeadline), f.memoryRetryAt);
        if (d == Long.MAX_VALUE) {
            wheel.cancel(f.timer);
        } else if (!wheel.isScheduled(f.timer) || f.timer.deadline() != d) {
            wheel.schedule(f.timer, d);
        }
    }

    private void onTimer(TimerWheel.Timer t, long now) {
        Flow f = (Flow) t.owner();
        if (f.phase == Flow.CONNECTING && now >= f.socksDeadline) {
            LOG.log(Level.DEBUG, "{0}: no SOCKS reply in time → RST", f);
            limits.synDone(f.client);
            f.phase = -1;
            refuse(f, DropReason.SOCKS_TIMEOUT, now);
            return;
        }
        if (f.phase == Flow.SOCKS_REQUEST && now >= f.socksDeadline) {
            abort(f, DropReason.SOCKS_TIMEOUT, now); // the client never completed its request
            return;
        }
        if (f.phase == Flow.SOCKS_UPSTREAM && now >= f.socksDeadline) {
            if (!f.attachBuffers(relayBuffers)) {
                abort(f, DropReason.SOCKS_TIMEOUT, now); // no memory even for the error reply
                return;
            }
            socksServer.timeout(f);
        } else if (now >= f.memoryRetryAt && f.phase == Flow.SOCKS_UPSTREAM) {
            onReady(f, now); // what the socket readiness could not do without memory
            return;
        }
        service(f, now);
    }

    @Override
    public int onTick(long now) {
        int work = 0;
        for (int i = 0, n = serviceDue.size(); i < n; i++) {
            Flow f = serviceDue.get(i);
            if (f.serviceDue) {
                service(f, now);
                work++;
            }
        }
        serviceDue.clear();
        if (dnsWake) {
            dnsWake = false;
            for (int i = dnsFlows.size() - 1; i >= 0; i--) {
                Flow f = dnsFlows.get(i);
                if (f.dnsReady) {
                    f.dnsReady = false;
                    service(f, now);
                    work++;
                }
            }
        }
        if (now >= resetCheckAt) {
            work += checkResets(now);
        }
        // Cheap when no tick has passed since the last call (no slot to visit).
        work += wheel.expire(now, onTimer);
        return work + preconnect(now);
    }

    /**
     * Keeps the pre-connected SOCKS sockets: closes the old, and opens new ones while no SOCKS exchange of this shard
     * waits (the loopback accept would wake tor while it answers one) or none is left. The turn's packets are
     * flushed first, so a SYN-ACK never waits for these connects.
     */
    private int preconnect(long now) {
        int work = socksPool.expire(now);
        if (socksPool.refillDue(now) && (socksPending == 0 || socksPool.size() == 0)) {
            tx.flush();
            work += socksPool.refill(now);
        }
        return work;
    }

    /**
     * Resets the client side of every blocked flow whose SOCKS socket was reset behind bytes the relay has not read
     * yet: those bytes can no longer become a complete stream, and a slow client would otherwise take them all
     * before it learns that the stream failed (the reset comes after them on the socket). Keeps checking while any
     * flow stays blocked.
     *
     * @return flows reset
     */
    private int checkResets(long now) {
        resets.clear();
        flows.forEach(watchIfBlocked);
        int watched = resets.count();
        int failed = resets.poll();
        int reset = 0;
        for (int i = 0; i < watched && reset < failed; i++) {
            Flow f = resets.failed(i);
            if (f != null) {
                LOG.log(Level.DEBUG, "{0}: SOCKS socket reset behind queued data", f);
                abort(f, DropReason.SOCKS_RESET, now);
                reset++;
            }
        }
        resetCheckAt = watched > reset ? now + RESET_CHECK_NANOS : Long.MAX_VALUE;
        return reset;
    }

    private void watchIfBlocked(Flow f) {
        if (StreamPump.blocked(f)) {
            resets.add(f, f.channelFd);
        }
    }

    /**
     * Now when DNS answers or deferred services wait, else the wheel's earliest timer: an idle worker sleeps until
     * exactly then.
     */
    @Override
    public long nextDeadline(long now) {
        return dnsWake || !serviceDue.isEmpty() ? now
            : Math.min(Math.min(wheel.nextDeadline(), resetCheckAt), socksPool.nextExpiry());
    }

    /** Refuses a held SYN: RST now, everything released. */
    private void refuse(Flow f, DropReason reason, long now) {
        counters.increment(reason);
        clients.of(f.client).drop(reason);
        f.conn.refuse();
        f.conn.poll(now, sink);
        retire(f);
    }

    /** Resets an established flow toward the client (its SOCKS side failed). */
    private void abort(Flow f, DropReason reason, long now) {
        counters.increment(reason);
        clients.of(f.client).drop(reason);
        LOG.log(Level.DEBUG, "{0}: {1} → RST to the client", f, reason.label());
        f.conn.abort();
        f.conn.poll(now, sink);
        retire(f);
    }

    private void retire(Flow f) {
        f.serviceDue = false; // pooled now: the deferred list must not service it
        pump.close(f, true);
        if (f.dns != null) {
            f.dns.close();
            dnsFlows.remove(f);
        }
        wheel.cancel(f.timer);
        socksDone(f);
        if (f.phase == Flow.CONNECTING) {
            limits.synDone(f.client);
        }
        limits.streamDone(f.client);
        clients.of(f.client).addLive(f.bytesUp, f.bytesDown);
        f.releaseBuffers(relayBuffers);
        flows.remove(f.client, f.clientPort, f.destination, f.destinationPort);
        pool.give(f);
    }


    /**
     * This shard's streams, per-client counters (retired plus live bytes) and SOCKS connect histogram. Worker
     * thread only (run it through {@code Pipeline.onEachShard}); allocates.
     */
    public ShardSnapshot snapshot(long now) {
        List<StreamInfo> streams = new ArrayList<>(flows.size());
        List<ClientStats> perClient = clients.copies();
        java.util.Map<Integer, ClientStats> byClient = new java.util.HashMap<>();
        for (ClientStats c : perClient) {
            byClient.put(c.client, c);
        }
        flows.forEach(f -> {
            streams.add(StreamInfos.of(f, names, now));
            ClientStats c = byClient.get(f.client);
            if (c != null) {
                c.addLive(f.bytesUp, f.bytesDown);
            }
        });
        return new ShardSnapshot(shard, streams, perClient, socksConnect.copy(), socksPool.stats());
    }

    /**
     * Ends the stream with this id (operator's {@code kill}): RST to the client (a held SYN is refused), SOCKS
     * socket closed, counted as {@link DropReason#KILLED}. Worker thread only.
     *
     * @return whether this shard had the stream
     */
    public boolean kill(long id, long now) {
        Flow[] found = new Flow[1];
        flows.forEach(f -> {
            if (f.id == id) {
                found[0] = f;
            }
        });
        Flow f = found[0];
        if (f == null) {
            return false;
        }
        LOG.log(Level.INFO, "{0}: stream {1} killed by the operator", f, id);
        if (f.phase == Flow.CONNECTING) {
            limits.synDone(f.client);
            f.phase = -1;
            refuse(f, DropReason.KILLED, now);
        } else {
            abort(f, DropReason.KILLED, now);
        }
        return true;
    }

    /**
     * After a reload: checks every flow of this shard against the live firewall and resets those it now denies (RST
     * to the client, SOCKS socket closed), counted as {@link DropReason#FIREWALL_RESET}. Flows still reading a
     * gateway SOCKS port request are left alone (their CONNECT is checked when complete). Worker thread only (a
     * {@code ShardTask}).
     *
     * @return flows reset
     */
    public int recheck(long now) {
        Policy p = gate.policy();
        List<Flow> denied = new ArrayList<>();
        flows.forEach(f -> {
            if (!gate.allows(p, f)) {
                denied.add(f);
            }
        });
        for (Flow f : denied) {
            LOG.log(Level.INFO, "{0}: denied by the reloaded firewall → reset", f);
            gate.countShared(f.client, DropReason.FIREWALL_RESET);
            if (f.phase == Flow.CONNECTING) {
                refuse(f, DropReason.FIREWALL_RESET, now);
            } else {
                abort(f, DropReason.FIREWALL_RESET, now);
            }
        }
        return denied.size();
    }

    /**
     * Runs {@link #recheck} on every shard of {@code pipeline} (each on its own thread), bounded so a stuck worker
     * cannot hang a reload. Any thread.
     *
     * @return flows reset over all shards
     */
    public static int recheckAll(Pipeline pipeline) {
        try {
            int n = 0;
            for (int r : pipeline.onEachShard((shard, h, now) -> ((RelayHandler) h).recheck(now))
                .get(10, TimeUnit.SECONDS)) {
                n += r;
            }
            return n;
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.WARNING, "re-checking flows against the new policy failed: {0}", e.toString());
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    @Override
    public void shutdown(long now) {
        List<Flow> all = new ArrayList<>(flows.size());
        flows.forEach(all::add);
        for (Flow f : all) {
            if (f.phase == Flow.CONNECTING) {
                f.conn.refuse();
            } else {
                f.conn.abort();
            }
            f.conn.poll(now, sink);
            retire(f);
        }
        socksPool.clear();
    }
}
