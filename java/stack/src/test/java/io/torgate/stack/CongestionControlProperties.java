package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * NewReno and the RTO estimator under any sequence of events: the windows and the timeout stay within their
 * bounds, fast retransmit fires exactly on the third duplicate ACK outside recovery (RFC 5681 §3.2), every loss
 * leaves ssthresh at least 2 * SMSS (RFC 5681 eq. 4), and back-off only ever lengthens the RTO (RFC 6298 §5.5).
 */
class CongestionControlProperties {
    @Property(tries = 10_000)
    void newRenoStaysWithinItsRules(@ForAll @IntRange(min = 1, max = 9000) int mss,
            @ForAll @IntRange(min = 1, max = 10) int iw, @ForAll @IntRange(min = 1, max = 300) int events,
            @ForAll long seed) {
        Random rnd = new Random(seed);
        CongestionControl cc = new CongestionControl(mss, iw);
        int sndNxt = rnd.nextInt();
        int dups = 0;
        for (int i = 0; i < events; i++) {
            int flight = rnd.nextInt(Math.max(1, cc.cwnd() + 2 * mss));
            boolean before = cc.inRecovery();
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    dups++;
                    boolean fast = cc.onDupAck(sndNxt, flight);
                    assertEquals(!before && dups == CongestionControl.DUP_ACK_THRESHOLD, fast);
                    if (fast) {
                        assertEquals(sndNxt, cc.recover());
                        assertEquals(Math.max(flight / 2, 2 * mss), cc.ssthresh());
                    }
                }
                case 1 -> {
                    if (before) {
                        cc.onPartialAck(1 + rnd.nextInt(4 * mss));
                        assertTrue(cc.inRecovery(), "a partial ACK does not end recovery");
                    } else {
                        cc.onAck(1 + rnd.nextInt(4 * mss), flight);
                        dups = 0;
                    }
                }
                case 2 -> {
                    cc.onFullAck(cc.recover() + rnd.nextInt(1000));
                    assertFalse(cc.inRecovery());
                    if (before) {
                        assertEquals(cc.ssthresh(), cc.cwnd(), "full ACK deflates to ssthresh");
                        dups = 0;
                    }
                }
                case 3 -> {
                    cc.onRetransmitTimeout(flight);
                    assertEquals(mss, cc.cwnd(), "loss window is one SMSS");
                    assertFalse(cc.inRecovery());
                    dups = 0;
                }
                default -> sndNxt += rnd.nextInt(10 * mss);
            }
            assertTrue(cc.cwnd() >= mss && cc.cwnd() <= CongestionControl.MAX_WINDOW, "cwnd " + cc.cwnd());
            assertTrue(cc.ssthresh() >= 2 * mss, "ssthresh " + cc.ssthresh());
        }
    }

    @Property(tries = 10_000)
    void rtoStaysClampedAndBackoffNeverShortensIt(@ForAll @IntRange(min = 1, max = 200) int events,
            @ForAll long seed) {
        Random rnd = new Random(seed);
        long min = 1 + rnd.nextInt(1_000_000_000);
        long max = min + rnd.nextLong(100_000_000_000L);
        RttEstimator e = new RttEstimator(min, max, 1 + rnd.nextLong(max), rnd.nextInt(10_000_000));
        for (int i = 0; i < events; i++) {
            long before = e.rtoNanos();
            switch (rnd.nextInt(3)) {
                case 0 -> {
                    e.backoff();
                    assertTrue(e.rtoNanos() >= before, "back-off never shortens the RTO");
                    assertTrue(e.rtoNanos() == max || e.rtoNanos() == 2 * before || e.backoffs() >= 30, "doubles");
                }
                case 1 -> {
                    e.sample(rnd.nextInt(4) == 0 ? -rnd.nextLong(1000) : rnd.nextLong(10_000_000_000L));
                    assertEquals(0, e.backoffs());
                    assertTrue(e.srttNanos() > 0);
                }
                default -> e.resetBackoff();
            }
            assertTrue(e.rtoNanos() >= min && e.rtoNanos() <= max, "RTO within [min, max]");
        }
    }
}
