package io.torgate.gateway.dns;

import static io.torgate.gateway.dns.DnsMessages.addressOf;
import static io.torgate.gateway.dns.DnsMessages.assertNegative;
import static io.torgate.gateway.dns.DnsMessages.parse;
import static io.torgate.gateway.dns.DnsMessages.pointerOf;
import static io.torgate.gateway.dns.DnsMessages.query;
import static io.torgate.gateway.dns.DnsMessages.record;
import static io.torgate.gateway.dns.DnsMessages.reverse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.dns.FakeTorSocks.Answer;
import io.torgate.wire.Dns;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Resolve mode against a fake tor SocksPort on loopback (real sockets, the real agent thread). */
class DnsServiceTest {
    static final int CLIENT_A = 0x0A89000A; // 10.137.0.10
    static final int CLIENT_B = 0x0A89000B; // 10.137.0.11
    static final int SERVER = 0x0A8B0101;   // 10.139.1.1
    static final int WEB = 0xCB00710A;      // 203.0.113.10 (outside the default virtual range 10.192.0.0/10)

    FakeTorSocks tor;
    DnsHarness h;

    @BeforeEach
    void up() throws Exception {
        tor = new FakeTorSocks(s -> switch (s.command()) {
            case FakeTorSocks.CMD_RESOLVE -> s.host().startsWith("missing") ? Answer.fail(4)
                : s.host().startsWith("broken") ? Answer.fail(1) : Answer.ipv4(WEB);
            case FakeTorSocks.CMD_RESOLVE_PTR -> s.address() == WEB ? Answer.name("web.lab.test") : Answer.fail(4);
            default -> Answer.fail(7);
        });
        h = new DnsHarness(DnsConfig.defaults(), tor.address());
    }

    @AfterEach
    void down() throws Exception {
        h.close();
        tor.close();
    }

    @Test
    void answersAThroughResolveWithTheClientsCredentialsAndCachesIt() throws Exception {
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(0x1234, "Web.Lab.Test", Dns.TYPE_A, 1232)), 0x1234,
            "web.lab.test", Dns.TYPE_A);
        assertEquals(Dns.RCODE_NOERROR, d.rcode());
        assertEquals(WEB, addressOf(d));
        assertEquals(300, d.recordTtl(record(d, 1, Dns.TYPE_A)));
        assertTrue(d.hasEdns(), "OPT echoed for an EDNS query");
        assertEquals(1, tor.count(FakeTorSocks.CMD_RESOLVE));
        FakeTorSocks.Seen seen = tor.seen.get(0);
        assertEquals("web.lab.test", seen.host(), "names go to tor lowercased");
        assertEquals("<torS0X>0", seen.username());
        assertEquals(h.keys.derive(DnsConfig.DNS_PROFILE, CLIENT_A, "web.lab.test", 0, 53, null).password(),
            seen.password());

        Thread.sleep(1100);
        Dns again = parse(h.ask(CLIENT_A, SERVER, query(0x4321, "web.lab.test", Dns.TYPE_A, 0)), 0x4321,
            "web.lab.test", Dns.TYPE_A);
        assertEquals(WEB, addressOf(again));
        long ttl = again.recordTtl(record(again, 1, Dns.TYPE_A));
        assertTrue(ttl < 300 && ttl >= 298, "cached TTL counts down: " + ttl);
        assertFalse(again.hasEdns());
        assertEquals(1, tor.count(FakeTorSocks.CMD_RESOLVE), "second query is a cache hit");
        assertEquals(1, h.service.stats().get(DnsCounter.CACHE_HITS));
    }

    @Test
    void anyIsAnsweredWithTheAddress() throws Exception {
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(7, "web.lab.test", Dns.TYPE_ANY, 0)), 7, "web.lab.test",
            Dns.TYPE_ANY);
        assertEquals(WEB, addressOf(d));
    }

    @Test
    void ptrGoesThroughResolvePtr() throws Exception {
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(9, reverse(WEB), Dns.TYPE_PTR, 0)), 9, reverse(WEB),
            Dns.TYPE_PTR);
        assertEquals("web.lab.test", pointerOf(d));
        assertEquals(1, tor.count(FakeTorSocks.CMD_RESOLVE_PTR));
        assertEquals(WEB, tor.seen.get(0).address());
        Dns nx = parse(h.ask(CLIENT_A, SERVER, query(10, reverse(WEB + 1), Dns.TYPE_PTR, 0)), 10,
            reverse(WEB + 1), Dns.TYPE_PTR);
        assertNegative(nx, Dns.RCODE_NXDOMAIN, 60);
    }

    @Test
    void aaaaMxTxtAndOtherTypesGetNodataWithoutTor() throws Exception {
        for (int type : new int[] {Dns.TYPE_AAAA, Dns.TYPE_MX, Dns.TYPE_TXT, Dns.TYPE_SRV, Dns.TYPE_NS, 65}) {
            Dns d = parse(h.ask(CLIENT_A, SERVER, query(type, "web.lab.test", type, 0)), type, "web.lab.test",
                type);
            assertNegative(d, Dns.RCODE_NOERROR, 60);
        }
        assertEquals(0, tor.seen.size(), "no RESOLVE for NODATA types");
    }

    @Test
    void specialUseNamesAreAnsweredHereAndNeverSentToTor() throws Exception {
        Dns lo = parse(h.ask(CLIENT_A, SERVER, query(1, "LocalHost", Dns.TYPE_A, 0)), 1, "localhost", Dns.TYPE_A);
        assertEquals(0x7F000001, addressOf(lo));
        assertNegative(parse(h.ask(CLIENT_A, SERVER, query(2, "a.localhost", Dns.TYPE_MX, 0)), 2, "a.localhost",
            Dns.TYPE_MX), Dns.RCODE_NOERROR, 60);
        for (String name : new String[] {"printer.local", "x.invalid", "invalid"}) {
            assertNegative(parse(h.ask(CLIENT_A, SERVER, query(3, name, Dns.TYPE_A, 0)), 3, name, Dns.TYPE_A),
                Dns.RCODE_NXDOMAIN, 60);
        }
        assertEquals(0, tor.seen.size(), "nothing went to tor");
        assertEquals(5, h.service.stats().get(DnsCounter.SPECIAL_USE));
        assertEquals(WEB, addressOf(parse(h.ask(CLIENT_A, SERVER, query(4, "local.example", Dns.TYPE_A, 0)), 4,
            "local.example", Dns.TYPE_A)), "only the top label counts");
    }

    @Test
    void zoneTransfersAndOtherClassesGetNotimp() throws Exception {
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(1, "lab.test", 252, 0)), 1, "lab.test", 252);
        assertEquals(Dns.RCODE_NOTIMP, d.rcode());
        byte[] chaos = query(2, "version.bind", Dns.TYPE_TXT, 0);
        chaos[chaos.length - 1] = 3; // class CH
        byte[] r = h.ask(CLIENT_A, SERVER, chaos);
        Dns c = new Dns().wrap(java.nio.ByteBuffer.wrap(r), 0, r.length);
        assertEquals(0, c.checkLength());
        assertEquals(Dns.RCODE_NOTIMP, c.rcode());
    }

    @Test
    void unknownEdnsVersionGetsBadvers() throws Exception {
        byte[] q = query(0x99, "web.lab.test", Dns.TYPE_A, 1232);
        q[q.length - 11 + 6] = 1; // OPT TTL: extended RCODE, VERSION, flags
        Dns d = parse(h.ask(CLIENT_A, SERVER, q), 0x99, "web.lab.test", Dns.TYPE_A);
        assertTrue(d.hasEdns());
        assertEquals(Dns.RCODE_BADVERS, d.ednsExtendedRcode() << 4 | d.rcode());
        assertEquals(0, tor.seen.size());
    }

    @Test
    void nxdomainIsNegativeCachedWithSoa() throws Exception {
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(3, "missing.lab.test", Dns.TYPE_A, 0)), 3, "missing.lab.test",
            Dns.TYPE_A);
        assertNegative(d, Dns.RCODE_NXDOMAIN, 60);
        parse(h.ask(CLIENT_A, SERVER, query(4, "missing.lab.test", Dns.TYPE_A, 0)), 4, "missing.lab.test",
            Dns.TYPE_A);
        assertEquals(1, tor.count(FakeTorSocks.CMD_RESOLVE), "NXDOMAIN cached");
    }

    @Test
    void torFailureIsServfailAndNotCached() throws Exception {
        for (int i = 0; i < 2; i++) {
            Dns d = parse(h.ask(CLIENT_A, SERVER, query(5 + i, "broken.lab.test", Dns.TYPE_A, 0)), 5 + i,
                "broken.lab.test", Dns.TYPE_A);
            assertEquals(Dns.RCODE_SERVFAIL, d.rcode());
            assertEquals(0, d.answerCount());
        }
        assertEquals(2, tor.count(FakeTorSocks.CMD_RESOLVE), "SERVFAIL is not cached");
        assertEquals(2, h.service.stats().get(DnsCounter.RESOLVE_FAILURES));
    }

    @Test
    void concurrentIdenticalQueriesShareOneResolve() throws Exception {
        tor.hold();
        int n = 20;
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
            ports[i] = h.port();
            h.submit(CLIENT_A, ports[i], SERVER, query(100 + i, i % 2 == 0 ? "web.lab.test" : "WEB.lab.TEST",
                Dns.TYPE_A, 0));
        }
        assertTrue(tor.awaitSeen(1, 5_000));
        Thread.sleep(200);
        tor.release();
        for (int i = 0; i < n; i++) {
            byte[] r = h.reply(CLIENT_A, ports[i], SERVER, 5_000);
            assertNotNull(r);
            assertEquals(WEB, addressOf(parse(r, 100 + i, "web.lab.test", Dns.TYPE_A)));
        }
        assertEquals(1, tor.count(FakeTorSocks.CMD_RESOLVE));
        assertEquals(n - 1, h.service.stats().get(DnsCounter.COALESCED));
    }

    @Test
    void clientsNeverShareCacheEntriesOrCredentials() throws Exception {
        h.ask(CLIENT_A, SERVER, query(1, "web.lab.test", Dns.TYPE_A, 0));
        h.ask(CLIENT_B, SERVER, query(2, "web.lab.test", Dns.TYPE_A, 0));
        h.ask(CLIENT_A, SERVER, query(3, "web.lab.test", Dns.TYPE_A, 0));
        h.ask(CLIENT_A, SERVER, query(4, "web2.lab.test", Dns.TYPE_A, 0));
        assertEquals(3, tor.count(FakeTorSocks.CMD_RESOLVE), "B's query is not answered from A's cache");
        String a = tor.seen.get(0).password();
        String b = tor.seen.get(1).password();
        assertNotEquals(a, b, "A and B use different credentials");
        assertEquals(a, tor.seen.get(2).password(), "A's lookups share A's key (client isolation)");

        h.epochs.bump(CLIENT_A);
        h.ask(CLIENT_A, SERVER, query(5, "web.lab.test", Dns.TYPE_A, 0));
        assertEquals(4, tor.count(FakeTorSocks.CMD_RESOLVE), "new identity invalidates A's cache");
        String fresh = tor.seen.get(3).password();
        assertNotEquals(a, fresh, "new identity changes A's key");
        assertEquals(a.substring(0, 16), fresh.substring(0, 16), "same client tag");
    }

    @Test
    void servfailAtOnceWhileTorIsNotBootstrapped() throws Exception {
        h.torReady.set(false);
        long t0 = System.nanoTime();
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(1, "web.lab.test", Dns.TYPE_A, 0)), 1, "web.lab.test",
            Dns.TYPE_A);
        assertEquals(Dns.RCODE_SERVFAIL, d.rcode());
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
        assertEquals(0, tor.seen.size());
        assertEquals(1, h.service.stats().get(DnsCounter.NOT_BOOTSTRAPPED));
        h.torReady.set(true);
        assertEquals(WEB, addressOf(parse(h.ask(CLIENT_A, SERVER, query(2, "web.lab.test", Dns.TYPE_A, 0)), 2,
            "web.lab.test", Dns.TYPE_A)));
    }

    @Test
    void malformedQueriesAreDroppedOrFormerr() throws Exception {
        int port = h.port();
        h.submit(CLIENT_A, port, SERVER, new byte[] {1, 2, 3});
        assertNull(h.reply(CLIENT_A, port, SERVER, 300), "no header: dropped");
        byte[] broken = query(0x55, "web.lab.test", Dns.TYPE_A, 0);
        broken[12] = 60; // label length runs past the end
        byte[] r = h.ask(CLIENT_A, SERVER, broken);
        Dns d = new Dns().wrap(java.nio.ByteBuffer.wrap(r), 0, r.length);
        assertEquals(0, d.checkLength());
        assertEquals(0x55, d.id());
        assertEquals(Dns.RCODE_FORMERR, d.rcode());
        assertEquals(1, h.service.stats().get(DnsCounter.MALFORMED));
        assertEquals(1, h.service.stats().get(DnsCounter.FORMERR));
    }

    @Test
    void resolveTimeoutGivesServfail() throws Exception {
        h.close();
        h = new DnsHarness(DnsConfig.defaults().withTimeout(300), tor.address());
        tor.silent = true;
        Dns d = parse(h.ask(CLIENT_A, SERVER, query(1, "web.lab.test", Dns.TYPE_A, 0)), 1, "web.lab.test",
            Dns.TYPE_A);
        assertEquals(Dns.RCODE_SERVFAIL, d.rcode());
        assertEquals(1, h.service.stats().get(DnsCounter.RESOLVE_TIMEOUTS));
    }

    @Test
    void rateLimitDropsBeyondTheBurst() throws Exception {
        h.close();
        h = new DnsHarness(DnsConfig.defaults().withLimits(1, 3, 64), tor.address());
        int answered = 0;
        for (int i = 0; i < 10; i++) {
            int port = h.port();
            h.submit(CLIENT_A, port, SERVER, query(i, "x.onion", Dns.TYPE_A, 0));
            if (h.reply(CLIENT_A, port, SERVER, i < 3 ? 5_000 : 100) != null) {
                answered++;
            }
        }
        assertEquals(3, answered);
        assertEquals(7, h.service.stats().get(DnsCounter.RATE_LIMITED));
        assertNotNull(h.ask(CLIENT_B, SERVER, query(1, "x.onion", Dns.TYPE_A, 0)), "B has its own bucket");
    }

    @Test
    void outstandingCapAnswersServfail() throws Exception {
        h.close();
        h = new DnsHarness(DnsConfig.defaults().withLimits(1000, 1000, 2), tor.address());
        tor.hold();
        int[] ports = new int[5];
        for (int i = 0; i < 5; i++) {
            ports[i] = h.port();
            h.submit(CLIENT_A, ports[i], SERVER, query(i, "n" + i + ".lab.test", Dns.TYPE_A, 0));
        }
        Set<Integer> servfail = new HashSet<>();
        for (int i = 2; i < 5; i++) {
            Dns d = parse(h.reply(CLIENT_A, ports[i], SERVER, 5_000), i, "n" + i + ".lab.test", Dns.TYPE_A);
            assertEquals(Dns.RCODE_SERVFAIL, d.rcode());
            servfail.add(i);
        }
        assertEquals(3, h.service.stats().get(DnsCounter.OUTSTANDING_CAP));
        tor.release();
        for (int i = 0; i < 2; i++) {
            assertEquals(WEB, addressOf(parse(h.reply(CLIENT_A, ports[i], SERVER, 5_000), i, "n" + i + ".lab.test",
                Dns.TYPE_A)));
        }
        assertEquals(2, tor.count(FakeTorSocks.CMD_RESOLVE));
    }
}
