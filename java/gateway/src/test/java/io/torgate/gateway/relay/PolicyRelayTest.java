package io.torgate.gateway.relay;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.classify.PacketInfo;
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
import io.torgate.gateway.testing.Packets;
import io.torgate.gateway.testing.TestClient;
import io.torgate.gateway.testing.TestSocksServer;
import io.torgate.stack.BufferBudget;
import io.torgate.stack.TcpConnection;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.tor.IsolationPolicy;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Firewall, per-client limits and the reload re-check through real relay workers over a fake TUN: our stack as
 * two clients (A and B, demultiplexed by port), a real SOCKS5 server and a real target serving a large body.
 */
class PolicyRelayTest {
    private static final int WORKERS = 2;
    private static final String A = "10.137.0.5";
    private static final String B = "10.137.0.6";
    private static final String GATEWAY = "10.139.1.1";
    private static final String REMOTE = "10.200.0.80";
    private static final byte[] BODY = new byte[4 << 20];

    static {
        new Random(11).nextBytes(BODY);
    }

    private final FakeTun tun = new FakeTun(1500);
    private final Map<Integer, TestClient> byPort = new HashMap<>();
    private final List<byte[]> other = new ArrayList<>();
    private final AtomicInteger dnsSubmitted = new AtomicInteger();
    private ServerSocket target;
    private TestSocksServer socks;
    private Pipeline pipeline;
    private FlowLimits limits;
    private Clients clients;

    @BeforeEach
    void setUp() throws Exception {
        InetAddress lo = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        target = new ServerSocket(0, 50, lo);
        Thread.ofPlatform().daemon().start(this::serveTarget);
        socks = new TestSocksServer(new InetSocketAddress(lo, 0), t -> new InetSocketAddress(lo,
            target.getLocalPort()));
    }

    private void start(Policy policy) throws Exception {
        clients = new Clients(policy);
        limits = new FlowLimits(100, 100, clients);
        RelaySettings settings = new RelaySettings(socks.address(), 5_000_000_000L, 1500, 64 << 10, 32 << 10);
        EgressGuard egress = new EgressGuard(List.of(socks.address()));
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis);
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip(GATEWAY)), List.of(), DropPolicy.dropAll(), true);
        DnsQueries dns = new DnsQueries() {
            @Override
            public boolean submitUdp(int client, int clientPort, int server, int serverPort, ByteBuffer buf,
                                     int offset, int length) {
                dnsSubmitted.incrementAndGet();
                return true;
            }

            @Override
            public DnsStream openTcp(int client, int server, Runnable outputReady) {
                return null;
            }
        };
        BufferBudget budget = new BufferBudget(256L << 20);
        pipeline = new Pipeline(tun, new GatewayConfig.Pipeline(WORKERS, 256, 32, IdleKind.BLOCK), classifier,
            i -> new RelayHandler(settings, egress, limits, budget, keys, HostnameResolver.NONE, dns,
                GatewaySocksPorts.NONE, 64));
        pipeline.start();
    }

    /** Every connection gets the whole body, then EOF. */
    private void serveTarget() {
        while (!target.isClosed()) {
            try {
                Socket s = target.accept();
                Thread.ofPlatform().daemon().start(() -> {
                    try (s; OutputStream out = s.getOutputStream()) {
                        out.write(BODY);
                    } catch (Exception e) {
                        // the client went away (a reset flow)
                    }
                });
            } catch (Exception e) {
                return;
            }
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
        tun.close();
        socks.close();
        target.close();
    }

    private static Policy policy(Firewall forB, ClientCaps capsB, DropPolicy.Action answer) {
        ClientCaps open = new ClientCaps(64, 64, 0, 1, 50, 100);
        return new Policy(List.of(
            new ClientPolicy("a", Cidr.parse(A + "/32"), null, Firewall.ACCEPT_ALL, open),
            new ClientPolicy("b", Cidr.parse(B + "/32"), null, forB, capsB)),
            ClientPolicy.unnamed(Firewall.ACCEPT_ALL, open), IsolationPolicy.defaults(), List.of(ip(GATEWAY)), answer);
    }

    private static Policy open() {
        return policy(Firewall.ACCEPT_ALL, new ClientCaps(64, 64, 0, 1, 50, 100), DropPolicy.Action.REJECT);
    }

    private static Firewall denyRemote() {
        return new Firewall("no-remote", List.of(new FirewallRule(false, false, Cidr.parse("10.200.0.0/16"), null,
            null, FirewallRule.ANY)), true);
    }

    private TestClient connect(String src, int port) {
        TestClient c = new TestClient(tun, src, port, REMOTE, 80, 64 << 10);
        byPort.put(port, c);
        return c;
    }

    /** Hands what the gateway wrote to the client it is for (by destination port); the rest goes to {@link #other}. */
    private boolean pumpUntil(BooleanSupplier condition, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            byte[] p = tun.nextWritten(5);
            while (p != null) {
                TestClient c = p[9] == 6 ? byPort.get(ByteBuffer.wrap(p).getShort(22) & 0xFFFF) : null;
                if (c != null) {
                    c.feed(p);
                } else {
                    other.add(p);
                }
                p = tun.nextWritten(0);
            }
            byPort.values().forEach(TestClient::poll);
        }
        return condition.getAsBoolean();
    }

    /** Reads what {@code c} has into {@code into}; true once the peer's FIN came and everything was read. */
    private static boolean drain(TestClient c, ByteBuffer into) {
        c.conn.read(into);
        return c.has(TcpConnection.EV_REMOTE_FIN) && c.conn.readable() == 0;
    }

    @Test
    void reloadResetsOnlyTheFlowsTheNewFirewallDenies() throws Exception {
        start(open());
        TestClient a = connect(A, 40000);
        TestClient b = connect(B, 40001);
        ByteBuffer gotA = ByteBuffer.allocate(BODY.length + 1);
        ByteBuffer gotB = ByteBuffer.allocate(BODY.length + 1);
        assertTrue(pumpUntil(() -> {
            drain(a, gotA);
            drain(b, gotB);
            return gotA.position() > 256 << 10 && gotB.position() > 256 << 10;
        }, 20_000), "both downloads under way: A " + gotA.position() + ", B " + gotB.position());

        clients.policy(policy(denyRemote(), new ClientCaps(64, 64, 0, 1, 50, 100), DropPolicy.Action.REJECT));
        assertEquals(1, RelayHandler.recheckAll(pipeline), "only B's flow is denied now");

        assertTrue(pumpUntil(() -> {
            drain(a, gotA);
            return b.has(TcpConnection.EV_RESET);
        }, 10_000), "B's stream is reset");
        assertTrue(pumpUntil(() -> drain(a, gotA), 30_000), "A's download finishes: " + gotA.position());
        assertArrayEquals(BODY, java.util.Arrays.copyOf(gotA.array(), gotA.position()), "A byte-exact");

        TestClient again = connect(B, 40002);
        assertTrue(pumpUntil(() -> again.has(TcpConnection.EV_RESET), 5_000), "a new B connection is refused (RST)");
        TestClient a2 = connect(A, 40003);
        assertTrue(pumpUntil(() -> a2.has(TcpConnection.EV_ESTABLISHED), 5_000), "A still connects");

        assertEquals(1, pipeline.drops(DropReason.FIREWALL_RESET));
        assertEquals(1, pipeline.drops(DropReason.FIREWALL));
        assertEquals(1, clients.snapshot(ip(B)).refused(DropReason.FIREWALL_RESET));
        assertEquals(1, clients.snapshot(ip(B)).refused(DropReason.FIREWALL));
        assertEquals(0, clients.snapshot(ip(A)).refusedTotal());
        assertEquals(0, RelayHandler.recheckAll(pipeline), "a second re-check finds nothing more");
    }

    @Test
    void aDeniedSynIsAnsweredAsThePolicySays() throws Exception {
        start(policy(denyRemote(), new ClientCaps(64, 64, 0, 1, 50, 100), DropPolicy.Action.PROHIBIT));
        tun.inject(Packets.syn(B, 41000, REMOTE, 80));
        byte[] icmp = tun.nextWritten(5_000);
        assertNotNull(icmp);
        assertEquals(1, icmp[9], "ICMP");
        assertEquals(3, icmp[20], "destination unreachable");
        assertEquals(13, icmp[21], "administratively prohibited");
        assertEquals(ip(REMOTE), ByteBuffer.wrap(icmp).getInt(12), "from the destination");
        assertEquals(0, socks.requests().size(), "nothing reached tor");

        clients.policy(policy(denyRemote(), new ClientCaps(64, 64, 0, 1, 50, 100), DropPolicy.Action.DROP));
        tun.inject(Packets.syn(B, 41001, REMOTE, 80));
        assertNull(tun.nextWritten(300), "drop: silence");
        assertEquals(2, clients.snapshot(ip(B)).refused(DropReason.FIREWALL));
        assertEquals(0, limits.streams(), "a denied SYN takes no stream");
    }

    @Test
    void dnsIsTheDnsTargetOnTheGatewayAddresses() throws Exception {
        Firewall dnsOnly = new Firewall("dns-only", List.of(new FirewallRule(true, true, null, null, null,
            FirewallRule.ANY)), false);
        start(policy(dnsOnly, new ClientCaps(64, 64, 0, 1, 50, 100), DropPolicy.Action.PROHIBIT));
        byte[] query = new byte[20];
        tun.inject(Packets.udp(B, 5353, GATEWAY, 53, query));
        assertTrue(pumpUntil(() -> dnsSubmitted.get() == 1, 5_000), "DNS to the gateway is the dns target");
        tun.inject(Packets.udp(B, 5354, "9.9.9.9", 53, query));
        assertTrue(pumpUntil(() -> !other.isEmpty(), 5_000), "DNS elsewhere is denied with ICMP");
        assertEquals(13, other.get(0)[21]);
        assertEquals(1, dnsSubmitted.get());
        assertEquals(1, clients.snapshot(ip(B)).refused(DropReason.FIREWALL_DNS));

        clients.policy(policy(new Firewall("none", List.of(), false), new ClientCaps(64, 64, 0, 1, 50, 100),
            DropPolicy.Action.DROP));
        tun.inject(Packets.udp(B, 5355, GATEWAY, 53, query));
        assertNull(tun.nextWritten(300), "without the dns rule even the gateway's DNS is denied (silently)");
        assertEquals(1, dnsSubmitted.get());
        assertEquals(2, pipeline.drops(DropReason.FIREWALL_DNS));
        tun.inject(Packets.syn(B, 5356, GATEWAY, 53));
        assertNull(tun.nextWritten(300), "DNS over TCP is denied the same way (no SYN-ACK)");
        assertEquals(3, pipeline.drops(DropReason.FIREWALL_DNS));
        assertEquals(3, clients.snapshot(ip(B)).refused(DropReason.FIREWALL_DNS));
        assertEquals(0, limits.streams(), "a denied DNS connection takes no stream");
    }

    @Test
    void aClientOverItsStreamLimitIsRefusedAndAnotherIsNot() throws Exception {
        start(policy(Firewall.ACCEPT_ALL, new ClientCaps(64, 1, 0, 1, 50, 100), DropPolicy.Action.REJECT));
        TestClient b1 = connect(B, 42000);
        assertTrue(pumpUntil(() -> b1.has(TcpConnection.EV_ESTABLISHED), 5_000));
        TestClient b2 = connect(B, 42001);
        TestClient a1 = connect(A, 42002);
        TestClient a2 = connect(A, 42003);
        assertTrue(pumpUntil(() -> b2.has(TcpConnection.EV_RESET) && a1.has(TcpConnection.EV_ESTABLISHED)
            && a2.has(TcpConnection.EV_ESTABLISHED), 5_000), "B's second stream refused, A's two admitted");
        assertEquals(1, clients.snapshot(ip(B)).refused(DropReason.STREAM_LIMIT_CLIENT));
        assertEquals(0, clients.snapshot(ip(A)).refusedTotal());
        assertEquals(1, pipeline.drops(DropReason.STREAM_LIMIT_CLIENT));
    }

    @Test
    void newStreamsPerSecondIsATokenBucketPerClient() throws Exception {
        // 1 new stream per second, depth 2: the third SYN within the same instant is refused. The bucket takes the
        // worker's clock, one reading per turn: three SYNs of one reader batch, all for one shard, are handled at
        // the same instant however loaded the machine is. B's clients do not retransmit their SYN within the test
        // (a starved test thread could otherwise let the refused client's 1 s SYN retransmission reach the
        // gateway before it took the RST, and the refilled bucket rightly admits that one: 3 opened, not 2).
        start(policy(Firewall.ACCEPT_ALL, new ClientCaps(64, 64, 1, 2, 50, 100), DropPolicy.Action.REJECT));
        tun.hold();
        TestClient[] bs = new TestClient[3];
        for (int port = 43000, n = 0; n < bs.length; port++) {
            if (Integer.remainderUnsigned(PacketInfo.flowHash(ip(B), port, ip(REMOTE), 80), WORKERS) == 0) {
                bs[n] = new TestClient(tun, B, port, REMOTE, 80, 64 << 10,
                    cfg -> cfg.rto(200_000_000L, 60_000_000_000L, 60_000_000_000L));
                byPort.put(port, bs[n++]);
            }
        }
        tun.release();
        TestClient a = connect(A, 43100); // byPort: a port none of B's
        assertTrue(pumpUntil(() -> {
            int done = 0;
            for (TestClient c : bs) {
                done += c.has(TcpConnection.EV_ESTABLISHED) || c.has(TcpConnection.EV_RESET) ? 1 : 0;
            }
            return done == 3 && a.has(TcpConnection.EV_ESTABLISHED);
        }, 5_000));
        int reset = 0;
        for (TestClient c : bs) {
            reset += c.has(TcpConnection.EV_RESET) ? 1 : 0;
        }
        assertEquals(1, reset, "two admitted, one refused");
        assertEquals(1, clients.snapshot(ip(B)).refused(DropReason.STREAM_RATE_CLIENT));
        assertEquals(2, clients.snapshot(ip(B)).streamsOpened());
    }
}
