package io.torgate.bench.stack;

import io.torgate.stack.TimerWheel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Timer wheel costs with {@code timers} connections' timers scheduled (1 ms tick, 4096 slots, as the interop
 * server uses): re-arming a retransmission timer on an ACK (schedule = move), schedule + cancel, and one
 * {@code expire} tick in which about {@code timers / 200} timers fire and are re-armed 200 ms ahead; the same
 * followed by {@code nextDeadline} (the earliest timer has just fired, so the query rescans: the worst case an idle
 * worker pays before it sleeps).
 */
public class TimerWheelBenchmark extends StackBenchmarkDefaults {
    private static final long TICK = 1_000_000L;
    private static final long RTO = 200 * TICK;

    @Param({"1000", "10000"})
    public int timers;

    private TimerWheel wheel;
    private TimerWheel.Timer[] all;
    private long now;
    private int next;
    private final TimerWheel.Handler rearm = (t, at) -> wheel.schedule(t, at + RTO);

    @Setup
    public void setUp() {
        wheel = new TimerWheel(TICK, 4096);
        all = new TimerWheel.Timer[timers];
        now = 1_000_000_000_000L;
        wheel.expire(now, rearm);
        for (int i = 0; i < timers; i++) {
            all[i] = new TimerWheel.Timer(null, 0);
            wheel.schedule(all[i], now + 1 + (long) i * RTO / timers);
        }
    }

    private TimerWheel.Timer nextTimer() {
        if (++next == timers) {
            next = 0;
        }
        return all[next];
    }

    @Benchmark
    public boolean reschedule() {
        TimerWheel.Timer t = nextTimer();
        wheel.schedule(t, t.deadline() + TICK);
        return wheel.isScheduled(t);
    }

    @Benchmark
    public boolean scheduleCancel() {
        TimerWheel.Timer t = nextTimer();
        long deadline = t.deadline();
        wheel.cancel(t);
        wheel.schedule(t, deadline);
        return wheel.isScheduled(t);
    }

    @Benchmark
    public int expireOneTick() {
        now += TICK;
        return wheel.expire(now, rearm);
    }

    @Benchmark
    public long expireOneTickThenNextDeadline() {
        now += TICK;
        return wheel.expire(now, rearm) + wheel.nextDeadline();
    }
}
