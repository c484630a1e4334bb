package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Acceptance of issue 5 against a real tor: a {@link ManagedTor} client on the lab's private Tor network
 * ({@code test-vms/tornet.sh}), isolation asserted from tor's own STREAM events (circuit ids), never our logs.
 * The managed torrc has {@code ConfluxEnabled 0} (see {@link Torrc}; TORNET.md pitfall 5), so one isolation group is
 * one circuit.
 * Targets: listeners this test opens on the root end of the lab link (never a relay's ports, pitfall 3) and the
 * lab's web servers.
 */
@Tag("tor")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120)
class RealTorTest {
    private static final int A = ClientMatch.parseIpv4("10.137.0.5");
    private static final int B = ClientMatch.parseIpv4("10.137.0.6");

    private static TorNet net;
    private static Path dir;
    private static ManagedTor tor;
    private static Torrc torrc;
    private static HoldServer target1;
    private static HoldServer target2;
    private static String hostIp;
    private static final List<StreamEvent> events = new CopyOnWriteArrayList<>();
    private static final Set<String> usedStreams = new HashSet<>();
    private static final List<SocketChannel> open = new ArrayList<>();
    private static final List<ManagedTor.State> states = new CopyOnWriteArrayList<>();
    private static final IsolationKeys keys = new IsolationKeys(new ClientEpochs());
    private static final NewIdentity newIdentity = new NewIdentity(keys);

    @BeforeAll
    @Timeout(value = 400)
    static void startTor() throws Exception {
        net = TorNet.up();
        hostIp = net.rootAddress();
        target1 = new HoldServer(hostIp);
        target2 = new HoldServer(hostIp);
        dir = Files.createTempDirectory(Path.of("/tmp"), "tgtor");
        torrc = new Torrc(TorNet.torBinary(), dir.resolve("data"), dir.resolve("run"), net.clientTorrc());
        tor = new ManagedTor(new ManagedTor.Settings(torrc, 90_000, 2_000, 5_000));
        tor.addStateListener(states::add);
        tor.addControlListener(new ControlEventListener() {
            @Override
            public void onStream(StreamEvent e) {
                events.add(e);
            }
        });
        tor.addControlListener(newIdentity);
        tor.start();
        tor.setEvents("STREAM", "CIRC");
        // TORNET pitfall 2: bootstrap 100% is not a working exit; wait for one real stream first.
        awaitWorkingExit();
    }

    private static void awaitWorkingExit() throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        IOException last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                SocketChannel ch = Socks5Blocking.connect(tor.socksAddress(), net.get("TORNET_WEB_IP"), 80,
                        new IsolationKey(0, 0, System.nanoTime()), 30_000);
                ch.close();
                return;
            } catch (IOException e) {
                last = e;
                Thread.sleep(2000);
            }
        }
        throw new IOException("no working exit within 90 s", last);
    }

    @AfterAll
    static void stopTor() throws IOException {
        for (SocketChannel ch : open) {
            ch.close();
        }
        if (tor != null) {
            tor.close();
        }
        if (target1 != null) {
            target1.close();
        }
        if (target2 != null) {
            target2.close();
        }
        if (dir != null) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Opens a stream through tor (kept open until the class ends) and returns tor's circuit id for it. */
    private static String stream(IsolationProfile p, int client, String ip, int port) throws Exception {
        IsolationKey key = keys.derive(p, client, null, ClientMatch.parseIpv4(ip), port, null);
        Socks5Client c = new Socks5Client();
        SocketChannel ch = Socks5Client.open(tor.socksAddress());
        open.add(ch);
        c.startConnect(ch, ClientMatch.parseIpv4(ip), port, key);
        assertTrue(Socks5Blocking.drive(c, ch, 60_000), "SOCKS exchange timed out");
        assertEquals(Socks5Client.Status.SUCCEEDED, c.status(), () -> c.failure() + " " + c.reply() + " to " + ip
                + ":" + port + "\nevents: " + events.subList(Math.max(0, events.size() - 6), events.size()));
        return circuitFor(key, ip + ":" + port);
    }

    private static String circuitFor(IsolationKey key, String target) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline) {
            for (StreamEvent e : events) {
                if ("SUCCEEDED".equals(e.status()) && key.password().equals(e.socksPassword())
                        && IsolationKey.USERNAME.equals(e.socksUsername()) && target.equals(e.target())
                        && usedStreams.add(e.streamId())) {
                    return e.circuitId();
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no STREAM SUCCEEDED event for " + target + " with key " + key);
    }

    private static ClientAction actionWhileDown() throws IOException {
        Socks5Client c = new Socks5Client();
        SocketChannel ch;
        try {
            ch = Socks5Client.open(tor.socksAddress());
        } catch (IOException refused) {
            return ClientAction.RST; // what the gateway answers when tor's socket refuses (Socks5Client.open)
        }
        try (ch) {
            c.startConnect(ch, "example.com", 80, new IsolationKey(1, 1, 1));
            assertTrue(Socks5Blocking.drive(c, ch, 5_000));
        }
        assertEquals(Socks5Client.Status.FAILED, c.status());
        return c.clientAction();
    }

    @Test
    @Order(1)
    void controlPortAnswersAndTorReportsBootstrapDone() throws Exception {
        assertTrue(BootstrapStatus.parse(tor.control().getInfo("status/bootstrap-phase")).done());
        assertTrue(tor.control().getInfo("version").startsWith("0.4"));
        assertTrue(tor.isReady());
    }

    @Test
    @Order(1)
    void externalModeAuthenticatesWithSafeCookieOnTheControlSocket() throws Exception {
        try (ExternalTor ext = new ExternalTor(tor.socksAddress(),
                java.net.UnixDomainSocketAddress.of(torrc.controlSocket()), null)) {
            assertTrue(ext.isReady());
            ProtocolInfo info = ext.control().protocolInfo();
            assertTrue(info.methods().contains("SAFECOOKIE"), info.toString());
            assertEquals(torrc.cookieFile(), info.cookieFile());
            assertNotNull(stream(IsolationProfile.BROWSER, B, hostIp, target1.port()));
        }
    }

    @Test
    @Order(2)
    void defaultProfileSeparatesClientsAndSharesWithinOne() throws Exception {
        int port = target1.port();
        String a1 = stream(IsolationProfile.DEFAULT, A, hostIp, port);
        String a2 = stream(IsolationProfile.DEFAULT, A, hostIp, port);
        String b1 = stream(IsolationProfile.DEFAULT, B, hostIp, port);
        assertEquals(a1, a2, "two streams of one client to one destination share a circuit");
        assertNotEquals(a1, b1, "two clients never share a circuit");
    }

    @Test
    @Order(3)
    void mailProfileSharesAcrossPortsNotAddresses() throws Exception {
        String p1 = stream(IsolationProfile.MAIL, A, hostIp, target1.port());
        String p2 = stream(IsolationProfile.MAIL, A, hostIp, target2.port());
        assertEquals(p1, p2, "mail: one circuit per destination address, shared across ports");
        String w1 = stream(IsolationProfile.MAIL, A, net.get("TORNET_WEB_IP"), 80);
        String w2 = stream(IsolationProfile.MAIL, A, net.get("TORNET_WEB2_IP"), 80);
        assertNotEquals(w1, w2, "mail: different destination addresses get different circuits");
        assertNotEquals(p1, w1);
    }

    @Test
    @Order(4)
    void paranoidProfileSeparatesPorts() throws Exception {
        String p1 = stream(IsolationProfile.PARANOID, A, hostIp, target1.port());
        String p2 = stream(IsolationProfile.PARANOID, A, hostIp, target2.port());
        assertNotEquals(p1, p2, "paranoid: per-port circuits");
    }

    @Test
    @Order(5)
    void resolveAndExtendedErrorsFromRealTor() throws Exception {
        Socks5Client c = new Socks5Client();
        try (SocketChannel ch = Socks5Client.open(tor.socksAddress())) {
            c.startResolve(ch, net.get("TORNET_WEB_NAME"), keys.derive(IsolationProfile.DEFAULT, A, "x", 0, 53, null));
            assertTrue(Socks5Blocking.drive(c, ch, 60_000));
        }
        assertEquals(Socks5Client.Status.SUCCEEDED, c.status(), () -> c.failure() + " " + c.reply());
        assertEquals(ClientMatch.parseIpv4(net.get("TORNET_WEB_IP")), c.reply().ipv4());
        try (SocketChannel ch = Socks5Client.open(tor.socksAddress())) {
            c.startConnect(ch, "not-a-valid-onion-address.onion", 80,
                    keys.derive(IsolationProfile.DEFAULT, A, "x", 0, 80, null));
            assertTrue(Socks5Blocking.drive(c, ch, 60_000));
        }
        assertEquals(SocksReply.ONION_INVALID_ADDRESS, c.reply().reply(), c.reply()::toString);
        assertEquals(ClientAction.ICMP_UNREACHABLE_NET, c.clientAction());
    }

    @Test
    @Order(6)
    void newIdentityForOneClientLeavesTheOtherAlone() throws Exception {
        String web = net.get("TORNET_WEB_IP");
        String a0 = stream(IsolationProfile.DEFAULT, A, web, 80);
        String b0 = stream(IsolationProfile.DEFAULT, B, web, 80);
        assertNotEquals(a0, b0);
        int closed = newIdentity.newIdentity(A, tor.control());
        assertTrue(closed >= 1, "A's circuits were found and closed");
        String a1 = stream(IsolationProfile.DEFAULT, A, web, 80);
        String b1 = stream(IsolationProfile.DEFAULT, B, web, 80);
        assertNotEquals(a0, a1, "A's next stream uses a new circuit");
        assertEquals(b0, b1, "B's next stream reuses its old circuit");
    }

    @Test
    @Order(7)
    @Timeout(value = 200)
    void killedTorIsRestartedAndStreamsWorkAgain() throws Exception {
        long pid = tor.pid();
        assertTrue(pid > 0);
        int before = tor.restarts();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        long down = System.currentTimeMillis() + 10_000;
        while (tor.isReady() && System.currentTimeMillis() < down) {
            Thread.sleep(10);
        }
        // While tor is down (2 s back-off) a new flow must get RST: the socket refuses or the exchange fails.
        assertEquals(ClientAction.RST, actionWhileDown());
        long deadline = System.currentTimeMillis() + 150_000;
        while (!(tor.restarts() > before && tor.isReady()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(tor.restarts() > before, "watchdog restarted tor, state " + tor.state());
        assertNotEquals(pid, tor.pid());
        assertEquals(List.of(ManagedTor.State.STARTING, ManagedTor.State.READY, ManagedTor.State.RESTARTING,
                ManagedTor.State.READY), states);
        tor.setEvents("STREAM", "CIRC");
        awaitWorkingExit();
        assertNotNull(stream(IsolationProfile.DEFAULT, A, hostIp, target1.port()));
    }
}
