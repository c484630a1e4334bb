package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RttEstimatorTest {
    private static final long MS = 1_000_000L;

    @Test
    void initialRtoIsOneSecond() {
        assertEquals(1000 * MS, new RttEstimator().rtoNanos());
    }

    @Test
    void firstAndLaterSamplesFollowRfc6298() {
        RttEstimator e = new RttEstimator(MS, 60_000 * MS, 1000 * MS, 0);
        e.sample(100 * MS);
        assertEquals(100 * MS, e.srttNanos());
        assertEquals(50 * MS, e.rttVarNanos());
        assertEquals(300 * MS, e.rtoNanos(), "SRTT + 4 * RTTVAR");
        e.sample(200 * MS);
        assertEquals(62_500_000L, e.rttVarNanos(), "3/4 * 50 + 1/4 * 100");
        assertEquals(112_500_000L, e.srttNanos(), "7/8 * 100 + 1/8 * 200");
        assertEquals(362_500_000L, e.rtoNanos());
    }

    @Test
    void clampsToMinimumAndMaximum() {
        RttEstimator e = new RttEstimator();
        e.sample(MS);
        assertEquals(RttEstimator.DEFAULT_MIN_RTO_NANOS, e.rtoNanos());
        for (int i = 0; i < 40; i++) {
            e.backoff();
        }
        assertEquals(RttEstimator.DEFAULT_MAX_RTO_NANOS, e.rtoNanos());
    }

    @Test
    void backoffDoublesAndResets() {
        RttEstimator e = new RttEstimator();
        e.backoff();
        assertEquals(2000 * MS, e.rtoNanos());
        e.backoff();
        assertEquals(4000 * MS, e.rtoNanos());
        assertEquals(2, e.backoffs());
        e.resetBackoff();
        assertEquals(1000 * MS, e.rtoNanos());
        e.backoff();
        e.sample(400 * MS);
        assertEquals(0, e.backoffs(), "a new sample recomputes the RTO");
        assertEquals(1200 * MS, e.rtoNanos());
    }
}
