package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimerWheelTest {
    private static final long TICK = 1_000_000L;
    private final List<String> fired = new ArrayList<>();
    private final TimerWheel.Handler record = (t, now) -> fired.add(t.owner() + "@" + now / TICK);

    @Test
    void firesAtDeadlineNotBefore() {
        TimerWheel w = new TimerWheel(TICK, 8);
        TimerWheel.Timer a = new TimerWheel.Timer("a", 1);
        w.expire(0, record);
        w.schedule(a, 3 * TICK + 1);
        assertTrue(w.isScheduled(a));
        assertEquals(0, w.expire(3 * TICK, record));
        assertEquals(0, w.expire(3 * TICK + TICK / 2, record), "same tick, still before the deadline");
        assertEquals(1, w.expire(4 * TICK, record));
        assertEquals(List.of("a@4"), fired);
        assertFalse(w.isScheduled(a));
        assertEquals(0, w.size());
    }

    @Test
    void deadlinesBeyondOneRevolutionWaitForTheirRound() {
        TimerWheel w = new TimerWheel(TICK, 4);
        TimerWheel.Timer far = new TimerWheel.Timer("far", 0);
        TimerWheel.Timer near = new TimerWheel.Timer("near", 0);
        w.expire(0, record);
        w.schedule(far, 9 * TICK);
        w.schedule(near, TICK);
        for (long t = 1; t <= 8; t++) {
            w.expire(t * TICK, record);
        }
        assertEquals(List.of("near@1"), fired);
        w.expire(9 * TICK, record);
        assertEquals(List.of("near@1", "far@9"), fired);
    }

    @Test
    void cancelAndRescheduleFromHandler() {
        TimerWheel w = new TimerWheel(TICK, 16);
        TimerWheel.Timer a = new TimerWheel.Timer("a", 0);
        TimerWheel.Timer b = new TimerWheel.Timer("b", 0);
        w.expire(0, record);
        w.schedule(a, 2 * TICK);
        w.schedule(b, 2 * TICK);
        TimerWheel.Handler h = (t, now) -> {
            fired.add((String) t.owner());
            if (t == a) {
                w.cancel(b);
                w.schedule(a, now + 5 * TICK);
            } else {
                w.cancel(a);
                w.schedule(b, now + 5 * TICK);
            }
        };
        assertEquals(1, w.expire(2 * TICK, h), "the first fired cancels the other, which then must not fire");
        assertEquals(1, w.size());
        assertEquals(1, w.expire(7 * TICK, h));
    }

    @Test
    void pastDeadlineFiresOnTheNextCall() {
        TimerWheel w = new TimerWheel(TICK, 8);
        TimerWheel.Timer a = new TimerWheel.Timer("a", 0);
        w.expire(100 * TICK, record);
        w.schedule(a, 50 * TICK);
        assertEquals(1, w.expire(100 * TICK, record));
        assertEquals(List.of("a@100"), fired);
    }

    @Test
    void longGapScansEverySlotOnce() {
        TimerWheel w = new TimerWheel(TICK, 8);
        w.expire(0, record);
        for (int i = 0; i < 20; i++) {
            w.schedule(new TimerWheel.Timer("t" + i, 0), (i + 1) * TICK);
        }
        assertEquals(20, w.expire(1000 * TICK, record));
        assertEquals(0, w.size());
    }

    @Test
    void nextDeadlineIsTheEarliestTimersTickNotAPollInterval() {
        TimerWheel w = new TimerWheel(TICK, 4096);
        assertEquals(Long.MAX_VALUE, w.nextDeadline(), "nothing scheduled: sleep until woken");
        w.expire(0, record);
        TimerWheel.Timer keepalive = new TimerWheel.Timer("keepalive", 0);
        w.schedule(keepalive, 7_200_000 * TICK + 1);
        assertEquals(7_200_001 * TICK, w.nextDeadline(), "a far timer, many revolutions ahead, is found exactly");
        TimerWheel.Timer rto = new TimerWheel.Timer("rto", 1);
        w.schedule(rto, 200 * TICK);
        assertEquals(200 * TICK, w.nextDeadline());
        w.schedule(rto, 300 * TICK);
        assertEquals(300 * TICK, w.nextDeadline(), "moving the earliest later rescans");
        w.cancel(rto);
        assertEquals(7_200_001 * TICK, w.nextDeadline(), "cancelling the earliest falls back to the next");
        w.cancel(keepalive);
        assertEquals(Long.MAX_VALUE, w.nextDeadline());
    }

    @Test
    void nextDeadlineAfterFiringAndForOverdueTimers() {
        TimerWheel w = new TimerWheel(TICK, 8);
        TimerWheel.Timer a = new TimerWheel.Timer("a", 0);
        TimerWheel.Timer b = new TimerWheel.Timer("b", 0);
        w.expire(0, record);
        w.schedule(a, 2 * TICK);
        w.schedule(b, 5 * TICK + 1);
        assertEquals(2 * TICK, w.nextDeadline());
        assertEquals(1, w.expire(2 * TICK, record));
        assertEquals(6 * TICK, w.nextDeadline(), "deadline rounded up to the tick it is filed under");
        w.expire(10 * TICK, record);
        w.schedule(a, 3 * TICK);
        assertTrue(w.nextDeadline() <= 10 * TICK, "an overdue timer is due now");
        assertEquals(1, w.expire(10 * TICK, record));
        assertEquals(Long.MAX_VALUE, w.nextDeadline());
    }
}
