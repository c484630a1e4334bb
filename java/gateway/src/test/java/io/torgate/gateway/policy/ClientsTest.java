package io.torgate.gateway.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.Cidr;
import io.torgate.tor.IsolationPolicy;
import io.torgate.tor.IsolationProfile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-client read API: states created on first sight, counters, names and profiles from the live policy. */
class ClientsTest {
    private static final int A = Cidr.parseAddress("10.137.0.5");
    private static final int B = Cidr.parseAddress("10.137.0.6");

    private static Policy policy(int dnsRate) {
        ClientCaps caps = new ClientCaps(4, 8, 0, 1, dnsRate, 1);
        ClientPolicy a = new ClientPolicy("work", Cidr.parse("10.137.0.5/32"), IsolationProfile.BROWSER,
            Firewall.ACCEPT_ALL, caps);
        return new Policy(List.of(a), ClientPolicy.unnamed(Firewall.ACCEPT_ALL, ClientCaps.DEFAULTS),
            IsolationPolicy.defaults(), List.of(), DropPolicy.Action.PROHIBIT);
    }

    @Test
    void snapshotsNameProfileAndRefusals() {
        Clients clients = new Clients(policy(1));
        assertNull(clients.snapshot(A), "never seen");
        ClientState a = clients.state(A);
        assertSame(a, clients.state(A));
        a.count(DropReason.FIREWALL);
        a.count(DropReason.FIREWALL);
        assertEquals(true, clients.tryAcquireDns(A, 0));
        assertEquals(false, clients.tryAcquireDns(A, 0), "1 query/s, depth 1");
        clients.state(B);
        ClientSnapshot s = clients.snapshot(A);
        assertEquals("work", s.name());
        assertEquals("browser", s.profile());
        assertEquals(2, s.refused(DropReason.FIREWALL));
        assertEquals(1, s.refused(DropReason.DNS_RATE_CLIENT));
        assertEquals(2, s.dnsQueries());
        assertEquals(3, s.refusedTotal());
        ClientSnapshot b = clients.snapshot(B);
        assertEquals(ClientPolicy.UNNAMED, b.name());
        assertEquals("default", b.profile());
        assertEquals(0, b.refusedTotal());
        assertEquals(2, clients.snapshot().size());
    }

    @Test
    void aNewPolicyChangesRatesForTheNextQuery() {
        Clients clients = new Clients(policy(1));
        clients.tryAcquireDns(A, 0);
        assertEquals(false, clients.tryAcquireDns(A, 0));
        int g = clients.generation();
        clients.policy(policy(1000));
        assertEquals(g + 1, clients.generation());
        assertEquals(true, clients.tryAcquireDns(A, 2_000_000), "1000/s: a token every millisecond");
    }
}
