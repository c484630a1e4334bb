package io.torgate.gateway.dns;

import static io.torgate.gateway.dns.DnsMessages.addressOf;
import static io.torgate.gateway.dns.DnsMessages.assertNegative;
import static io.torgate.gateway.dns.DnsMessages.parse;
import static io.torgate.gateway.dns.DnsMessages.pointerOf;
import static io.torgate.gateway.dns.DnsMessages.query;
import static io.torgate.gateway.dns.DnsMessages.record;
import static io.torgate.gateway.dns.DnsMessages.reverse;
import static io.torgate.gateway.dns.DnsServiceTest.CLIENT_A;
import static io.torgate.gateway.dns.DnsServiceTest.CLIENT_B;
import static io.torgate.gateway.dns.DnsServiceTest.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.dns.FakeTorSocks.Answer;
import io.torgate.tor.Socks5Blocking;
import io.torgate.tor.Socks5Client;
import io.torgate.wire.Dns;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mapped mode and .onion names: virtual addresses, LRU, persistence, PTR, and the CONNECT that carries the name. */
class MappedModeTest {
    static final int VIRTUAL_BASE = 0x0AC00000; // 10.192.0.0/10

    @TempDir
    Path dir;
    FakeTorSocks tor;
    DnsHarness h;

    @BeforeEach
    void up() throws Exception {
        tor = new FakeTorSocks(s -> Answer.ipv4(0x01020304));
        h = mapped(4);
    }

    private DnsHarness mapped(int entries) throws Exception {
        return new DnsHarness(DnsConfig.defaults().withMode(DnsConfig.Mode.MAPPED)
            .withMap(entries, dir.resolve("state/dns-map")), tor.address());
    }

    @AfterEach
    void down() throws Exception {
        h.close();
        tor.close();
    }

    private int map(int client, String name) throws Exception {
        Dns d = parse(h.ask(client, SERVER, query(1, name, Dns.TYPE_A, 0)), 1, name, Dns.TYPE_A);
        assertEquals(Dns.RCODE_NOERROR, d.rcode());
        assertEquals(600, d.recordTtl(record(d, 1, Dns.TYPE_A)));
        return addressOf(d);
    }

    @Test
    void newNamesGetVirtualAddressesAtOnceWithoutTor() throws Exception {
        int web = map(CLIENT_A, "web.lab.test");
        int web2 = map(CLIENT_A, "web2.lab.test");
        assertEquals(VIRTUAL_BASE + 1, web);
        assertEquals(VIRTUAL_BASE + 2, web2);
        assertEquals(web, map(CLIENT_B, "WEB.lab.test"), "one map for every client, case-insensitive");
        assertEquals(0, tor.seen.size(), "no tor round trip");
        assertEquals("web.lab.test", h.service.hostnames().hostnameFor(web));
        assertTrue(h.service.hostnames().isVirtual(web));
        assertNull(h.service.hostnames().hostnameFor(VIRTUAL_BASE + 3), "not mapped yet");
        assertNull(h.service.hostnames().hostnameFor(0x01020304));
    }

    @Test
    void ptrOfAMappedAddressReturnsItsName() throws Exception {
        int web = map(CLIENT_A, "web.lab.test");
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(2, reverse(web), Dns.TYPE_PTR, 0)), 2, reverse(web),
            Dns.TYPE_PTR);
        assertEquals("web.lab.test", pointerOf(d));
        Dns nx = parse(h.ask(CLIENT_A, SERVER, query(3, reverse(web + 10), Dns.TYPE_PTR, 0)), 3, reverse(web + 10),
            Dns.TYPE_PTR);
        assertNegative(nx, Dns.RCODE_NXDOMAIN, 60);
        assertEquals(0, tor.seen.size());
    }

    @Test
    void leastRecentlyUsedNameLosesItsAddressWhenFull() throws Exception {
        int[] a = new int[4];
        for (int i = 0; i < 4; i++) {
            a[i] = map(CLIENT_A, "n" + i + ".test");
        }
        map(CLIENT_A, "n0.test"); // n1 is now the least recently used
        int fresh = map(CLIENT_A, "n4.test");
        assertEquals(a[1], fresh, "n4 takes n1's address");
        assertEquals("n4.test", h.service.hostnames().hostnameFor(fresh));
        assertEquals(a[0], map(CLIENT_A, "n0.test"));
        assertNotEquals(a[1], map(CLIENT_A, "n1.test"), "n1 comes back with another address");
    }

    @Test
    void mapSurvivesARestartWithTheSameAddresses() throws Exception {
        int web = map(CLIENT_A, "web.lab.test");
        int onion = map(CLIENT_A, "abcdefghijklmnop.onion");
        h.close();
        Path file = dir.resolve("state/dns-map");
        assertTrue(Files.exists(file));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        h = mapped(4);
        assertEquals("web.lab.test", h.service.hostnames().hostnameFor(web), "loaded before any query");
        assertEquals(onion, map(CLIENT_B, "abcdefghijklmnop.onion"));
        assertEquals(web, map(CLIENT_A, "web.lab.test"));
        assertEquals(VIRTUAL_BASE + 3, map(CLIENT_A, "new.lab.test"), "new names take free addresses");
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(2, reverse(web), Dns.TYPE_PTR, 0)), 2, reverse(web),
            Dns.TYPE_PTR);
        assertEquals("web.lab.test", pointerOf(d));
    }

    @Test
    void changedMapIsSavedWhileRunning() throws Exception {
        h.close();
        Path file = dir.resolve("running/dns-map");
        h = new DnsHarness(new DnsConfig(DnsConfig.Mode.MAPPED, DnsConfig.DNS_PROFILE, 300, 60, 600, 16, VIRTUAL_BASE,
            10, 16, file, 100, 50, 100, 64, 16, 64, 20_000, 1232), tor.address());
        int web = map(CLIENT_A, "web.lab.test");
        long end = System.currentTimeMillis() + 5_000;
        while (!(Files.exists(file) && Files.readString(file).contains("web.lab.test"))
            && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }
        assertTrue(Files.readString(file).contains(VirtualMap.formatAddress(web) + " web.lab.test"),
            "saved without waiting for shutdown");
        try (var leftovers = Files.list(file.getParent())) {
            assertEquals(1, leftovers.count(), "no temporary file left behind");
        }
    }

    @Test
    void aaaaIsNodataInMappedModeToo() throws Exception {
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(5, "web.lab.test", Dns.TYPE_AAAA, 0)), 5, "web.lab.test",
            Dns.TYPE_AAAA);
        assertNegative(d, Dns.RCODE_NOERROR, 60);
    }

    @Test
    void onionIsMappedInResolveModeAndConnectCarriesTheOnionName() throws Exception {
        h.close();
        h = new DnsHarness(DnsConfig.defaults(), tor.address());
        String onion = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion";
        int address = map(CLIENT_A, onion);
        assertTrue(h.service.hostnames().isVirtual(address));
        assertEquals(0, tor.seen.size(), "an onion is never RESOLVEd");
        assertEquals(1, h.service.stats().get(DnsCounter.ONION_MAPPED));

        // What the relay does for a CONNECT to a virtual address: ask its HostnameResolver, CONNECT by name.
        io.torgate.gateway.relay.HostnameResolver resolver = h.service.hostnames();
        String host = resolver.hostnameFor(address).toString();
        Socks5Client socks = new Socks5Client();
        try (SocketChannel ch = Socks5Client.open(tor.address())) {
            socks.startConnect(ch, host, 443,
                h.keys.derive(io.torgate.tor.IsolationProfile.DEFAULT, CLIENT_A, host, 0, 443, null));
            assertTrue(Socks5Blocking.drive(socks, ch, 5_000));
        }
        FakeTorSocks.Seen connect = tor.seen.get(0);
        assertEquals(FakeTorSocks.CMD_CONNECT, connect.command());
        assertEquals(onion, connect.host());
        assertEquals(443, connect.port());
    }
}
