package io.torgate.gateway.relay;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.torgate.gateway.testing.Packets;
import io.torgate.gateway.testing.TestClient;
import io.torgate.stack.BufferBudget;
import io.torgate.stack.TcpConnection;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.tor.ManagedTor;
import io.torgate.tor.TorNet;
import io.torgate.tor.Torrc;
import io.torgate.wire.Tcp;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The relay on a real {@link ManagedTor} (the lab's private Tor network): while tor is dead a new flow gets a RST
 * and nothing else (no SOCKS attempt, no other packet), counted as {@code tor_not_ready}; after the watchdog has
 * restarted tor, new flows fetch from the network's web server again, with no restart of the relay.
 */
@Tag("tor")
@Timeout(value = 400)
class ManagedTorRelayTest {
    private static final String CLIENT = "10.137.0.5";

    private final FakeTun tun = new FakeTun(1500);
    private Path dir;
    private ManagedTor tor;
    private Pipeline pipeline;
    private int nextPort = 43000;

    @AfterEach
    void tearDown() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
        tun.close();
        if (tor != null) {
            tor.close();
        }
        if (dir != null) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void deadTorMeansRstThenRestartRecovers() throws Exception {
        TorNet net = TorNet.up();
        String web = net.get("TORNET_WEB_IP");
        dir = Files.createTempDirectory(Path.of("/tmp"), "tgmtor");
        Torrc torrc = new Torrc(TorNet.torBinary(), dir.resolve("data"), dir.resolve("run"), net.clientTorrc());
        tor = new ManagedTor(new ManagedTor.Settings(torrc, 120_000, 500, 2_000));
        tor.start();
        RelaySettings settings = new RelaySettings(tor.socksAddress(), 30_000_000_000L, 1500, 64 << 10, 32 << 10,
            tor::isReady, true);
        EgressGuard egress = new EgressGuard(List.of(tor.socksAddress(),
            UnixDomainSocketAddress.of(torrc.controlSocket())));
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip("10.139.1.1")), List.of(), DropPolicy.dropAll());
        pipeline = new Pipeline(tun, new GatewayConfig.Pipeline(1, 256, 32, IdleKind.BLOCK), classifier,
            i -> new RelayHandler(settings, egress, new FlowLimits(64, 64, 64, 64), new BufferBudget(64L << 20),
                new IsolationKeys(new ClientEpochs()), HostnameResolver.NONE, 64));
        pipeline.start();
        assertTrue(fetchWithin(web, 120_000), "a first fetch through tor (TORNET pitfall 2: wait for an exit)");

        ProcessHandle.of(tor.pid()).orElseThrow().destroyForcibly();
        long deadline = System.currentTimeMillis() + 10_000;
        while (tor.isReady() && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(tor.isReady(), "tor is seen dead");
        tun.inject(Packets.syn(CLIENT, 44000, web, 80));
        byte[] rst = tun.nextWritten(5_000);
        assertNotNull(rst, "a SYN while tor is dead is answered");
        Tcp t = new Tcp().wrap(ByteBuffer.wrap(rst), 20, rst.length - 20);
        assertTrue(t.rst(), "with a RST");
        assertNull(tun.nextWritten(1_000), "and nothing else");
        assertEquals(1, pipeline.drops(DropReason.TOR_NOT_READY));
        assertEquals(0, egress.refused(), "no other path was even tried");

        deadline = System.currentTimeMillis() + 180_000;
        while (tor.state() != ManagedTor.State.READY && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(ManagedTor.State.READY, tor.state(), "the watchdog restarted tor");
        assertTrue(tor.restarts() >= 1);
        assertTrue(fetchWithin(web, 120_000), "new flows work again after the restart");
    }

    /** Retries an HTTP GET of the web server through the relay until one succeeds or the time is up. */
    private boolean fetchWithin(String web, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            if (fetch(web)) {
                return true;
            }
            Thread.sleep(2_000);
        }
        return false;
    }

    private boolean fetch(String web) throws Exception {
        TestClient c = new TestClient(tun, CLIENT, nextPort++, web, 80, 64 << 10);
        if (!c.stepUntil(() -> c.has(TcpConnection.EV_ESTABLISHED | TcpConnection.EV_CLOSED), 40_000)
            || !c.has(TcpConnection.EV_ESTABLISHED)) {
            return false;
        }
        ByteBuffer req = ByteBuffer.wrap("GET / HTTP/1.0\r\nHost: web.lab.test\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        ByteBuffer got = ByteBuffer.allocate(1 << 20);
        c.stepUntil(() -> {
            c.conn.write(req);
            c.conn.read(got);
            return c.has(TcpConnection.EV_REMOTE_FIN | TcpConnection.EV_CLOSED) && c.conn.readable() == 0;
        }, 40_000);
        String head = new String(got.array(), 0, Math.min(got.position(), 12), StandardCharsets.US_ASCII);
        return head.startsWith("HTTP/1.") && head.contains(" 200");
    }
}
