package io.torgate.gateway;

import io.torgate.gateway.capture.CaptureControl;
import io.torgate.gateway.capture.CaptureFilter;
import io.torgate.gateway.capture.CaptureOptions;
import io.torgate.gateway.capture.CaptureSwitch;
import io.torgate.gateway.capture.FlightRecorder;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.control.ControlServer;
import io.torgate.gateway.control.GatewayCommands;
import io.torgate.gateway.control.PeerAuthorizer;
import io.torgate.gateway.dns.DnsStats;
import io.torgate.gateway.metrics.GatewayMetrics;
import io.torgate.gateway.metrics.MetricsHttpServer;
import io.torgate.gateway.ops.GatewayState;
import io.torgate.gateway.ops.TorLink;
import io.torgate.gateway.dns.DnsConfig;
import io.torgate.gateway.dns.DnsService;
import io.torgate.gateway.dns.TunReplySink;
import io.torgate.gateway.egress.EgressGuard;
import io.torgate.gateway.egress.RefusingResolverProvider;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.config.ConfigException;
import io.torgate.gateway.config.ConfigLoader;
import io.torgate.gateway.policy.Clients;
import io.torgate.gateway.relay.DnsQueries;
import io.torgate.gateway.relay.DnsStream;
import io.torgate.gateway.relay.FlowLimits;
import io.torgate.gateway.relay.GatewaySocksPorts;
import io.torgate.gateway.relay.HostnameResolver;
import io.torgate.gateway.relay.RelayHandler;
import io.torgate.gateway.relay.RelaySettings;
import io.torgate.stack.BufferBudget;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.tor.ExternalTor;
import io.torgate.tor.ManagedTor;
import io.torgate.tor.NewIdentity;
import io.torgate.tor.TorService;
import io.torgate.tor.Torrc;
import io.torgate.tun.TunConfig;
import io.torgate.tun.TunDevice;
import io.torgate.tun.TunException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.lang.System.Logger;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.lang.System.Logger.Level;
import java.net.spi.InetAddressResolverProvider;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.ServiceLoader;
import java.nio.file.Path;

/**
 * A running gateway, built by a chain of init steps (resolver check → TUN → relay parts → pipeline) whose
 * teardowns run in reverse order on {@link #close()} or when a later step fails, so a failed start never leaves
 * a TUN or a thread behind. Closing stops the pipeline first (workers send RST to open flows and close their
 * SOCKS sockets, then flush), then closes the TUN.
 *
 * <p>{@link #reload} swaps the live policy (clients, firewalls, isolation rules, per-client limits) without
 * dropping streams: new flows see it at once, and each shard then re-checks its own flows on its own thread
 * ({@code Pipeline.onEachShard}), resetting only those the new firewall denies.
 *
 * <p>Thread-safety: {@link #start} and {@link #close} from one controlling thread (or a shutdown hook);
 * {@link #reload} from any thread (serialized); accessors from any thread.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = System.getLogger(Gateway.class.getName());

    private final Deque<Teardown> teardowns = new ArrayDeque<>();
    private final List<RelayHandler> handlers = new ArrayList<>();
    /** What every packet hook calls: off (one volatile load) until {@code capture start} or a flight recorder. */
    private final CaptureSwitch captureSwitch = new CaptureSwitch();
    private CaptureControl capture;
    private Pipeline pipeline;
    private BufferBudget budget;
    private FlowLimits limits;
    private EgressGuard egress;
    private TunDevice tun;
    private ManagedTor managedTor;
    /** The tor control connection for operators (managed tor, or an external one with [tor] control), or null. */
    private TorService torControl;
    private GatewayState state;
    private ControlServer control;
    private Clients clients;
    /** The configuration in force: what started, with the live parts of every reload since. */
    private volatile GatewayConfig config;

    private record Teardown(String name, AutoCloseable action) {
    }

    private Gateway() {
    }

    /**
     * Starts a gateway in the calling thread's network namespace.
     *
     * @param names host names for mapped addresses ({@link HostnameResolver#NONE} without the DNS layer)
     * @throws IOException when a step fails (everything built so far is torn down first)
     */
    public static Gateway start(GatewayConfig config, HostnameResolver names) throws IOException {
        Gateway g = new Gateway();
        try {
            g.build(config, names);
            return g;
        } catch (IOException | RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /**
     * Opens the TUN's first queue with offload when configured, and without when the kernel refuses
     * TUNSETOFFLOAD. With more than one queue it is opened with IFF_MULTI_QUEUE (one queue: the single-fd path).
     */
    private static TunDevice openTun(GatewayConfig.Tun t, int queues) throws IOException {
        if (t.offload()) {
            try {
                return TunDevice.open(tunConfig(t, t.name(), queues, true));
            } catch (TunException e) {
                LOG.log(Level.WARNING, "TUN {0}: offload refused ({1}); using the plain path", t.name(), e.getMessage());
            }
        }
        return TunDevice.open(tunConfig(t, t.name(), queues, false));
    }

    private static TunConfig tunConfig(GatewayConfig.Tun t, String name, int queues, boolean offload) {
        return TunConfig.builder(name).mtu(t.mtu()).ipv4(t.address().network(), t.address().prefixLength())
            .multiQueue(queues > 1).segmentationOffload(offload).build();
    }

    /**
     * The TUN's queues: the first (see {@link #openTun}), then the others on the same interface with the same
     * flags (a multi-queue TUN's flags are the device's: a queue opened without the virtio-net header would turn
     * it off for all). Each is closed at teardown.
     */
    private List<TunDevice> openTunQueues(GatewayConfig.Tun t, int queues) throws IOException {
        tun = openTun(t, queues);
        teardowns.push(new Teardown("tun " + tun.name(), tun));
        List<TunDevice> all = new ArrayList<>(List.of(tun));
        for (int q = 1; q < queues; q++) {
            TunDevice d = TunDevice.open(tunConfig(t, tun.name(), queues, tun.segmentationOffload()));
            teardowns.push(new Teardown("tun " + tun.name() + " queue " + q, d));
            all.add(d);
        }
        return all;
    }

    private void build(GatewayConfig config, HostnameResolver names) throws IOException {
        requireRefusingResolver();
        List<SocketAddress> endpoints = new ArrayList<>();
        BooleanSupplier torReady = startTor(config, endpoints);
        SocketAddress socks = endpoints.get(0);
        GatewayConfig.Tun t = config.tun();
        List<TunDevice> tunQueues = openTunQueues(t, t.queueCount(config.pipeline().workers()));
        LOG.log(Level.INFO, "TUN {0} open (mtu {1}, {2}, {3}, {4} queue(s))", tun.name(), tun.mtu(),
            tun.isNative() ? "JNI" : "JNA",
            tun.segmentationOffload() ? "checksum + TCP segmentation offload" : "no offload", tunQueues.size());
        startCapture(config.capture());

        GatewayConfig.Limits l = config.limits();
        this.config = config;
        egress = new EgressGuard(endpoints);
        clients = new Clients(config.policy());
        limits = new FlowLimits(l.synsInFlight(), l.streams(), clients);
        budget = new BufferBudget(l.bufferBytes());
        IsolationKeys keys = new IsolationKeys(new ClientEpochs());
        DnsStats[] dnsStats = {null};
        RelaySettings relay = new RelaySettings(socks, config.socks().connectTimeoutMillis() * 1_000_000L, t.mtu(),
            l.tcpBufferBytes(), l.relayBufferBytes(), torReady, config.socks().icmpRefusals(),
            config.socks().preconnect());
        HostnameResolver hostnames = names;
        DnsQueries queries = DnsQueries.NONE;
        if (config.dns().enabled()) {
            DnsService dns = startDns(config, keys, socks, torReady);
            dnsStats[0] = dns.stats();
            hostnames = dns.hostnames();
            queries = new DnsQueries() {
                @Override
                public boolean submitUdp(int client, int clientPort, int server, int serverPort, ByteBuffer buf,
                                         int offset, int length) {
                    return dns.submitUdp(client, clientPort, server, serverPort, buf, offset, length);
                }

                @Override
                public DnsStream openTcp(int client, int server, Runnable outputReady) {
                    return new TcpDnsStream(dns.openTcpSession(client, server, outputReady));
                }
            };
        }
        HostnameResolver resolver = hostnames;
        DnsQueries dnsQueries = queries;
        int flowsPerShard = Math.max(16, l.streams() / config.pipeline().workers() + 1);
        GatewaySocksPorts socksPorts = socksPorts(config);
        List<Integer> served = new ArrayList<>(config.network().servedTcpPorts());
        served.addAll(socksPorts.ports());
        PacketClassifier classifier = new PacketClassifier(config.network().clientRanges(),
            config.network().gatewayAddresses(), served, config.drops(), config.dns().enabled());
        pipeline = new Pipeline(tunQueues, config.pipeline(), classifier, shard -> {
            RelayHandler h = new RelayHandler(relay, egress, limits, budget, keys, resolver, dnsQueries, socksPorts,
                flowsPerShard);
            handlers.add(h);
            return h;
        }, captureSwitch);
        pipeline.start();
        teardowns.push(new Teardown("pipeline", pipeline));
        LOG.log(Level.INFO, "torgate running: {0} worker(s), SOCKS at {1}", pipeline.workers(), socks);
        startOperations(config, keys, dnsStats[0]);
    }

    /**
     * The operator's side (issue 9): the tor control link, the control socket with the gateway's commands, and the
     * metrics endpoint, each only when configured. Runs after the pipeline started: commands read the shards.
     */
    private void startOperations(GatewayConfig config, IsolationKeys keys, DnsStats dns) throws IOException {
        TorLink link = new TorLink(torControl, managedTor, new NewIdentity(keys));
        state = new GatewayState(pipeline, budget, limits, dns, link, keys.epochs());
        if (config.control().enabled()) {
            control = new ControlServer(config.control().socket(),
                new PeerAuthorizer(config.control().group(), Path.of("/etc/group")));
            new GatewayCommands(state).registerAll(control);
            capture.register(control);
            control.start();
            teardowns.push(new Teardown("control socket", control));
        }
        if (config.metrics().enabled()) {
            MetricsHttpServer http = new MetricsHttpServer(new GatewayMetrics(state));
            http.start(config.metrics().listen());
            teardowns.push(new Teardown("metrics", http));
        }
    }

    /**
     * The capture switch every packet hook calls, and its control ({@code capture start|stop|status|dump}); the
     * flight recorder is attached at once when configured. Closed after the pipeline (its teardown is pushed
     * first), so the final RSTs of a shutdown are still captured and the files end complete.
     */
    private void startCapture(GatewayConfig.Capture c) {
        FlightRecorder recorder = c.recorderPackets() == 0 ? null
            : new FlightRecorder(c.recorderClients(), c.recorderPackets(), CaptureOptions.SLOT_LENGTH);
        CaptureOptions defaults = new CaptureOptions(c.directory(), "torgate", CaptureFilter.ALL, c.maxFileBytes(),
            Math.multiplyExact(c.rotateSeconds(), 1_000_000_000L), c.maxTotalBytes(),
            CaptureOptions.DEFAULT_RING_SLOTS, CaptureOptions.DEFAULT_SNAP_LENGTH);
        capture = new CaptureControl(captureSwitch, recorder, defaults);
        teardowns.push(new Teardown("capture", capture));
    }


    /** The TorVM-compatible SOCKS ports on the gateway addresses, when enabled. */
    private static GatewaySocksPorts socksPorts(GatewayConfig config) {
        GatewayConfig.SocksPorts p = config.socksPorts();
        if (!p.enabled()) {
            return GatewaySocksPorts.NONE;
        }
        LOG.log(Level.INFO, "gateway SOCKS ports {0} (socks9050) and {1} (socks9049) on {2} address(es)",
            p.clientAuthPort(), p.destinationPort(), config.network().gatewayAddresses().size());
        return new GatewaySocksPorts(config.network().gatewayAddresses(), p.clientAuthPort(), p.destinationPort());
    }

    /**
     * The tor the relay talks to. Managed: a {@link ManagedTor} with the generated torrc plus the extra torrc file,
     * started and bootstrapped here (a bad torrc stops start-up with tor's message), restarted by its watchdog;
     * its Unix SocksPort is the relay's endpoint and its ControlSocket the only other allowed egress, and it is
     * "ready" only while running and bootstrapped. External: the configured endpoint, taken to be always ready (a
     * dead tor shows up as SOCKS failures, answered with RST).
     *
     * @param endpoints receives the SOCKS endpoint first, then any other endpoint the gateway may connect to
     * @return whether tor can take streams now (cheap, thread-safe)
     */
    private BooleanSupplier startTor(GatewayConfig config, List<SocketAddress> endpoints) throws IOException {
        GatewayConfig.Tor c = config.tor();
        if (!c.managed()) {
            endpoints.add(config.socks().endpoint());
            if (c.control() != null) {
                ExternalTor external = new ExternalTor(config.socks().endpoint(), c.control(), c.controlPassword());
                teardowns.push(new Teardown("tor control", external));
                endpoints.add(c.control());
                torControl = external;
            }
            return () -> true;
        }
        String extra = "";
        if (c.extraTorrc() != null) {
            try {
                extra = Files.readString(c.extraTorrc());
            } catch (IOException e) {
                throw new IOException("tor.extra_torrc " + c.extraTorrc() + ": cannot read: " + e.getMessage(), e);
            }
        }
        Torrc torrc = new Torrc(c.binary(), c.dataDir(), c.runDir(), extra);
        ManagedTor tor = new ManagedTor(new ManagedTor.Settings(torrc, c.bootstrapTimeoutMillis(),
            c.restartDelayMillis(), 60_000));
        tor.addStateListener(s -> LOG.log(Level.INFO, "managed tor: {0}", s));
        teardowns.push(new Teardown("tor", tor));
        tor.start();
        endpoints.add(tor.socksAddress());
        endpoints.add(UnixDomainSocketAddress.of(torrc.controlSocket()));
        managedTor = tor;
        torControl = tor;
        return tor::isReady;
    }

    /** The DNS service (issue 6): its own agent thread answers through the TUN; SERVFAIL while tor is not ready. */
    private DnsService startDns(GatewayConfig config, IsolationKeys keys, SocketAddress socks,
                                BooleanSupplier torReady) throws IOException {
        GatewayConfig.Dns d = config.dns();
        DnsConfig dc = DnsConfig.defaults().withMode(d.mapped() ? DnsConfig.Mode.MAPPED : DnsConfig.Mode.RESOLVE);
        if (d.mapFile() != null) {
            dc = dc.withMap(dc.mapEntries(), d.mapFile());
        }
        DnsService dns = new DnsService(dc, keys, torReady, egress, socks, new TunReplySink(tun, 64, captureSwitch),
            clients::tryAcquireDns);
        dns.start();
        teardowns.push(new Teardown("dns", dns));
        LOG.log(Level.INFO, "DNS answered through Tor ({0} mode)", d.mapped() ? "mapped" : "resolve");
        return dns;
    }

    /**
     * Refuses to start unless our resolver provider is the one the JVM will use: checked through the service
     * loader, without performing any lookup (a lookup by a different resolver would already be a leak).
     */
    private static void requireRefusingResolver() throws IOException {
        for (InetAddressResolverProvider p : ServiceLoader.load(InetAddressResolverProvider.class)) {
            if (p instanceof RefusingResolverProvider) {
                return;
            }
            throw new IOException("name resolver provider " + p.name() + " would be used; torgate refuses to run");
        }
        throw new IOException("the refusing name resolver is not registered (META-INF/services missing)");
    }

    /** The capture control behind the control socket's {@code capture} commands. */
    public CaptureControl capture() {
        return capture;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public BufferBudget budget() {
        return budget;
    }

    public FlowLimits limits() {
        return limits;
    }

    /**
     * Every client seen, with its live counters and the policy in force: the read API of the control socket's
     * {@code clients} and of the metrics ({@link Clients#snapshot()}).
     */
    public Clients clients() {
        return clients;
    }

    /** The configuration in force (the start-up one with the live parts of every reload since). */
    public GatewayConfig config() {
        return config;
    }

    /**
     * Loads {@code file} and {@link #reload(GatewayConfig) reloads} it (SIGHUP, {@code torgate ctl reload}).
     *
     * @throws ConfigException when the file does not validate: nothing changed, the running configuration stays
     */
    public ReloadResult reload(Path file) throws ConfigException {
        return reload(ConfigLoader.load(file));
    }

    /**
     * Puts the live parts of {@code next} in force: {@code [[clients]]}, {@code [firewalls.*]}, {@code [isolation]},
     * the per-client {@code [limits]} and {@code [drop] firewall}. New flows see them at once; then every shard
     * re-checks its flows against the new firewall and resets the ones it denies (only those). Everything else that
     * differs from the running configuration is reported as needing a restart and keeps its running value.
     */
    public synchronized ReloadResult reload(GatewayConfig next) {
        GatewayConfig cur = config;
        List<String> applied = new ArrayList<>();
        List<String> restart = ReloadDiff.needsRestart(cur, next);
        if (!cur.policy().equals(next.policy())) {
            applied.addAll(ReloadDiff.policyChanges(cur.policy(), next.policy()));
        }
        if (!cur.limits().perClient().equals(next.limits().perClient())) {
            applied.add("limits (per client)");
        }
        GatewayConfig.Limits l = cur.limits();
        config = new GatewayConfig(cur.tun(), cur.network(), cur.pipeline(), cur.socks(),
            new GatewayConfig.Limits(next.limits().perClient(), l.synsInFlight(), l.streams(), l.bufferBytes(),
                l.tcpBufferBytes(), l.relayBufferBytes()), cur.drops(), cur.dns(), cur.socksPorts(), cur.tor(),
            cur.capture(), cur.control(), cur.metrics(), next.policy());
        clients.policy(next.policy());
        int reset = RelayHandler.recheckAll(pipeline);
        ReloadResult result = new ReloadResult(applied, restart, reset);
        LOG.log(Level.INFO, result.toString());
        return result;
    }

    public EgressGuard egress() {
        return egress;
    }

    /** The managed tor, or null with an external one. */
    public ManagedTor managedTor() {
        return managedTor;
    }

    /**
     * The control socket, or null when {@code [control] socket} is not configured. Other modules add their commands
     * with {@link ControlServer#register} (see {@link io.torgate.gateway.control.ControlCommand}).
     */
    public ControlServer control() {
        return control;
    }

    /** What the control socket and metrics read (shard snapshots, tor link, counters). */
    public GatewayState state() {
        return state;
    }

    public TunDevice tun() {
        return tun;
    }

    /** Flows currently held by all shards (approximate while running: read across threads). */
    public int flows() {
        int n = 0;
        for (RelayHandler h : handlers) {
            n += h.flowCount();
        }
        return n;
    }

    /** Tears down in reverse start order. Idempotent. */
    @Override
    public synchronized void close() {
        while (!teardowns.isEmpty()) {
            Teardown t = teardowns.pop();
            try {
                t.action().close();
                LOG.log(Level.INFO, "stopped {0}", t.name());
            } catch (Exception e) {
                LOG.log(Level.WARNING, "stopping " + t.name() + " failed", e);
            }
        }
    }
}
