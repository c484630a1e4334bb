package io.torgate.gateway.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.torgate.gateway.ops.TorStreams.Match;
import io.torgate.gateway.relay.StreamInfo;
import io.torgate.tor.StreamEvent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pairing our streams with tor's over a Unix SocksPort (no SOURCE_ADDR port): by isolation key, target and what
 * the times prove; siblings that cannot be told apart are reported as ambiguous, never guessed. Times are set by
 * hand: tor's events are stamped by the clock below, our streams carry their SYN time.
 */
class TorStreamsTest {
    private static final String KEY = "0123456789abcdef" + "0".repeat(32);
    private static final String OTHER_KEY = "fedcba9876543210" + "1".repeat(32);
    private static final int CLIENT = 0x0A89000B; // 10.137.0.11
    private static final int WEB = 0x0AFB0050; // 10.251.0.80

    private long now;
    private final TorStreams tor = new TorStreams(() -> now);

    /** Tor's NEW then SUCCEEDED events for stream {@code id} on {@code circuit}, first seen at {@code at}. */
    private void torStream(long id, long at, String key, String target, String circuit) {
        now = at;
        String creds = " SOCKS_USERNAME=\"<torS0X>0\" SOCKS_PASSWORD=\"" + key + "\"";
        tor.onStream(StreamEvent.parse("STREAM " + id + " NEW 0 " + target + " SOURCE_ADDR=unix:/run/tor/socks:0"
            + " PURPOSE=USER" + creds));
        now = at + 5;
        tor.onStream(StreamEvent.parse("STREAM " + id + " SUCCEEDED " + circuit + " " + target + creds));
    }

    private static StreamInfo ours(long id, long synAt, String key, String hostname) {
        return new StreamInfo(id, CLIENT, 40000 + (int) id, WEB, 80, hostname, "relaying", "default", key, null, 0,
            0, 0, synAt);
    }

    private static void assertExact(Match m, long torStream, String circuit) {
        assertEquals(new Match(torStream, circuit, TorStreams.BY_KEY), m);
    }

    @Test
    void siblingsOpenedOneAfterTheOtherPairExactly() {
        StreamInfo first = ours(64, 100, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        StreamInfo second = ours(128, 200, KEY, "web.lab.test");
        torStream(42, 250, KEY, "web.lab.test:80", "9");
        Map<Long, Match> m = tor.match(List.of(second, first));
        // tor's stream 41 was seen before the second SYN: it can only be the first stream's.
        assertExact(m.get(64L), 41, "7");
        assertExact(m.get(128L), 42, "9");
    }

    @Test
    void siblingsOpenedTogetherAreAmbiguousWithTheirSharedCircuit() {
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        StreamInfo b = ours(128, 101, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        torStream(42, 160, KEY, "web.lab.test:80", "7");
        Map<Long, Match> m = tor.match(List.of(a, b));
        assertEquals(new Match(-1, "7", TorStreams.AMBIGUOUS), m.get(64L));
        assertEquals(new Match(-1, "7", TorStreams.AMBIGUOUS), m.get(128L));
    }

    @Test
    void ambiguousSiblingsOnDifferentCircuitsShowNoCircuit() {
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        StreamInfo b = ours(128, 101, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        torStream(42, 160, KEY, "web.lab.test:80", "9");
        Map<Long, Match> m = tor.match(List.of(a, b));
        assertEquals(new Match(-1, null, TorStreams.AMBIGUOUS), m.get(64L));
        assertEquals(new Match(-1, null, TorStreams.AMBIGUOUS), m.get(128L));
    }

    @Test
    void aBlockOfTwoLeavesTheLaterStreamExact() {
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        StreamInfo b = ours(128, 101, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        torStream(42, 160, KEY, "web.lab.test:80", "7");
        StreamInfo c = ours(192, 300, KEY, "web.lab.test");
        torStream(43, 350, KEY, "web.lab.test:80", "11");
        Map<Long, Match> m = tor.match(List.of(a, b, c));
        assertEquals(TorStreams.AMBIGUOUS, m.get(64L).by());
        assertEquals(TorStreams.AMBIGUOUS, m.get(128L).by());
        assertExact(m.get(192L), 43, "11");
    }

    @Test
    void aStreamTorHasNotReportedYetGetsNoMatchAndItsOlderSiblingStaysExact() {
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        StreamInfo b = ours(128, 200, KEY, "web.lab.test");
        Map<Long, Match> m = tor.match(List.of(a, b));
        assertExact(m.get(64L), 41, "7");
        assertNull(m.get(128L), "no event for the second stream yet");
    }

    @Test
    void oneTorStreamForTwoSiblingsOpenedTogetherIsAmbiguousForBoth() {
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        StreamInfo b = ours(128, 110, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        Map<Long, Match> m = tor.match(List.of(a, b));
        assertEquals(new Match(-1, "7", TorStreams.AMBIGUOUS), m.get(64L));
        assertEquals(new Match(-1, "7", TorStreams.AMBIGUOUS), m.get(128L));
    }

    @Test
    void aTorStreamSeenBeforeOurSynIsNotOurs() {
        torStream(40, 50, KEY, "web.lab.test:80", "5"); // an earlier sibling whose CLOSED event has not come yet
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        assertExact(tor.match(List.of(a)).get(64L), 41, "7");
    }

    @Test
    void moreTorStreamsThanOursThatCouldOwnThemMakeTheGroupAmbiguous() {
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        torStream(42, 160, KEY, "web.lab.test:80", "7");
        assertEquals(new Match(-1, "7", TorStreams.AMBIGUOUS), tor.match(List.of(a)).get(64L));
    }

    @Test
    void streamsOfOtherKeysOrTargetsNeverMix() {
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        StreamInfo b = ours(128, 100, OTHER_KEY, "web.lab.test");
        StreamInfo c = ours(192, 100, KEY, null); // by address: tor's target is 10.251.0.80:80
        torStream(41, 150, KEY, "WEB.lab.test:80", "7");
        torStream(42, 150, OTHER_KEY, "web.lab.test:80", "9");
        torStream(43, 150, KEY, "10.251.0.80:80", "11");
        torStream(44, 150, KEY, "web.lab.test:443", "13");
        Map<Long, Match> m = tor.match(List.of(a, b, c));
        assertExact(m.get(64L), 41, "7");
        assertExact(m.get(128L), 42, "9");
        assertExact(m.get(192L), 43, "11");
    }

    @Test
    void aClosedTorStreamIsForgotten() {
        StreamInfo a = ours(64, 100, KEY, "web.lab.test");
        torStream(41, 150, KEY, "web.lab.test:80", "7");
        tor.onStream(StreamEvent.parse("STREAM 41 CLOSED 7 web.lab.test:80 REASON=DONE"));
        assertNull(tor.match(List.of(a)).get(64L));
    }
}
