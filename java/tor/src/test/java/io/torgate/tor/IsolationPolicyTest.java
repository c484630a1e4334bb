package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IsolationPolicyTest {
    private static final int A = ClientMatch.parseIpv4("10.137.0.5");
    private static final int B = ClientMatch.parseIpv4("10.137.0.6");
    private static final int X = ClientMatch.parseIpv4("192.0.2.1");
    private static final int Y = ClientMatch.parseIpv4("192.0.2.2");

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final ClientEpochs epochs = new ClientEpochs();
    private final IsolationKeys keys = new IsolationKeys(new byte[32], epochs, clock::get);

    private IsolationKey key(IsolationProfile p, int client, int dst, int port) {
        return keys.derive(p, client, null, dst, port, null);
    }

    @Test
    void defaultPolicyUsesMailProfileOnMailPorts() {
        IsolationPolicy p = IsolationPolicy.defaults();
        for (int port : new int[] {25, 110, 143, 465, 587, 993, 995}) {
            assertEquals(IsolationProfile.MAIL, p.profileFor(A, port));
        }
        assertEquals(IsolationProfile.DEFAULT, p.profileFor(A, 80));
        assertEquals(IsolationProfile.DEFAULT, p.profileFor(A, 26));
    }

    @Test
    void firstMatchingRuleWins() {
        IsolationPolicy p = new IsolationPolicy(List.of(
                new IsolationRule(ClientMatch.parse("work", "10.137.0.0/30"), null, IsolationProfile.PARANOID),
                new IsolationRule(null, PortSet.parse("80, 443, 8000-8080"), IsolationProfile.BROWSER)),
                IsolationProfile.DEFAULT);
        assertEquals(IsolationProfile.PARANOID, p.profileFor(ClientMatch.parseIpv4("10.137.0.3"), 443));
        assertEquals(IsolationProfile.BROWSER, p.profileFor(A, 443));
        assertEquals(IsolationProfile.BROWSER, p.profileFor(A, 8042));
        assertEquals(IsolationProfile.DEFAULT, p.profileFor(A, 8081));
    }

    @Test
    void parsesCidrsAndPorts() {
        ClientMatch m = ClientMatch.parse("vm", "10.137.0.17/28");
        assertEquals(ClientMatch.parseIpv4("10.137.0.16"), m.network());
        assertTrue(m.matches(ClientMatch.parseIpv4("10.137.0.31")));
        assertFalse(m.matches(ClientMatch.parseIpv4("10.137.0.32")));
        assertTrue(ClientMatch.parse("all", "0.0.0.0/0").matches(X));
        assertThrows(IllegalArgumentException.class, () -> ClientMatch.parseIpv4("10.1.2"));
        assertThrows(IllegalArgumentException.class, () -> PortSet.parse("70000"));
        assertEquals(7, IsolationPolicy.MAIL_PORTS.size());
        assertTrue(PortSet.parse("0,65535").contains(65535));
        assertFalse(PortSet.parse("1").contains(-1));
    }

    @Test
    void defaultProfileSeparatesClientsDestinationsAndPorts() {
        IsolationProfile p = IsolationProfile.DEFAULT;
        assertEquals(key(p, A, X, 80), key(p, A, X, 80));
        assertNotEquals(key(p, A, X, 80), key(p, B, X, 80));
        assertNotEquals(key(p, A, X, 80), key(p, A, Y, 80));
        assertNotEquals(key(p, A, X, 80), key(p, A, X, 443));
    }

    @Test
    void mailProfileSharesAcrossPortsOnly() {
        IsolationProfile p = IsolationProfile.MAIL;
        assertEquals(key(p, A, X, 110), key(p, A, X, 25));
        assertNotEquals(key(p, A, X, 25), key(p, A, Y, 25));
        assertNotEquals(key(p, A, X, 25), key(p, B, X, 25));
    }

    @Test
    void browserProfileIsPerClient() {
        IsolationProfile p = IsolationProfile.BROWSER;
        assertEquals(key(p, A, X, 80), key(p, A, Y, 443));
        assertNotEquals(key(p, A, X, 80), key(p, B, X, 80));
    }

    @Test
    void paranoidUsesClientCredentialsToo() {
        IsolationProfile p = IsolationProfile.PARANOID;
        IsolationKey k1 = keys.derive(p, A, "example.com", 0, 80, "u1".getBytes());
        assertEquals(k1, keys.derive(p, A, "EXAMPLE.com", 0, 80, "u1".getBytes()));
        assertNotEquals(k1, keys.derive(p, A, "example.com", 0, 80, "u2".getBytes()));
        assertNotEquals(k1, keys.derive(p, A, "example.com", 0, 80, null));
        assertNotEquals(k1, keys.derive(p, A, "example.org", 0, 80, "u1".getBytes()));
    }

    @Test
    void gatewaySocksPortsIsolateByClientCredentials() {
        byte[] u1 = "u1".getBytes();
        IsolationProfile p9050 = IsolationProfile.GATEWAY_SOCKS;
        assertEquals(keys.derive(p9050, A, null, X, 80, u1), keys.derive(p9050, A, "other", 0, 443, u1));
        assertNotEquals(keys.derive(p9050, A, null, X, 80, u1), keys.derive(p9050, A, null, X, 80, "u2".getBytes()));
        IsolationProfile p9049 = IsolationProfile.GATEWAY_SOCKS_DEST;
        assertNotEquals(keys.derive(p9049, A, null, X, 80, u1), keys.derive(p9049, A, null, X, 443, u1));
    }

    @Test
    void profilesNeverShareKeys() {
        assertNotEquals(key(IsolationProfile.MAIL, A, X, 25), key(IsolationProfile.DEFAULT, A, X, 25));
    }

    @Test
    void epochBumpChangesOnlyThatClient() {
        IsolationProfile p = IsolationProfile.DEFAULT;
        IsolationKey a0 = key(p, A, X, 80);
        IsolationKey b0 = key(p, B, X, 80);
        assertEquals(1, epochs.bump(A));
        IsolationKey a1 = key(p, A, X, 80);
        assertNotEquals(a0, a1);
        assertEquals(a0.clientTag(), a1.clientTag(), "the tag survives epochs so old circuits can be found");
        assertEquals(b0, key(p, B, X, 80));
        assertEquals(1, epochs.epoch(A));
        assertEquals(0, epochs.epoch(B));
    }

    @Test
    void epochTableGrowsAndKeepsValues() {
        for (int c = 0; c < 200; c++) {
            epochs.bump(c);
            epochs.bump(c * 7);
        }
        assertEquals(2, epochs.epoch(0));
        assertEquals(1, epochs.epoch(199));
        assertEquals(2, epochs.epoch(7));
        assertEquals(0, epochs.epoch(-5));
    }

    @Test
    void rotationChangesKeysPerSlot() {
        IsolationProfile p = IsolationProfile.BROWSER.withRotation(600_000);
        IsolationKey k = key(p, A, X, 80);
        clock.addAndGet(1000);
        assertEquals(k, key(p, A, X, 80));
        clock.addAndGet(600_000);
        assertNotEquals(k, key(p, A, X, 80));
    }

    @Test
    void keysAreFixedLengthHexWithClientTagPrefix() {
        IsolationKey k = key(IsolationProfile.DEFAULT, A, X, 80);
        assertTrue(k.password().matches("[0-9a-f]{48}"), k.password());
        assertTrue(k.password().startsWith(IsolationKey.hex(keys.clientTag(A))));
        assertEquals(0, key(IsolationProfile.of("anyclient", IsolationDimension.DEST_PORT), A, X, 80).clientTag());
    }

    @Test
    void differentSecretsGiveDifferentKeys() {
        IsolationKeys other = new IsolationKeys(new byte[] {1}, new ClientEpochs(), clock::get);
        assertNotEquals(key(IsolationProfile.DEFAULT, A, X, 80),
                other.derive(IsolationProfile.DEFAULT, A, null, X, 80, null));
    }

    @Test
    void distinctDimensionValuesGiveDistinctKeys() {
        java.util.Set<IsolationKey> seen = new java.util.HashSet<>();
        for (int c = 0; c < 20; c++) {
            for (int port = 1; port <= 50; port++) {
                assertTrue(seen.add(key(IsolationProfile.DEFAULT, c, X, port)));
            }
        }
    }
}
