package io.torgate.gateway.relay;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.config.IdleKind;
import io.torgate.gateway.egress.EgressGuard;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.policy.ClientCaps;
import io.torgate.gateway.policy.ClientPolicy;
import io.torgate.gateway.policy.Clients;
import io.torgate.gateway.policy.Firewall;
import io.torgate.gateway.policy.FirewallRule;
import io.torgate.gateway.policy.Policy;
import io.torgate.gateway.testing.FakeTun;
import io.torgate.gateway.testing.TestClient;
import io.torgate.gateway.testing.TestSocksServer;
import io.torgate.stack.BufferBudget;
import io.torgate.stack.TcpConnection;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.IsolationKeys;
import io.torgate.tor.IsolationPolicy;
import io.torgate.tor.PortSet;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's own SOCKS ports (TorVM 9050/9049) over a fake TUN: our stack plays a Tor-aware client speaking
 * SOCKS to 10.139.1.1; a test SOCKS server stands in for tor and records the isolation credentials it gets.
 */
class SocksPortTest {
    private static final String GATEWAY = "10.139.1.1";
    private static final String REMOTE = "10.200.0.80";
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final FakeTun tun = new FakeTun(1500);
    private ServerSocket target;
    private TestSocksServer socks;
    private Pipeline pipeline;
    private int nextPort = 42000;

    @BeforeEach
    void setUp() throws Exception {
        target = new ServerSocket(0, 50, LOOPBACK);
        Thread.ofPlatform().daemon().start(this::serveTarget);
        socks = new TestSocksServer(new InetSocketAddress(LOOPBACK, 0),
            t -> new InetSocketAddress(LOOPBACK, target.getLocalPort()));
        socks.host("example.test", REMOTE);
        start(socks.address());
    }

    private void start(java.net.SocketAddress endpoint) throws java.io.IOException {
        start(endpoint, new FlowLimits(16, 100, 100, 100));
    }

    private void start(java.net.SocketAddress endpoint, FlowLimits limits) throws java.io.IOException {
        RelaySettings settings = new RelaySettings(endpoint, 2_000_000_000L, 1500, 64 << 10, 32 << 10);
        EgressGuard egress = new EgressGuard(List.of(endpoint));
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis);
        GatewaySocksPorts ports = new GatewaySocksPorts(List.of(ip(GATEWAY)), 9050, 9049);
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip(GATEWAY)), ports.ports(), DropPolicy.dropAll());
        BufferBudget budget = new BufferBudget(64L << 20);
        pipeline = new Pipeline(tun, new GatewayConfig.Pipeline(1, 256, 32, IdleKind.BLOCK), classifier,
            i -> new RelayHandler(settings, egress, limits, budget, keys,
                HostnameResolver.NONE, DnsQueries.NONE, ports, 64));
        pipeline.start();
    }

    /** Echoes "hello " + what the client sent until its EOF. */
    private void serveTarget() {
        while (!target.isClosed()) {
            try (Socket s = target.accept()) {
                s.getOutputStream().write("hello ".getBytes(StandardCharsets.US_ASCII));
                s.getInputStream().transferTo(s.getOutputStream());
            } catch (Exception e) {
                // next connection
            }
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        pipeline.close();
        tun.close();
        socks.close();
        target.close();
    }

    /** A client connection to gateway:port that sends {@code request} and collects everything until FIN. */
    private byte[] exchange(String client, int port, byte[] request, byte[] payload) throws Exception {
        TestClient c = new TestClient(tun, client, nextPort++, GATEWAY, port, 64 << 10);
        assertTrue(c.stepUntil(() -> c.has(TcpConnection.EV_ESTABLISHED), 5_000), "SYN-ACK at once");
        ByteBuffer src = ByteBuffer.wrap(concat(request, payload));
        ByteBuffer got = ByteBuffer.allocate(4096);
        boolean[] shut = {false};
        assertTrue(c.stepUntil(() -> {
            if (src.hasRemaining()) {
                c.conn.write(src);
            } else if (!shut[0]) {
                c.conn.shutdownOutput();
                shut[0] = true;
            }
            c.conn.read(got);
            return c.has(TcpConnection.EV_REMOTE_FIN) && c.conn.readable() == 0;
        }, 10_000), "the gateway closes after the answer; got " + got.position() + " bytes");
        return Arrays.copyOf(got.array(), got.position());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** SOCKS5 greeting (+ RFC 1929 auth when user != null) and a request for a host name or an IPv4 literal. */
    private static byte[] socks5(String user, String pass, int cmd, String host, int port) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        if (user == null) {
            b.writeBytes(new byte[] {5, 1, 0});
        } else {
            b.writeBytes(new byte[] {5, 1, 2, 1, (byte) user.length()});
            b.writeBytes(user.getBytes(StandardCharsets.US_ASCII));
            b.write(pass.length());
            b.writeBytes(pass.getBytes(StandardCharsets.US_ASCII));
        }
        b.writeBytes(new byte[] {5, (byte) cmd, 0});
        if (host.chars().allMatch(ch -> ch == '.' || Character.isDigit(ch))) {
            b.write(1);
            b.writeBytes(new byte[] {10, (byte) 200, 0, 80});
        } else {
            b.write(3);
            b.write(host.length());
            b.writeBytes(host.getBytes(StandardCharsets.US_ASCII));
        }
        b.write(port >>> 8);
        b.write(port);
        return b.toByteArray();
    }

    private String passwordOfLast() {
        List<TestSocksServer.Request> r = socks.requests();
        TestSocksServer.Request last = r.get(r.size() - 1);
        assertEquals(IsolationKey.USERNAME, last.username());
        return last.password();
    }

    private static String tail(byte[] got, int skip) {
        return new String(got, skip, got.length - skip, StandardCharsets.US_ASCII);
    }

    @Test
    void theFirewallDeniesAConnectWithRep2AndCountsItForTheClient() throws Exception {
        pipeline.close();
        Firewall fw = new Firewall("no-example", List.of(
            new FirewallRule(false, false, null, "*.example.test", null, FirewallRule.ANY),
            new FirewallRule(false, false, Cidr.parse("10.200.0.0/16"), null, PortSet.of(443), FirewallRule.TCP),
            new FirewallRule(false, true, null, null, null, FirewallRule.ANY)), true);
        Clients clients = new Clients(new Policy(List.of(), ClientPolicy.unnamed(fw, ClientCaps.DEFAULTS),
            IsolationPolicy.defaults(), List.of(ip(GATEWAY)), DropPolicy.Action.PROHIBIT));
        start(socks.address(), new FlowLimits(100, 100, clients));

        byte[] denied = exchange("10.137.0.5", 9050, socks5(null, null, 1, "www.example.test", 80), bytes("x"));
        assertArrayEquals(new byte[] {5, 0, 5, 2}, Arrays.copyOf(denied, 4), "REP 2: not allowed by ruleset");
        byte[] byAddress = exchange("10.137.0.5", 9049, socks5(null, null, 1, REMOTE, 443), new byte[0]);
        assertEquals(2, byAddress[3], "an address in a denied network and port");
        byte[] resolve = exchange("10.137.0.5", 9050, socks5(null, null, 0xF0, "example.test", 0), new byte[0]);
        assertEquals(2, resolve[3], "RESOLVE is a lookup through the gateway: the dns target, denied here");
        assertEquals(0, socks.requests().size(), "nothing denied reached tor");
        byte[] allowed = exchange("10.137.0.5", 9050, socks5(null, null, 1, REMOTE, 80), bytes("ping"));
        assertEquals(0, allowed[3], "port 80 of that network is allowed");
        assertEquals(2, pipeline.drops(DropReason.FIREWALL));
        assertEquals(1, pipeline.drops(DropReason.FIREWALL_DNS));
        assertEquals(2, clients.snapshot(ip("10.137.0.5")).refused(DropReason.FIREWALL));
    }

    @Test
    void connectRelaysWithClientAndCredentialIsolationOn9050() throws Exception {
        byte[] got = exchange("10.137.0.5", 9050, socks5("alice", "pw", 1, "example.test", 80), bytes("ping"));
        // method choice (5 2), auth ok (1 0), success (10 bytes), then the relayed stream.
        assertArrayEquals(new byte[] {5, 2, 1, 0, 5, 0}, Arrays.copyOf(got, 6));
        assertEquals("hello ping", tail(got, 14));
        assertEquals("example.test", socks.requests().get(0).host());
        String alice = passwordOfLast();
        exchange("10.137.0.5", 9050, socks5("alice", "pw", 1, "other.test", 80), new byte[0]);
        assertEquals(alice, passwordOfLast(), "9050: same client and credentials share, whatever the destination");
        exchange("10.137.0.5", 9050, socks5("bob", "pw", 1, "example.test", 80), new byte[0]);
        String bob = passwordOfLast();
        assertNotEquals(alice, bob, "9050: the client's own credentials isolate");
        exchange("10.137.0.6", 9050, socks5("alice", "pw", 1, "example.test", 80), new byte[0]);
        assertNotEquals(alice, passwordOfLast(), "9050: another client with the same credentials is isolated");
        exchange("10.137.0.5", 9050, socks5(null, null, 1, "example.test", 80), new byte[0]);
        assertNotEquals(alice, passwordOfLast(), "9050: no credentials differ from some");
    }

    @Test
    void port9049AlsoIsolatesByDestination() throws Exception {
        exchange("10.137.0.5", 9049, socks5(null, null, 1, "example.test", 80), new byte[0]);
        String first = passwordOfLast();
        exchange("10.137.0.5", 9049, socks5(null, null, 1, "example.test", 80), new byte[0]);
        assertEquals(first, passwordOfLast(), "same destination shares");
        exchange("10.137.0.5", 9049, socks5(null, null, 1, "example.test", 443), new byte[0]);
        assertNotEquals(first, passwordOfLast(), "another port is isolated");
        exchange("10.137.0.5", 9049, socks5(null, null, 1, "other.test", 80), new byte[0]);
        assertNotEquals(first, passwordOfLast(), "another host is isolated");
        exchange("10.137.0.5", 9050, socks5(null, null, 1, "example.test", 80), new byte[0]);
        assertNotEquals(first, passwordOfLast(), "9050 and 9049 never share");
    }

    @Test
    void socks4aConnectIsServed() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {4, 1, 0, 80, 0, 0, 0, 1});
        b.writeBytes(bytes("user\0example.test\0"));
        byte[] got = exchange("10.137.0.5", 9050, b.toByteArray(), bytes("4a"));
        assertEquals(90, got[1], "SOCKS4 request granted");
        assertEquals("hello 4a", tail(got, 8));
        assertEquals("example.test", socks.requests().get(0).host());
    }

    @Test
    void resolveAndResolvePtrAreForwarded() throws Exception {
        byte[] got = exchange("10.137.0.5", 9050, socks5(null, null, 0xF0, "example.test", 0), new byte[0]);
        assertArrayEquals(new byte[] {5, 0, 5, 0, 0, 1, 10, (byte) 200, 0, 80, 0, 0}, got);
        got = exchange("10.137.0.5", 9050, socks5(null, null, 0xF1, "10.200.0.80", 0), new byte[0]);
        assertEquals("ptr.test", new String(got, 7, 8, StandardCharsets.US_ASCII));
        assertEquals(2 + 7 + 8, got.length);
    }

    @Test
    void malformedRequestsGetAnErrorReplyAndClose() throws Exception {
        byte[] got = exchange("10.137.0.5", 9050, bytes("GET / HTTP/1.0\r\n\r\n"), new byte[0]);
        assertEquals(0, got.length, "not SOCKS at all: closed without a reply");
        got = exchange("10.137.0.5", 9050, socks5(null, null, 2, "example.test", 80), new byte[0]);
        assertArrayEquals(new byte[] {5, 0, 5, 7}, Arrays.copyOf(got, 4), "BIND: command not supported");
        got = exchange("10.137.0.5", 9049, new byte[] {5, 1, 0, 5, 1, 0, 9, 1, 2, 3, 4, 0, 80}, new byte[0]);
        assertArrayEquals(new byte[] {5, 0, 5, 8}, Arrays.copyOf(got, 4), "bad address type");
        assertEquals(3, pipeline.drops(DropReason.SOCKS_BAD_REQUEST));
        assertTrue(socks.requests().isEmpty(), "nothing reached tor");
    }

    @Test
    void torRefusalIsPassedOnAsTheSocksReply() throws Exception {
        socks.refusePort(25);
        byte[] got = exchange("10.137.0.5", 9050, socks5(null, null, 1, "example.test", 25), new byte[0]);
        assertArrayEquals(new byte[] {5, 0, 5, 5}, Arrays.copyOf(got, 4), "connection refused, then close");
        assertEquals(1, pipeline.drops(DropReason.SOCKS_REFUSED));
    }

    @Test
    void aClientThatNeverCompletesItsRequestIsResetAfterTheTimeout() throws Exception {
        TestClient c = new TestClient(tun, "10.137.0.5", nextPort++, GATEWAY, 9050, 64 << 10);
        assertTrue(c.stepUntil(() -> c.has(TcpConnection.EV_ESTABLISHED), 5_000));
        c.conn.write(ByteBuffer.wrap(new byte[] {5, 1})); // a greeting cut short
        long start = System.nanoTime();
        assertTrue(c.stepUntil(() -> c.has(TcpConnection.EV_RESET), 6_000), "RST after the 2 s request timeout");
        assertTrue(System.nanoTime() - start > 1_000_000_000L, "not before the timeout");
        assertEquals(1, pipeline.drops(DropReason.SOCKS_TIMEOUT));
        assertTrue(socks.requests().isEmpty());
    }

    @Test
    void torSilentPastTheTimeoutGivesTtlExpiredAndClose() throws Exception {
        pipeline.close();
        try (ServerSocket silent = new ServerSocket(0, 10, LOOPBACK)) {
            start(silent.getLocalSocketAddress());
            byte[] got = exchange("10.137.0.5", 9050, socks5(null, null, 1, "example.test", 80), new byte[0]);
            assertArrayEquals(new byte[] {5, 0, 5, 6}, Arrays.copyOf(got, 4), "REP 6 (TTL expired), then FIN");
            assertEquals(1, pipeline.drops(DropReason.SOCKS_TIMEOUT));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
