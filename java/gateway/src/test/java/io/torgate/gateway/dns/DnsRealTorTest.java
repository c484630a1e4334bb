package io.torgate.gateway.dns;

import static io.torgate.gateway.dns.DnsMessages.addressOf;
import static io.torgate.gateway.dns.DnsMessages.assertNegative;
import static io.torgate.gateway.dns.DnsMessages.parse;
import static io.torgate.gateway.dns.DnsMessages.pointerOf;
import static io.torgate.gateway.dns.DnsMessages.query;
import static io.torgate.gateway.dns.DnsMessages.reverse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.tor.ControlEventListener;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.IsolationProfile;
import io.torgate.tor.Socks5Blocking;
import io.torgate.tor.ManagedTor;
import io.torgate.tor.StreamEvent;
import io.torgate.tor.TorNet;
import io.torgate.tor.Torrc;
import io.torgate.wire.Dns;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Resolve mode against a real tor: a {@link ManagedTor} client on the lab's private Tor network
 * ({@code test-vms/tornet.sh up}, reused when already up) whose exits resolve the zone {@code lab.test}. Two
 * client addresses look up names of the zone, a name that does not exist and a PTR; isolation is asserted on
 * tor's own STREAM events: each RESOLVE stream carries the credentials of the client that asked, and A's and
 * B's lookups ride different circuits (the managed torrc has {@code ConfluxEnabled 0}; TORNET.md pitfall 5).
 */
@Tag("tor")
@Timeout(value = 120)
class DnsRealTorTest {
    private static final int A = 0x0A890005; // 10.137.0.5
    private static final int B = 0x0A890006; // 10.137.0.6
    private static final int WARM = 0x0A890007;
    private static final int SERVER = 0x0A8B0101;
    /** Virtual range of this test: the lab's 10.251.0.0/24 lies inside the default 10.192.0.0/10. */
    private static final int CGNAT = 0x64400000; // 100.64.0.0/10

    private static Path dir;
    private static ManagedTor tor;
    private static DnsHarness h;
    private static TorNet net;
    private static boolean startedNetwork;
    private static final List<StreamEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    @Timeout(value = 400)
    static void start() throws Exception {
        startedNetwork = !TorNet.isUp();
        net = TorNet.up();
        dir = Files.createTempDirectory(Path.of("/tmp"), "tgdns");
        Torrc torrc = new Torrc(TorNet.torBinary(), dir.resolve("data"), dir.resolve("run"), net.clientTorrc());
        tor = new ManagedTor(new ManagedTor.Settings(torrc, 90_000, 500, 5_000));
        tor.addControlListener(new ControlEventListener() {
            @Override
            public void onStream(StreamEvent e) {
                events.add(e);
            }
        });
        tor.start();
        tor.setEvents("STREAM");
        DnsConfig config = new DnsConfig(DnsConfig.Mode.RESOLVE, DnsConfig.DNS_PROFILE, 300, 60, 600, 1024, CGNAT,
            10, 1024, null, 10_000, 1000, 1000, 64, 64, 256, 30_000, 1232);
        h = new DnsHarness(config, tor.socksAddress());
        h.torReady.set(false);
        awaitWorkingExit();
    }

    /** TORNET pitfall 2: bootstrap 100% is not a working exit; a RESOLVE through one must succeed first. */
    private static void awaitWorkingExit() throws Exception {
        h.torReady.set(tor.isReady());
        long end = System.currentTimeMillis() + 90_000;
        int id = 0;
        while (System.currentTimeMillis() < end) {
            Dns d = parse(h.ask(WARM, SERVER, query(++id, "web.lab.test", Dns.TYPE_A, 0), 40_000), id,
                "web.lab.test", Dns.TYPE_A);
            if (d.rcode() == Dns.RCODE_NOERROR) {
                return;
            }
            Thread.sleep(2_000);
        }
        throw new AssertionError("no working exit within 90 s");
    }

    @AfterAll
    static void stop() throws Exception {
        if (h != null) {
            h.close();
        }
        if (tor != null) {
            tor.close();
        }
        if (dir != null) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        if (startedNetwork) {
            TorNet.down();
        }
    }

    @Test
    void twoClientsResolveTheZoneEachWithItsOwnCredentials() throws Exception {
        int web = (int) io.torgate.gateway.dns.VirtualMap.parseAddress(net.get("TORNET_WEB_IP"));
        int web2 = (int) io.torgate.gateway.dns.VirtualMap.parseAddress(net.get("TORNET_WEB2_IP"));
        for (int client : new int[] {A, B}) {
            assertEquals(web, addressOf(parse(h.ask(client, SERVER, query(1, "web.lab.test", Dns.TYPE_A, 1232),
                40_000), 1, "web.lab.test", Dns.TYPE_A)));
            assertEquals(web2, addressOf(parse(h.ask(client, SERVER, query(2, "WEB2.lab.test", Dns.TYPE_A, 0),
                40_000), 2, "WEB2.lab.test", Dns.TYPE_A)));
            Dns nx = parse(h.ask(client, SERVER, query(3, "nonexistent.lab.test", Dns.TYPE_A, 0), 40_000), 3,
                "nonexistent.lab.test", Dns.TYPE_A);
            assertNegative(nx, Dns.RCODE_NXDOMAIN, 60);
            Dns ptr = parse(h.ask(client, SERVER, query(4, reverse(web), Dns.TYPE_PTR, 0), 40_000), 4, reverse(web),
                Dns.TYPE_PTR);
            assertEquals("web.lab.test", pointerOf(ptr));
            assertNegative(parse(h.ask(client, SERVER, query(5, "web.lab.test", Dns.TYPE_AAAA, 0)), 5,
                "web.lab.test", Dns.TYPE_AAAA), Dns.RCODE_NOERROR, 60);
        }

        String pwA = h.keys.derive(DnsConfig.DNS_PROFILE, A, "web.lab.test", 0, 53, null).password();
        String pwB = h.keys.derive(DnsConfig.DNS_PROFILE, B, "web.lab.test", 0, 53, null).password();
        assertNotEquals(pwA, pwB);
        Thread.sleep(500); // the last events may still be on their way
        List<StreamEvent> resolves = events.stream()
            .filter(e -> "DNS_REQUEST".equals(e.purpose()) && "NEWRESOLVE".equals(e.status())).toList();
        Map<String, Set<String>> targetsByPassword = resolves.stream().collect(Collectors.groupingBy(
            StreamEvent::socksPassword, Collectors.mapping(StreamEvent::target, Collectors.toSet())));
        Set<String> zone = Set.of("web.lab.test:0", "web2.lab.test:0", "nonexistent.lab.test:0");
        assertTrue(targetsByPassword.get(pwA).containsAll(zone), "A's RESOLVEs carry A's credentials: "
            + targetsByPassword);
        assertTrue(targetsByPassword.get(pwB).containsAll(zone), "B's RESOLVEs carry B's credentials");
        long withA = resolves.stream().filter(e -> pwA.equals(e.socksPassword())).count();
        long withB = resolves.stream().filter(e -> pwB.equals(e.socksPassword())).count();
        assertEquals(4, withA, "A's four lookups (3 RESOLVE + 1 RESOLVE_PTR), each with A's key and no other");
        assertEquals(4, withB, "B's four lookups, each with B's key");
        assertTrue(resolves.stream().allMatch(e -> "<torS0X>0".equals(e.socksUsername())), "proposal 351 username");

        for (StreamEvent e : resolves) {
            System.out.printf("tor STREAM %s NEWRESOLVE %s SOCKS_PASSWORD=%s (%s)%n", e.streamId(), e.target(),
                e.socksPassword(), who(e.socksPassword(), pwA, pwB));
        }
        org.HdrHistogram.Histogram lat = h.service.stats().resolveLatencyInterval();
        System.out.printf("RESOLVE latency through the private tor network (us): n=%d p50=%d p90=%d max=%d%n",
            lat.getTotalCount(), lat.getValueAtPercentile(50), lat.getValueAtPercentile(90), lat.getMaxValue());
        Set<String> circuitsA = circuits(pwA);
        Set<String> circuitsB = circuits(pwB);
        assertFalse(circuitsA.isEmpty());
        assertFalse(circuitsB.isEmpty());
        assertTrue(circuitsA.stream().noneMatch(circuitsB::contains), "A and B never share a circuit: " + circuitsA
            + " " + circuitsB);
    }

    @Test
    void mappedNameIsFetchedByNameThroughAnExit() throws Exception {
        DnsConfig mapped = new DnsConfig(DnsConfig.Mode.MAPPED, DnsConfig.DNS_PROFILE, 300, 60, 600, 1024, CGNAT,
            10, 1024, null, 10_000, 1000, 1000, 64, 64, 256, 30_000, 1232);
        try (DnsHarness m = new DnsHarness(mapped, tor.socksAddress())) {
            int address = addressOf(parse(m.ask(A, SERVER, query(1, "web.lab.test", Dns.TYPE_A, 0)), 1,
                "web.lab.test", Dns.TYPE_A));
            assertTrue(m.service.hostnames().isVirtual(address));
            assertEquals(0, m.service.stats().get(DnsCounter.RESOLVES), "mapped: no RESOLVE");
            // What the relay does with a SYN to the virtual address: CONNECT by the mapped name.
            String host = m.service.hostnames().hostnameFor(address);
            IsolationKey key = m.keys.derive(IsolationProfile.DEFAULT, A, host, address, 80, null);
            try (SocketChannel ch = Socks5Blocking.connect(tor.socksAddress(), host, 80, key, 30_000)) {
                ch.write(ByteBuffer.wrap(("GET /index.html HTTP/1.0\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
                String body = new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(),
                    StandardCharsets.UTF_8);
                assertTrue(body.contains("hello from web.lab.test"), body);
            }
            assertTrue(events.stream().anyMatch(e -> "web.lab.test:80".equals(e.target())
                && key.password().equals(e.socksPassword())), "tor saw a CONNECT to the name, not the address");
        }
    }

    private static String who(String password, String pwA, String pwB) {
        return pwA.equals(password) ? "A" : pwB.equals(password) ? "B" : "warm-up";
    }

    private static Set<String> circuits(String password) {
        Map<String, String> passwordByStream = new HashMap<>();
        for (StreamEvent e : events) {
            if (e.socksPassword() != null) {
                passwordByStream.put(e.streamId(), e.socksPassword());
            }
        }
        return events.stream()
            .filter(e -> "SENTRESOLVE".equals(e.status()) && password.equals(passwordByStream.get(e.streamId())))
            .map(StreamEvent::circuitId).collect(Collectors.toSet());
    }
}
