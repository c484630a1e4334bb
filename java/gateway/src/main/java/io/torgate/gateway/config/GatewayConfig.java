package io.torgate.gateway.config;

import io.torgate.gateway.classify.DropPolicy;
import java.net.InetSocketAddress;
import io.torgate.gateway.policy.ClientCaps;
import io.torgate.gateway.policy.Policy;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * The validated configuration of a running gateway. Built by {@link ConfigLoader}; immutable and thread-safe.
 *
 * @param tun the TUN device
 * @param network client ranges (anti-spoofing) and the gateway's own addresses
 * @param pipeline threads and ring
 * @param socks the upstream SOCKS5 endpoint (Tor's SocksPort)
 * @param limits caps on flows and buffers
 * @param drops per-class drop/reject policy
 * @param dns the DNS service
 * @param socksPorts the TorVM-compatible SOCKS ports served on the gateway addresses
 * @param tor whether tor is managed by the gateway or external
 * @param capture where {@code torgate capture} writes and how much, and the flight recorder's size
 * @param control the operator's control socket ({@code torgate ctl})
 * @param metrics the Prometheus endpoint
 * @param policy named clients, their firewalls and limits, isolation rules: the part a reload changes live
 */
public record GatewayConfig(Tun tun, Network network, Pipeline pipeline, Socks socks, Limits limits,
                            DropPolicy drops, Dns dns, SocksPorts socksPorts, Tor tor, Capture capture,
                            Control control, Metrics metrics, Policy policy) {

    /** Without named clients, firewalls or isolation rules: everyone gets the {@code [limits]} per-client caps. */
    public GatewayConfig(Tun tun, Network network, Pipeline pipeline, Socks socks, Limits limits, DropPolicy drops,
                         Dns dns, SocksPorts socksPorts, Tor tor, Capture capture, Control control,
                         Metrics metrics) {
        this(tun, network, pipeline, socks, limits, drops, dns, socksPorts, tor, capture, control, metrics,
            Policy.open(limits.perClient()));
    }

    /** With the default [capture] section, no control socket and no metrics endpoint. */
    public GatewayConfig(Tun tun, Network network, Pipeline pipeline, Socks socks, Limits limits, DropPolicy drops,
                         Dns dns, SocksPorts socksPorts, Tor tor) {
        this(tun, network, pipeline, socks, limits, drops, dns, socksPorts, tor, Capture.DEFAULT);
    }

    /** Without the operations sections (control socket off, metrics off). */
    public GatewayConfig(Tun tun, Network network, Pipeline pipeline, Socks socks, Limits limits, DropPolicy drops,
                         Dns dns, SocksPorts socksPorts, Tor tor, Capture capture) {
        this(tun, network, pipeline, socks, limits, drops, dns, socksPorts, tor, capture, Control.NONE, Metrics.NONE);
    }

    /** Without gateway SOCKS ports, with an external tor (the configuration before those sections existed). */
    public GatewayConfig(Tun tun, Network network, Pipeline pipeline, Socks socks, Limits limits, DropPolicy drops,
                         Dns dns) {
        this(tun, network, pipeline, socks, limits, drops, dns, SocksPorts.NONE, Tor.EXTERNAL);
    }

    /**
     * The control socket: a Unix stream socket, mode 0660, owned by {@code group}; only root and members of that
     * group (checked again per connection with SO_PEERCRED) may use it.
     *
     * @param socket its path, or null for no control socket
     * @param group the group allowed besides root, or null for root only
     */
    public record Control(Path socket, String group) {
        public static final Control NONE = new Control(null, null);

        public boolean enabled() {
            return socket != null;
        }
    }

    /**
     * The Prometheus text endpoint ({@code GET /metrics}).
     *
     * @param listen a loopback address and port, or null when off (the control socket's {@code metrics} still works)
     */
    public record Metrics(InetSocketAddress listen) {
        public static final Metrics NONE = new Metrics(null);

        public boolean enabled() {
            return listen != null;
        }
    }

    /**
     * The gateway's own SOCKS ports for Tor-aware clients (TorVM semantics), served by our TCP stack on every
     * gateway address.
     *
     * @param enabled serve them at all
     * @param clientAuthPort isolates by client + the client's SOCKS credentials (profile {@code socks9050})
     * @param destinationPort also by destination address and port (profile {@code socks9049})
     */
    public record SocksPorts(boolean enabled, int clientAuthPort, int destinationPort) {
        public static final SocksPorts NONE = new SocksPorts(false, 9050, 9049);
    }

    /**
     * @param managed start and watch our own tor ({@code ManagedTor}); false: use the [socks] endpoint as is
     * @param binary the tor executable (managed)
     * @param dataDir tor's DataDirectory (managed)
     * @param runDir where the SocksPort/ControlSocket Unix sockets and the generated torrc live (managed)
     * @param extraTorrc a file appended to the generated torrc (like TorVM's override), or null
     * @param bootstrapTimeoutMillis how long start-up waits for 100% bootstrap before it fails
     * @param restartDelayMillis first delay before restarting a dead tor (doubling up to a minute while it fails)
     * @param control an external tor's ControlPort or ControlSocket (bootstrap state, circuits, new identity), or
     *                null; a managed tor always uses its own ControlSocket
     * @param controlPassword the external control port's password, or null for cookie authentication
     */
    public record Tor(boolean managed, Path binary, Path dataDir, Path runDir, Path extraTorrc,
                      long bootstrapTimeoutMillis, long restartDelayMillis, SocketAddress control,
                      String controlPassword) {
        public static final Tor EXTERNAL = new Tor(false, Path.of("/usr/bin/tor"), Path.of("/var/lib/torgate/tor"),
            Path.of("/run/torgate"), null, 300_000, 1_000);

        /** Without an external control port. */
        public Tor(boolean managed, Path binary, Path dataDir, Path runDir, Path extraTorrc,
                   long bootstrapTimeoutMillis, long restartDelayMillis) {
            this(managed, binary, dataDir, runDir, extraTorrc, bootstrapTimeoutMillis, restartDelayMillis, null, null);
        }
    }

    /**
     * Packet capture (issue 10). Captures are started and stopped at run time through the control socket; these
     * are their defaults and caps.
     *
     * @param directory where capture files go unless a {@code capture start} names another (created on demand)
     * @param maxFileBytes a file is rotated before it would grow beyond this
     * @param rotateSeconds a non-empty file is rotated once it is this old
     * @param maxTotalBytes the oldest files of a capture are deleted to keep its total under this
     * @param recorderPackets the flight recorder keeps this many recent packets per client for
     *     {@code capture dump}; 0 turns it off (it costs ~50 ns per packet, bench/results/capture.md)
     * @param recorderClients the flight recorder keeps rings for at most this many clients
     */
    public record Capture(Path directory, long maxFileBytes, long rotateSeconds, long maxTotalBytes,
                          int recorderPackets, int recorderClients) {
        public static final Capture DEFAULT = new Capture(Path.of("/var/lib/torgate/capture"), 64L << 20, 3600,
            1L << 30, 0, 256);
    }

    /**
     * @param enabled answer UDP port 53 through Tor (otherwise DNS is counted as {@code dns_unserved})
     * @param mapped {@code mapped} mode (virtual addresses, names go to the exit in CONNECT) instead of
     *               {@code resolve} (SOCKS RESOLVE)
     * @param mapFile where the virtual map persists across restarts, or null
     */
    public record Dns(boolean enabled, boolean mapped, Path mapFile) {
    }

    /**
     * @param name interface name, at most 15 characters
     * @param mtu link MTU, 576..65535
     * @param address the TUN's own address and prefix (never a client's next hop: clients route via policy rules)
     * @param offload open the TUN with a virtio-net header and checksum + TCP segmentation offload (64 KiB TCP
     *                super-segments both ways), falling back to the plain path when the kernel refuses it
     * @param queues TUN queues (IFF_MULTI_QUEUE fds, one reader each) 1..64, or {@link #AUTO_QUEUES}: one per
     *               worker when there is more than one worker; 1 is the single-fd path without IFF_MULTI_QUEUE
     */
    public record Tun(String name, int mtu, Cidr address, boolean offload, int queues) {
        /** {@code queues = "auto"}: one queue per worker (see {@link #queueCount}). */
        public static final int AUTO_QUEUES = 0;
        /** Most queues (and workers): the pipeline's per-batch wake-up set is one 64-bit mask. */
        public static final int MAX_QUEUES = 64;

        /** One queue (the default). */
        public Tun(String name, int mtu, Cidr address, boolean offload) {
            this(name, mtu, address, offload, 1);
        }

        /** With offload on (the default) and one queue. */
        public Tun(String name, int mtu, Cidr address) {
            this(name, mtu, address, true);
        }

        /** The queues to open for {@code workers} workers: {@code auto} gives one per worker. */
        public int queueCount(int workers) {
            return queues == AUTO_QUEUES ? Math.max(1, workers) : queues;
        }
    }

    /**
     * @param clientRanges sources we accept packets from; anything else is {@code spoofed_source}
     * @param gatewayAddresses the gateway's own addresses (e.g. Qubes' 10.139.1.1 and .2)
     * @param servedTcpPorts TCP ports served on the gateway addresses (other than DNS)
     */
    public record Network(List<Cidr> clientRanges, List<Integer> gatewayAddresses, List<Integer> servedTcpPorts) {
        public Network {
            clientRanges = List.copyOf(clientRanges);
            gatewayAddresses = List.copyOf(gatewayAddresses);
            servedTcpPorts = List.copyOf(servedTcpPorts);
        }
    }

    /**
     * @param workers shard workers, 1..64
     * @param ringSize ring slots, a power of two
     * @param readBatch most packets moved per TUN read call
     * @param idle how idle workers wait
     * @param tunReader which thread reads each TUN queue
     */
    public record Pipeline(int workers, int ringSize, int readBatch, IdleKind idle, TunReaderKind tunReader) {
        /** With the default TUN reader ({@link TunReaderKind#DEFAULT}). */
        public Pipeline(int workers, int ringSize, int readBatch, IdleKind idle) {
            this(workers, ringSize, readBatch, idle, TunReaderKind.DEFAULT);
        }
    }

    /**
     * @param endpoint Tor's SocksPort: a literal IP and port, or a Unix socket
     * @param connectTimeoutMillis SYN held at most this long waiting for the SOCKS reply, then RST
     * @param icmpRefusals a refused CONNECT gets the ICMP unreachable its reply code maps to (else always RST)
     * @param preconnect sockets each worker keeps connected to the endpoint ahead of demand (0 = off)
     */
    public record Socks(SocketAddress endpoint, int connectTimeoutMillis, boolean icmpRefusals, int preconnect) {
        public Socks(SocketAddress endpoint, int connectTimeoutMillis) {
            this(endpoint, connectTimeoutMillis, true);
        }

        public Socks(SocketAddress endpoint, int connectTimeoutMillis, boolean icmpRefusals) {
            this(endpoint, connectTimeoutMillis, icmpRefusals, 0);
        }
    }

    /**
     * @param perClient the caps of a client without its own in {@code [[clients]]} (and the defaults of those
     *                  entries): SYNs in flight, streams, new streams and DNS queries per second
     * @param synsInFlight all SYNs waiting for a SOCKS reply
     * @param streams all open streams
     * @param bufferBytes global budget of all flows' buffer bytes
     * @param tcpBufferBytes each TCP connection's send and receive buffer
     * @param relayBufferBytes each relay direction's buffer between a connection and its SOCKS socket
     */
    public record Limits(ClientCaps perClient, int synsInFlight, int streams, long bufferBytes, int tcpBufferBytes,
                         int relayBufferBytes) {
        /** SYNs of one client waiting for a SOCKS reply (unless its {@code [[clients]]} entry says otherwise). */
        public int synsInFlightPerClient() {
            return perClient.synsInFlight();
        }

        /** Open streams of one client (unless its {@code [[clients]]} entry says otherwise). */
        public int streamsPerClient() {
            return perClient.streams();
        }
    }
}
