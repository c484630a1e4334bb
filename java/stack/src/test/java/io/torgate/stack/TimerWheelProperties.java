package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Every scheduled timer fires exactly once unless cancelled, never before its deadline, and at the first
 * {@code expire} whose tick reaches the deadline's tick, so at most one tick late; also when handlers cancel and
 * reschedule, deadlines lie many revolutions ahead, and time jumps by more than a revolution. {@code nextDeadline}
 * always equals the earliest pending timer's tick boundary.
 */
class TimerWheelProperties {
    /** Model state per timer. */
    private static final class Model {
        boolean pending;
        long deadline;
        int fired;
    }

    /** The earliest tick boundary at which a pending timer is due, as the wheel files it (ceil to its tick). */
    private static long modelNextDeadline(Model[] ms, long tick) {
        long min = Long.MAX_VALUE;
        for (Model m : ms) {
            if (m.pending) {
                min = Math.min(min, Math.ceilDiv(m.deadline, tick) * tick);
            }
        }
        return min;
    }

    @Property(tries = 10_000)
    void firesOnceNeverEarlyAtMostOneTickLate(@ForAll @IntRange(min = 1, max = 1000) int tick,
            @ForAll @IntRange(min = 1, max = 64) int slots, @ForAll @IntRange(min = 1, max = 40) int timers,
            @ForAll @IntRange(min = 1, max = 100) int steps, @ForAll long seed) {
        Random rnd = new Random(seed);
        TimerWheel wheel = new TimerWheel(tick, slots);
        TimerWheel.Timer[] ts = new TimerWheel.Timer[timers];
        Model[] ms = new Model[timers];
        for (int i = 0; i < timers; i++) {
            ms[i] = new Model();
            ts[i] = new TimerWheel.Timer(ms[i], i);
        }
        long horizon = (long) tick * slots * 3;
        long now = rnd.nextLong(-1_000_000_000L, 1_000_000_000L);
        for (int step = 0; step < steps; step++) {
            for (int k = rnd.nextInt(4); k > 0; k--) {
                int i = rnd.nextInt(timers);
                if (rnd.nextInt(4) == 0) {
                    wheel.cancel(ts[i]);
                    ms[i].pending = false;
                } else {
                    long d = now + rnd.nextLong(-tick, horizon);
                    wheel.schedule(ts[i], d);
                    ms[i].pending = true;
                    ms[i].deadline = d;
                }
                if (rnd.nextBoolean()) {
                    assertEquals(modelNextDeadline(ms, tick), wheel.nextDeadline(), "after schedule/cancel");
                }
            }
            long nowTick = Math.floorDiv(now, tick);
            long at = now;
            int firedNow = wheel.expire(now, (t, n) -> {
                Model m = (Model) t.owner();
                assertEquals(at, n);
                assertTrue(m.pending, "fires only while scheduled");
                assertTrue(n >= m.deadline, "never early");
                m.pending = false;
                m.fired++;
                if (rnd.nextInt(3) == 0) {
                    int j = rnd.nextInt(timers);
                    wheel.cancel(ts[j]);
                    ms[j].pending = false;
                }
                if (rnd.nextInt(3) == 0) {
                    long d = Math.multiplyExact(nowTick + 1, (long) tick) + rnd.nextLong(horizon);
                    wheel.schedule(t, d);
                    m.pending = true;
                    m.deadline = d;
                }
            });
            int pending = 0;
            for (Model m : ms) {
                if (m.pending) {
                    pending++;
                    assertTrue(Math.ceilDiv(m.deadline, tick) > nowTick, "a due timer did not fire: late");
                }
            }
            assertEquals(pending, wheel.size());
            assertEquals(modelNextDeadline(ms, tick), wheel.nextDeadline(), "nextDeadline is the earliest due tick");
            assertTrue(firedNow >= 0);
            now += rnd.nextInt(10) == 0 ? rnd.nextLong(horizon) : rnd.nextLong(2L * tick);
        }
    }
}
