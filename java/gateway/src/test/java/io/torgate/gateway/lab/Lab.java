package io.torgate.gateway.lab;

import io.torgate.gateway.Gateway;
import io.torgate.gateway.config.ConfigLoader;
import io.torgate.gateway.relay.HostnameResolver;
import io.torgate.gateway.testing.TestSocksServer;
import io.torgate.tun.testing.NetNs;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Qubes-like lab in network namespaces: clients {@code c1}, {@code c2} (10.137.0.11, .12) with veth links
 * into {@code gw}, where policy routing sends everything they send into the gateway's TUN (no other forwarding,
 * an {@code unreachable} rule behind it so a dead gateway fails closed); the gateway and a test SOCKS5 server run
 * in {@code gw}; an HTTP server runs in {@code up} (172.20.0.80), reachable from {@code gw} only, i.e. only via
 * SOCKS. Everything is torn down by {@link #close()}.
 */
final class Lab implements AutoCloseable {
    static final String UPSTREAM = "172.20.0.80";
    static final int HTTP_PORT = 8080;
    static final int SOCKS_PORT = 1080;

    final NetNs gw;
    final NetNs up;
    final List<NetNs> clients = new ArrayList<>();
    final Path files;
    Gateway gateway;
    TestSocksServer socks;
    private HttpServer http;
    private ExecutorService httpThreads;

    Lab(String config) throws Exception {
        this(config, true);
    }

    /** With {@code inProcess} false the caller starts the gateway (e.g. as a separate JVM) and routes. */
    Lab(String config, boolean inProcess) throws Exception {
        gw = NetNs.create("tggw");
        up = NetNs.create("tgup");
        files = Files.createTempDirectory("tg-lab");
        try {
            build(config, inProcess);
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private void build(String config, boolean inProcess) throws Exception {
        gw.sh("ip link add upveth type veth peer name eth0 netns " + up.name()
            + " && ip addr add 172.20.0.1/24 dev upveth && ip link set upveth up"
            + " && sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0");
        up.sh("ip addr add " + UPSTREAM + "/24 dev eth0 && ip link set eth0 up && ip route add default via 172.20.0.1");
        for (int i = 1; i <= 2; i++) {
            NetNs c = NetNs.create("tgc" + i);
            clients.add(c);
            String addr = "10.137.0." + (10 + i);
            gw.sh("ip link add vif" + i + " type veth peer name eth0 netns " + c.name()
                + " && ip addr add 10.137.0.1/32 dev vif" + i + " && ip link set vif" + i + " up"
                + " && ip route add " + addr + "/32 dev vif" + i
                + " && sysctl -qw net.ipv4.conf.vif" + i + ".forwarding=1 net.ipv4.conf.vif" + i + ".rp_filter=0"
                + " && ip rule add iif vif" + i + " lookup 100 priority 100"
                + " && ip rule add iif vif" + i + " unreachable priority 101");
            // ip netns exec bind-mounts /etc/netns/NAME/resolv.conf: the client asks a gateway address, as in Qubes.
            Path etc = Path.of("/etc/netns", c.name());
            Files.createDirectories(etc);
            Files.writeString(etc.resolve("resolv.conf"), "nameserver 10.139.1.1\noptions timeout:2 attempts:2\n");
            c.sh("ip addr add " + addr + "/32 dev eth0 && ip link set eth0 up && ip route add 10.137.0.1 dev eth0"
                + " && ip route add default via 10.137.0.1");
        }
        socks = gw.call(() -> new TestSocksServer(new InetSocketAddress(loopback(), SOCKS_PORT), t -> t));
        if (inProcess) {
            gateway = gw.call(() -> Gateway.start(ConfigLoader.parse("lab.toml", config), HostnameResolver.NONE));
            routeIntoTun();
        }
        http = up.call(this::startHttp);
        waitForHttp();
    }

    /** A static file server (JDK HttpServer) bound in the upstream namespace: the only way there is SOCKS. */
    private HttpServer startHttp() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(
            InetAddress.getByAddress(new byte[] {(byte) 172, 20, 0, 80}), HTTP_PORT), 1024);
        httpThreads = Executors.newFixedThreadPool(64);
        server.setExecutor(httpThreads);
        server.createContext("/", exchange -> {
            try (exchange) {
                Path file = files.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
                if (!file.startsWith(files) || !Files.isRegularFile(file)) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, Files.size(file));
                try (OutputStream out = exchange.getResponseBody()) {
                    Files.copy(file, out);
                }
            }
        });
        // A download that never ends by itself: 8 KiB every 10 ms for at most 60 s. The server sets the pace, so
        // the client always waits in read() and sees a RST at once; curl --limit-rate instead reads ahead what the
        // windows let through and then sleeps for seconds, blind to the socket.
        server.createContext("/trickle", exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(200, 0); // chunked: no length
                byte[] chunk = new byte[8 * 1024];
                long end = System.nanoTime() + 60_000_000_000L;
                try (OutputStream out = exchange.getResponseBody()) {
                    while (System.nanoTime() < end) {
                        out.write(chunk);
                        out.flush();
                        Thread.sleep(10);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        // Upload target: answers with the SHA-256 (hex) of the request body it read.
        server.createContext("/sha256", exchange -> {
            try (exchange) {
                java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
                byte[] chunk = new byte[64 * 1024];
                try (var in = exchange.getRequestBody()) {
                    for (int n; (n = in.read(chunk)) > 0;) {
                        digest.update(chunk, 0, n);
                    }
                }
                byte[] hex = java.util.HexFormat.of().formatHex(digest.digest()).getBytes();
                exchange.sendResponseHeaders(200, hex.length);
                exchange.getResponseBody().write(hex);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IOException(e);
            }
        });
        server.start();
        return server;
    }

    /** Table 100's default route into the gateway's tun0, and forwarding of its replies back to the clients. */
    void routeIntoTun() throws IOException {
        gw.sh("ip route add default dev tun0 table 100"
            + " && sysctl -qw net.ipv4.conf.tun0.forwarding=1 net.ipv4.conf.tun0.rp_filter=0");
    }

    static InetAddress loopback() throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    }

    private void waitForHttp() throws Exception {
        Files.writeString(files.resolve("ping"), "pong");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (gw.sh("curl -s --max-time 1 http://" + UPSTREAM + ":" + HTTP_PORT + "/ping").equals("pong")) {
                    return;
                }
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("HTTP server in the upstream namespace did not come up");
    }

    /** Restarts the SOCKS server on the same port (after a test killed it). */
    void restartSocks() throws Exception {
        socks = gw.call(() -> new TestSocksServer(new InetSocketAddress(loopback(), SOCKS_PORT), t -> t));
    }

    NetNs client(int i) {
        return clients.get(i - 1);
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
            httpThreads.shutdownNow();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (socks != null) {
            try {
                socks.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        for (NetNs c : clients) {
            c.close();
            try (var paths = Files.walk(Path.of("/etc/netns", c.name()))) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // already gone
            }
        }
        up.close();
        gw.close();
        try (var paths = Files.walk(files)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temp files only
        }
    }
}
