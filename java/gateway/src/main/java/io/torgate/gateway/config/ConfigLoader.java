package io.torgate.gateway.config;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.policy.ClientCaps;
import io.torgate.gateway.policy.Policy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tomlj.Toml;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;

/**
 * Reads and validates a TOML configuration ({@code src/main/config/torgate.example.toml} documents every key).
 * All problems are collected and reported together; each names file, line, column and key. Unknown sections and
 * keys are errors, so a typo never silently falls back to a default. Stateless; any thread.
 */
public final class ConfigLoader {
    private static final Set<String> SECTIONS = Set.of("tun", "network", "pipeline", "socks", "limits", "drop", "dns",
        "socks_ports", "tor", "capture", "control", "metrics", "clients", "isolation", "firewalls");

    private ConfigLoader() {
    }

    /** Loads a file. */
    public static GatewayConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(List.of(file + ": cannot read: " + e.getMessage()));
        }
        return parse(file.getFileName().toString(), text);
    }

    /** Parses TOML text; {@code fileName} is used in messages only. */
    public static GatewayConfig parse(String fileName, String text) throws ConfigException {
        TomlParseResult toml = Toml.parse(text);
        List<String> errors = new ArrayList<>();
        for (TomlParseError e : toml.errors()) {
            errors.add(fileName + ":" + e.position().line() + ":" + e.position().column() + ": syntax: "
                + e.getMessage());
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        for (String key : toml.keySet()) {
            if (!SECTIONS.contains(key)) {
                var at = toml.inputPositionOf(key);
                errors.add(fileName + ":" + at.line() + ":" + at.column() + ": " + key
                    + ": unknown section (known: " + String.join(", ", new java.util.TreeSet<>(SECTIONS)) + ")");
            }
        }
        TomlSection tunSection = new TomlSection(fileName, toml, "tun", errors);
        GatewayConfig.Tun tun = tun(tunSection);
        GatewayConfig.Network network = network(new TomlSection(fileName, toml, "network", errors));
        GatewayConfig.Pipeline pipeline = pipeline(new TomlSection(fileName, toml, "pipeline", errors));
        if (tun.queues() > pipeline.workers()) {
            // Worker w writes on queue w % queues, and the kernel steers a flow to the queue its replies were
            // written on: a queue no worker writes on would only ever see the first packets of new flows.
            tunSection.error("queues", "must be at most pipeline.workers (" + pipeline.workers() + "), got "
                + tun.queues());
        }
        GatewayConfig.Tor tor = tor(new TomlSection(fileName, toml, "tor", errors));
        GatewayConfig.Socks socks = socks(new TomlSection(fileName, toml, "socks", errors), tor.managed());
        GatewayConfig.Limits limits = limits(new TomlSection(fileName, toml, "limits", errors));
        DropPolicy drops = drops(new TomlSection(fileName, toml, "drop", errors));
        GatewayConfig.Dns dns = dns(new TomlSection(fileName, toml, "dns", errors));
        GatewayConfig.SocksPorts ports = socksPorts(new TomlSection(fileName, toml, "socks_ports", errors));
        GatewayConfig.Capture capture = capture(new TomlSection(fileName, toml, "capture", errors));
        GatewayConfig.Control control = control(new TomlSection(fileName, toml, "control", errors));
        GatewayConfig.Metrics metrics = metrics(new TomlSection(fileName, toml, "metrics", errors));
        Policy policy = PolicyLoader.load(fileName, toml, errors, network, limits.perClient(),
            drops.action(DropReason.FIREWALL));
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return new GatewayConfig(tun, network, pipeline, socks, limits, drops, dns, ports, tor, capture, control,
            metrics, policy);
    }

    private static GatewayConfig.Tun tun(TomlSection s) {
        String name = s.string("name", "tun0");
        if (name.isEmpty() || name.length() > 15 || name.contains("/") || name.contains(" ")) {
            s.error("name", "must be 1..15 characters without '/' or spaces (Linux IFNAMSIZ)");
        }
        int mtu = (int) s.integer("mtu", 1500, 576, 65535);
        Cidr address = s.parsed("address", Cidr.parse("10.139.1.254/32"), Cidr::parse);
        boolean offload = s.bool("offload", true);
        int queues = queues(s);
        s.rejectUnknownKeys();
        return new GatewayConfig.Tun(name, mtu, address, offload, queues);
    }

    /** {@code [tun] queues}: {@code "auto"} or an integer 1..64; 1 when absent. */
    private static int queues(TomlSection s) {
        Object raw = s.raw("queues");
        if (raw == null) {
            return 1;
        }
        if ("auto".equals(raw)) {
            return GatewayConfig.Tun.AUTO_QUEUES;
        }
        if (raw instanceof Long v && v >= 1 && v <= GatewayConfig.Tun.MAX_QUEUES) {
            return v.intValue();
        }
        s.error("queues", "must be \"auto\" or 1.." + GatewayConfig.Tun.MAX_QUEUES + " (got " + raw + ")");
        return 1;
    }

    private static GatewayConfig.Network network(TomlSection s) {
        List<Cidr> ranges = s.list("client_ranges", List.of(), Cidr::parse);
        if (ranges.isEmpty()) {
            s.error("client_ranges", "needs at least one client range, e.g. [\"10.137.0.0/16\"]");
        }
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = i + 1; j < ranges.size(); j++) {
                if (ranges.get(i).overlaps(ranges.get(j))) {
                    s.error("client_ranges", ranges.get(i) + " overlaps " + ranges.get(j));
                }
            }
        }
        List<Integer> gateway = s.list("gateway_addresses", List.of(), Cidr::parseAddress);
        List<Integer> served = s.intList("served_tcp_ports", List.of(), 1, 65535);
        s.rejectUnknownKeys();
        return new GatewayConfig.Network(ranges, gateway, served);
    }

    private static GatewayConfig.Pipeline pipeline(TomlSection s) {
        int workers = (int) s.integer("workers", 1, 1, 64);
        int ring = (int) s.integer("ring_size", 1024, 16, 1 << 16);
        if (Integer.bitCount(ring) != 1) {
            s.error("ring_size", "must be a power of two (got " + ring + ")");
            ring = 1024;
        }
        int batch = (int) s.integer("read_batch", 64, 1, 1024);
        if (batch > ring / 2) {
            s.error("read_batch", "must be at most half the ring (" + ring / 2 + ")");
        }
        IdleKind idle = s.parsed("idle", IdleKind.BLOCK, v -> {
            try {
                return IdleKind.valueOf(v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("must be block, backoff or spin (got '" + v + "')");
            }
        });
        TunReaderKind reader = s.parsed("tun_reader", TunReaderKind.DEFAULT, v -> {
            try {
                return TunReaderKind.valueOf(v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("must be worker or thread (got '" + v + "')");
            }
        });
        s.rejectUnknownKeys();
        return new GatewayConfig.Pipeline(workers, ring, batch, idle, reader);
    }

    private static GatewayConfig.Socks socks(TomlSection s, boolean managedTor) {
        SocketAddress endpoint = s.parsed("endpoint", null, ConfigLoader::endpoint);
        if (managedTor && endpoint != null) {
            s.error("endpoint", "must be left out with [tor] mode = \"managed\" (its own SocksPort is used)");
        } else if (!managedTor && endpoint == null && !s.keys().contains("endpoint")) {
            s.error("endpoint", "is required: \"127.0.0.1:9050\" or \"unix:/run/tor/socks\"");
        }
        int timeout = (int) s.integer("connect_timeout_ms", 15_000, 100, 600_000);
        boolean icmp = s.bool("icmp_refusals", true);
        // 2 per worker: sequential connections take one each; measured in bench/results/rig.md (session 5).
        int preconnect = (int) s.integer("preconnect", 2, 0, 64);
        s.rejectUnknownKeys();
        return new GatewayConfig.Socks(endpoint, timeout, icmp, preconnect);
    }

    private static GatewayConfig.Limits limits(TomlSection s) {
        // Every client's defaults: the keys of a [[clients]] entry with "_per_client" appended.
        ClientCaps perClient = PolicyLoader.caps(s, ClientCaps.DEFAULTS, "_per_client");
        int syn = (int) s.integer("syns_in_flight", 1024, 1, 1 << 20);
        int streams = (int) s.integer("streams", 16384, 1, 1 << 22);
        long buffers = s.integer("buffer_bytes", 32L << 20, 1L << 20, 1L << 40);
        // 1 MiB: measured with the reader thread (two wake-ups per round trip, ~1 ms on a loaded 2-vCPU VM), 128 KiB
        // in flight capped one stream near 1 Gbit/s, and 1 MiB beat 512 KiB by a quarter (bench/results/offload.md,
        // "download"); not re-measured since the worker reads the TUN itself. Buffers are borrowed only while bytes are held, so idle streams
        // cost nothing more.
        int tcp = (int) s.integer("tcp_buffer_bytes", 1 << 20, 4 << 10, 16 << 20);
        int relay = (int) s.integer("relay_buffer_bytes", 64 << 10, 4 << 10, 16 << 20);
        s.rejectUnknownKeys();
        return new GatewayConfig.Limits(perClient, syn, streams, buffers, tcp, relay);
    }

    private static GatewayConfig.Dns dns(TomlSection s) {
        boolean enabled = s.bool("enabled", false);
        String mode = s.string("mode", "resolve");
        if (!"resolve".equals(mode) && !"mapped".equals(mode)) {
            s.error("mode", "must be \"resolve\" or \"mapped\" (got '" + mode + "')");
        }
        Path mapFile = s.parsed("map_file", null, ConfigLoader::absolutePath);
        s.rejectUnknownKeys();
        return new GatewayConfig.Dns(enabled, "mapped".equals(mode), mapFile);
    }

    private static GatewayConfig.SocksPorts socksPorts(TomlSection s) {
        boolean enabled = s.bool("enabled", false);
        int auth = (int) s.integer("client_auth_port", 9050, 1, 65535);
        int dest = (int) s.integer("destination_port", 9049, 1, 65535);
        if (auth == dest) {
            s.error("destination_port", "must differ from client_auth_port (" + auth + ")");
        }
        s.rejectUnknownKeys();
        return new GatewayConfig.SocksPorts(enabled, auth, dest);
    }

    private static GatewayConfig.Tor tor(TomlSection s) {
        GatewayConfig.Tor d = GatewayConfig.Tor.EXTERNAL;
        String mode = s.string("mode", "external");
        if (!"external".equals(mode) && !"managed".equals(mode)) {
            s.error("mode", "must be \"external\" or \"managed\" (got '" + mode + "')");
        }
        Path binary = s.parsed("tor_binary", d.binary(), ConfigLoader::absolutePath);
        Path data = s.parsed("data_dir", d.dataDir(), ConfigLoader::absolutePath);
        Path run = s.parsed("run_dir", d.runDir(), ConfigLoader::absolutePath);
        Path extra = s.parsed("extra_torrc", null, ConfigLoader::absolutePath);
        long bootstrap = s.integer("bootstrap_timeout_ms", d.bootstrapTimeoutMillis(), 1_000, 3_600_000);
        long restart = s.integer("restart_delay_ms", d.restartDelayMillis(), 100, 60_000);
        SocketAddress control = s.parsed("control", null, ConfigLoader::endpoint);
        String password = s.string("control_password", "");
        if ("managed".equals(mode) && control != null) {
            s.error("control", "must be left out with mode = \"managed\" (its own ControlSocket is used)");
        }
        s.rejectUnknownKeys();
        return new GatewayConfig.Tor("managed".equals(mode), binary, data, run, extra, bootstrap, restart, control,
            password.isEmpty() ? null : password);
    }

    private static GatewayConfig.Control control(TomlSection s) {
        Path socket = s.parsed("socket", null, ConfigLoader::absolutePath);
        String group = s.string("group", "");
        if (!group.isEmpty() && !group.matches("[a-z_][a-z0-9_-]{0,31}")) {
            s.error("group", "must be a Unix group name (got '" + group + "')");
        }
        s.rejectUnknownKeys();
        return new GatewayConfig.Control(socket, group.isEmpty() ? null : group);
    }

    private static GatewayConfig.Metrics metrics(TomlSection s) {
        InetSocketAddress listen = s.parsed("listen", null, v -> {
            if (v.startsWith("unix:")) {
                throw new IllegalArgumentException("must be \"127.0.0.1:PORT\" (a loopback TCP address)");
            }
            InetSocketAddress a = (InetSocketAddress) endpoint(v);
            if (!a.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("must be a loopback address (127.0.0.0/8): metrics are not "
                    + "for the clients' network (got '" + v + "')");
            }
            return a;
        });
        s.rejectUnknownKeys();
        return new GatewayConfig.Metrics(listen);
    }

    private static GatewayConfig.Capture capture(TomlSection s) {
        GatewayConfig.Capture d = GatewayConfig.Capture.DEFAULT;
        Path dir = s.parsed("directory", d.directory(), ConfigLoader::absolutePath);
        // A file must hold at least the pcapng headers and one full packet (CaptureOptions checks it exactly).
        long file = s.integer("max_file_bytes", d.maxFileBytes(), 64L << 10, 1L << 40);
        long rotate = s.integer("rotate_seconds", d.rotateSeconds(), 1, 366L * 86_400);
        long total = s.integer("max_total_bytes", d.maxTotalBytes(), 64L << 10, 1L << 50);
        if (total < file) {
            s.error("max_total_bytes", "must be at least max_file_bytes (" + file + ")");
        }
        int packets = (int) s.integer("flight_recorder_packets", d.recorderPackets(), 0, 1 << 16);
        int clients = (int) s.integer("flight_recorder_clients", d.recorderClients(), 1, 1 << 16);
        s.rejectUnknownKeys();
        return new GatewayConfig.Capture(dir, file, rotate, total, packets, clients);
    }

    private static Path absolutePath(String v) {
        if (!v.startsWith("/")) {
            throw new IllegalArgumentException("must be an absolute path (got '" + v + "')");
        }
        return Path.of(v);
    }

    private static DropPolicy drops(TomlSection s) {
        Map<DropReason, DropPolicy.Action> actions = new EnumMap<>(DropReason.class);
        // A firewall denial is answered like Qubes' firewall does unless [drop] says otherwise.
        actions.put(DropReason.FIREWALL, DropPolicy.Action.PROHIBIT);
        for (String key : s.keys()) {
            DropReason reason = DropReason.byLabel(key);
            if (reason == null) {
                s.error(key, "unknown drop class");
                continue;
            }
            String value = s.string(key, "drop");
            if (reason == DropReason.FIREWALL && "prohibit".equals(value)) {
                actions.put(reason, DropPolicy.Action.PROHIBIT);
            } else if (reason == DropReason.FIREWALL && "drop".equals(value)) {
                actions.put(reason, DropPolicy.Action.DROP);
            } else if ("reject".equals(value) && reason.rejectable()) {
                actions.put(reason, DropPolicy.Action.REJECT);
            } else if ("reject".equals(value)) {
                s.error(key, "can only be \"drop\" (never answered, to avoid replying to hostile traffic)");
            } else if (!"drop".equals(value)) {
                s.error(key, "must be \"drop\" or \"reject\"" + (reason == DropReason.FIREWALL ? " or \"prohibit\""
                    : "") + " (got '" + value + "')");
            }
        }
        return DropPolicy.of(actions);
    }

    /** {@code unix:/path} or {@code a.b.c.d:port}; never resolves a name. */
    static SocketAddress endpoint(String text) {
        if (text.startsWith("unix:")) {
            String path = text.substring(5);
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("unix socket path must be absolute (got '" + path + "')");
            }
            return UnixDomainSocketAddress.of(path);
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("must be \"a.b.c.d:port\" or \"unix:/path\" (got '" + text + "')");
        }
        int address = Cidr.parseAddress(text.substring(0, colon));
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port of '" + text + "' is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port of '" + text + "' is not 1..65535");
        }
        try {
            byte[] raw = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
            return new InetSocketAddress(InetAddress.getByAddress(raw), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }
}
