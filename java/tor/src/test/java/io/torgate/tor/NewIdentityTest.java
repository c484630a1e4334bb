package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class NewIdentityTest {
    private static final int A = ClientMatch.parseIpv4("10.137.0.5");
    private static final int B = ClientMatch.parseIpv4("10.137.0.6");
    private static final int X = ClientMatch.parseIpv4("192.0.2.1");

    @Test
    void closesOnlyTheClientsCircuitsAndBumpsItsEpoch() throws Exception {
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), () -> 0);
        IsolationKey a1 = keys.derive(IsolationProfile.DEFAULT, A, null, X, 80, null);
        IsolationKey a2 = keys.derive(IsolationProfile.DEFAULT, A, null, X, 443, null);
        IsolationKey b1 = keys.derive(IsolationProfile.DEFAULT, B, null, X, 80, null);
        String u = "SOCKS_USERNAME=\"<torS0X>0\" SOCKS_PASSWORD=";
        String status = "250+circuit-status=\n"
                + "11 BUILT $A~a PURPOSE=GENERAL " + u + "\"" + a1 + "\"\n"
                + "12 BUILT $A~a PURPOSE=GENERAL " + u + "\"" + b1 + "\"\n"
                + "13 BUILT $A~a PURPOSE=GENERAL\n"
                + "14 BUILT $A~a PURPOSE=GENERAL SOCKS_USERNAME=\"other\" SOCKS_PASSWORD=\"" + a1 + "\"\n"
                + ".\n250 OK";
        NewIdentity ni = new NewIdentity(keys);
        try (FakeControlServer s = new FakeControlServer(cmd -> cmd.startsWith("GETINFO") ? status : "250 OK");
             ControlClient c = ControlClient.connect(s.address(), ni)) {
            s.send("650 STREAM 1 SUCCEEDED 21 x:443 " + u + "\"" + a2 + "\"");
            s.send("650 STREAM 2 SUCCEEDED 22 x:80 " + u + "\"" + b1 + "\"");
            s.send("650 STREAM 3 SUCCEEDED 23 x:80 " + u + "\"" + a1 + "\"");
            s.send("650 CIRC 23 CLOSED $A~a REASON=FINISHED");
            for (int i = 0; i < 100 && ni.trackedCircuits() != 2; i++) {
                Thread.sleep(10);
            }
            assertEquals(2, ni.trackedCircuits());
            assertEquals(2, ni.newIdentity(A, c));
            List<String> closes = s.received.stream().filter(l -> l.startsWith("CLOSECIRCUIT"))
                    .sorted().collect(Collectors.toList());
            assertEquals(List.of("CLOSECIRCUIT 11", "CLOSECIRCUIT 21"), closes);
            assertEquals(1, keys.epochs().epoch(A));
            assertEquals(0, keys.epochs().epoch(B));
            assertNotEquals(a1, keys.derive(IsolationProfile.DEFAULT, A, null, X, 80, null));
            assertTrue(ni.trackedCircuits() == 1, "B's circuit stays tracked");
        }
    }

    @Test
    void closesEveryLegOfTheClientsConfluxSets() throws Exception {
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), () -> 0);
        IsolationKey a1 = keys.derive(IsolationProfile.DEFAULT, A, null, X, 80, null);
        IsolationKey b1 = keys.derive(IsolationProfile.DEFAULT, B, null, X, 80, null);
        String u = "SOCKS_USERNAME=\"<torS0X>0\" SOCKS_PASSWORD=";
        // As tor 0.4.9 lists linked legs: the SOCKS fields on one leg of each set only.
        String status = "250+circuit-status=\n"
                + "3 BUILT $A~a PURPOSE=CONFLUX_LINKED " + u + "\"" + a1 + "\" CONFLUX_ID=AAAA\n"
                + "4 BUILT $A~a PURPOSE=CONFLUX_LINKED CONFLUX_ID=AAAA\n"
                + "6 BUILT $A~a PURPOSE=CONFLUX_LINKED " + u + "\"" + b1 + "\" CONFLUX_ID=BBBB\n"
                + "7 BUILT $A~a PURPOSE=CONFLUX_LINKED CONFLUX_ID=BBBB\n"
                + "9 BUILT $A~a PURPOSE=GENERAL\n"
                + ".\n250 OK";
        NewIdentity ni = new NewIdentity(keys);
        try (FakeControlServer s = new FakeControlServer(cmd -> cmd.startsWith("GETINFO") ? status : "250 OK");
             ControlClient c = ControlClient.connect(s.address(), ni)) {
            assertEquals(2, ni.newIdentity(A, c));
            List<String> closes = s.received.stream().filter(l -> l.startsWith("CLOSECIRCUIT"))
                    .sorted().collect(Collectors.toList());
            assertEquals(List.of("CLOSECIRCUIT 3", "CLOSECIRCUIT 4"), closes, "both legs of A's set, none of B's");
        }
    }
}
