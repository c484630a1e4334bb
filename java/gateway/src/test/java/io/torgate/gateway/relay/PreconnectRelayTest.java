package io.torgate.gateway.relay;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.config.IdleKind;
import io.torgate.gateway.egress.EgressGuard;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.testing.FakeTun;
import io.torgate.gateway.testing.TestClient;
import io.torgate.gateway.testing.TestSocksServer;
import io.torgate.stack.BufferBudget;
import io.torgate.stack.TcpConnection;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.IsolationKeys;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code [socks] preconnect} through the relay: a fake TUN with our stack as the client, a real SOCKS5 server on
 * loopback standing in for tor, a real target. One worker, so every stream meets the same pool. The counterpart
 * against a real tor is {@code RealTorTest.preconnectedSocketsCarryIsolatedStreams}.
 */
class PreconnectRelayTest {
    private static final String CLIENT = "10.137.0.5";
    private static final String REMOTE = "10.200.0.80";
    private static final byte[] BODY = "hello through a pooled socket".getBytes(StandardCharsets.US_ASCII);

    private final FakeTun tun = new FakeTun(1500);
    private ServerSocket target;
    private TestSocksServer socks;
    private Pipeline pipeline;
    private FlowLimits limits;
    private int nextPort = 41000;

    @BeforeEach
    void setUp() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        target = new ServerSocket(0, 50, lo);
        Thread.ofPlatform().daemon().start(this::serveTarget);
        socks = new TestSocksServer(new InetSocketAddress(lo, 0), t -> new InetSocketAddress(lo, target.getLocalPort()));
        BufferBudget budget = new BufferBudget(64L << 20);
        limits = new FlowLimits(4, 100, 100, 100);
        RelaySettings settings = new RelaySettings(socks.address(), 5_000_000_000L, 1500, 64 << 10, 32 << 10,
            () -> true, true, 2);
        EgressGuard egress = new EgressGuard(List.of(socks.address()));
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis);
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip("10.139.1.1")), List.of(), DropPolicy.dropAll());
        pipeline = new Pipeline(tun, new GatewayConfig.Pipeline(1, 256, 32, IdleKind.BLOCK), classifier,
            i -> new RelayHandler(settings, egress, limits, budget, keys, HostnameResolver.NONE, 64));
        pipeline.start();
    }

    private void serveTarget() {
        while (!target.isClosed()) {
            try (Socket s = target.accept()) {
                OutputStream out = s.getOutputStream();
                out.write(BODY);
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                in.transferTo(OutputStream.nullOutputStream());
            } catch (Exception e) {
                // next connection
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

    private SocksPoolStats stats() throws Exception {
        return pipeline.onEachShard((shard, h, now) -> ((RelayHandler) h).snapshot(now).socksPool())
            .get(10, TimeUnit.SECONDS).get(0);
    }

    /** One stream end to end: handshake, the target's bytes and its FIN, our FIN, the flow retired. */
    private void oneStream() throws Exception {
        TestClient c = new TestClient(tun, CLIENT, nextPort++, REMOTE, 80, 64 << 10);
        assertTrue(c.stepUntil(() -> c.has(TcpConnection.EV_ESTABLISHED), 10_000), "handshake after SOCKS success");
        ByteBuffer got = ByteBuffer.allocate(1024);
        assertTrue(c.stepUntil(() -> {
            c.conn.read(got);
            return c.has(TcpConnection.EV_REMOTE_FIN) && c.conn.readable() == 0;
        }, 10_000), "the target's bytes and FIN");
        assertArrayEquals(BODY, java.util.Arrays.copyOf(got.array(), got.position()));
        c.conn.shutdownOutput();
        assertTrue(c.stepUntil(() -> limits.streams() == 0, 10_000), "flow retired");
    }

    private static void waitFor(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(10);
        }
    }

    @Test
    void streamsRideOnPreconnectedSocketsOneStreamPerSocketWithTheirIsolationKeys() throws Exception {
        for (int i = 0; i < 5; i++) {
            oneStream();
        }
        SocksPoolStats s = stats();
        assertEquals(1, s.misses(), "only the first SYN found the pool empty: " + s);
        assertEquals(4, s.hits(), s.toString());
        assertEquals(0, s.retried());
        assertEquals(2, s.pooled(), "refilled to the capacity after the last stream");
        // One SOCKS connection per stream: 5 requests; the server accepted those plus the 2 still pooled.
        assertEquals(5, socks.requests().size());
        waitFor(() -> socks.accepted() == 7, "5 streams + 2 pooled accepted: " + socks.accepted());
        for (TestSocksServer.Request r : socks.requests()) {
            assertEquals(IsolationKey.USERNAME, r.username(), "credentials on every pooled request");
            assertEquals(IsolationKey.HEX_LENGTH, r.password().length());
        }
        assertEquals(1, socks.requests().stream().map(TestSocksServer.Request::password).distinct().count(),
            "one client, one destination port: one isolation key, pooled or not");
    }

    @Test
    void aPooledSocketDeadOnFirstUseIsRetriedOnceOnAFreshOne() throws Exception {
        oneStream(); // fills the pool
        waitFor(() -> socks.open() == 2, "two pooled sockets open at the server");
        socks.dropUnanswered(1); // the pooled socket taken next is closed as soon as it is used
        oneStream();
        SocksPoolStats s = stats();
        assertEquals(1, s.retried(), s.toString());
        assertEquals(1, s.hits());
        assertEquals(1, socks.requests().size() - 1, "the retried request reached the server once, on the fresh one");
        assertEquals(0, pipeline.drops(DropReason.SOCKS_UNAVAILABLE));
    }

    @Test
    void aDeadEndpointGetsTheClientARstAndEmptiesThePool() throws Exception {
        oneStream();
        waitFor(() -> socks.open() == 2, "two pooled sockets open at the server");
        socks.close(); // tor died: every pooled socket is reset, nothing listens any more
        TestClient c = new TestClient(tun, CLIENT, nextPort++, REMOTE, 80, 64 << 10);
        assertTrue(c.stepUntil(() -> c.has(TcpConnection.EV_RESET), 10_000), "RST: fail closed");
        assertEquals(1, pipeline.drops(DropReason.SOCKS_UNAVAILABLE));
        SocksPoolStats s = stats();
        assertEquals(0, s.pooled(), "closed, and no refill while the endpoint fails: " + s);
        assertEquals(s.hits(), s.retried(), "a pooled socket handed out was dead and retried, never relayed: " + s);
        assertTrue(c.stepUntil(() -> limits.streams() == 0 && limits.synsInFlight() == 0, 5_000));
    }

    @Test
    void shutdownClosesThePooledSockets() throws Exception {
        oneStream();
        waitFor(() -> socks.open() == 2, "two pooled sockets open at the server");
        pipeline.close();
        pipeline = null;
        waitFor(() -> socks.open() == 0, "the server saw every pooled socket closed: " + socks.open());
    }

    @Test
    void anIdleGatewayClosesItsPooledSocketsAtTheAgeLimit() throws Exception {
        oneStream();
        waitFor(() -> socks.open() == 2, "two pooled sockets open at the server");
        // No more connections: the worker wakes for the expiry (its next deadline) and opens no replacement.
        waitFor(() -> socks.open() == 0, "pooled sockets closed after " + SocksSocketPool.MAX_AGE_NANOS / 1e9
            + " s idle: " + socks.open());
        SocksPoolStats s = stats();
        assertEquals(2, s.expired(), s.toString());
        assertEquals(0, s.pooled());
        assertEquals(3, socks.accepted(), "no refill without connections being made");
    }
}
