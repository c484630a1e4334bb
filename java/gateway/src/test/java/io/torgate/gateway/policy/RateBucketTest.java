package io.torgate.gateway.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The GCRA token bucket, on a synthetic clock (no sleeping, no timing assertions). */
class RateBucketTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long T0 = -5 * SECOND; // nanoTime may be negative

    @Test
    void fullBucketAdmitsTheBurstThenTheRate() {
        RateBucket b = new RateBucket();
        for (int i = 0; i < 5; i++) {
            assertTrue(b.tryTake(T0, 10, 5), "burst token " + i);
        }
        assertFalse(b.tryTake(T0, 10, 5), "the sixth at the same instant");
        assertFalse(b.tryTake(T0 + SECOND / 10 - 1, 10, 5), "just before one interval");
        assertTrue(b.tryTake(T0 + SECOND / 10, 10, 5), "one token after one interval (10/s)");
        assertFalse(b.tryTake(T0 + SECOND / 10, 10, 5));
    }

    @Test
    void refillsToTheBurstAndNoFurther() {
        RateBucket b = new RateBucket();
        assertTrue(b.tryTake(T0, 2, 3));
        int taken = 0;
        while (b.tryTake(T0 + 60 * SECOND, 2, 3)) {
            taken++;
        }
        assertEquals(3, taken, "a minute idle refills the bucket to its depth only");
    }

    @Test
    void overOneSecondAdmitsBurstPlusRate() {
        RateBucket b = new RateBucket();
        int admitted = 0;
        for (long t = 0; t < SECOND; t += SECOND / 1000) {
            if (b.tryTake(T0 + t, 100, 20)) {
                admitted++;
            }
        }
        assertEquals(20 + 99, admitted, "depth 20, then one every 10 ms over the remaining 990 ms");
    }

    @Test
    void zeroRateIsUnlimitedAndARateChangeTakesEffect() {
        RateBucket b = new RateBucket();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(b.tryTake(T0, 0, 1));
        }
        assertTrue(b.tryTake(T0, 1, 1));
        assertFalse(b.tryTake(T0, 1, 1), "rate 1/s, depth 1");
        assertTrue(b.tryTake(T0, 0, 1), "back to unlimited (a reload)");
    }

    @Test
    void concurrentTakersNeverExceedTheBurst() throws Exception {
        RateBucket b = new RateBucket();
        AtomicInteger admitted = new AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = Thread.ofPlatform().start(() -> {
                for (int k = 0; k < 10_000; k++) {
                    if (b.tryTake(T0, 1, 50)) {
                        admitted.incrementAndGet();
                    }
                }
            });
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertEquals(50, admitted.get(), "exactly the depth at one instant, whatever the interleaving");
    }
}
