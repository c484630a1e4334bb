package io.torgate.stack;

/**
 * A hashed timing wheel (Varghese &amp; Lauck) with intrusive timers, driving every per-connection timer of a
 * worker (retransmission, delayed ACK, persist, keepalive, TIME-WAIT; RFC 9293 §3.8, RFC 6298 §5).
 *
 * <p>Time is passed in (nanoseconds on one monotonic clock, e.g. {@code System.nanoTime()}); the wheel never reads
 * a clock. A timer with deadline {@code d} is filed under tick {@code ceil(d / tickNanos)}; {@link #expire} fires
 * it from the first call whose {@code now} reaches that tick. So a timer never fires early ({@code now >= d}) and
 * fires at most one tick late, given {@code expire} is called at least once per tick. Deadlines beyond one
 * revolution ({@code slots * tickNanos}) share a slot with nearer ones and are skipped until their own tick comes
 * round (each timer carries its due tick, which plays the role of a rounds counter). A timer whose tick has already
 * been processed goes to an overdue list fired by the next {@code expire}.
 *
 * <p>Timers are owned by their owner (usually a connection, allocated once with it) and linked into the wheel
 * through their own fields: scheduling, cancelling and firing never allocate. A timer belongs to at most one wheel
 * at a time. Handlers may schedule and cancel any timer, including the one firing.
 *
 * <p>{@link #nextDeadline} tells an idle owner how long it may sleep. The wheel keeps a lower bound on the earliest
 * due tick, exact after any schedule that lowers it; only cancelling or firing the earliest timer makes it stale,
 * and the next query then scans forward from the old bound (at most one revolution plus the timers it passes), so
 * the query is O(1) in the common case and never allocates.
 *
 * <p>Ownership and thread-safety: a wheel and its timers are used by one thread (the worker owning the
 * connections); not thread-safe.
 */
public final class TimerWheel {
    /** Receives expired timers. */
    @FunctionalInterface
    public interface Handler {
        /**
         * @param t the expired timer, already unscheduled (it may be rescheduled from here)
         * @param now the time passed to {@link #expire}
         */
        void onTimer(Timer t, long now);
    }

    /** One timer, embedded in its owner; {@code owner} and {@code kind} tell the handler what to do. */
    public static final class Timer {
        private static final int NOT_SCHEDULED = -1;
        private final Object owner;
        private final int kind;
        private long deadline;
        private long dueTick;
        /** Index of the list holding the timer (a slot, {@code overdue} or {@code firing}), or NOT_SCHEDULED. */
        private int list = NOT_SCHEDULED;
        private Timer prev;
        private Timer next;

        /**
         * @param owner whatever the handler needs to act (e.g. the connection)
         * @param kind owner-defined timer kind (e.g. retransmit, delayed ACK)
         */
        public Timer(Object owner, int kind) {
            this.owner = owner;
            this.kind = kind;
        }

        public Object owner() {
            return owner;
        }

        public int kind() {
            return kind;
        }

        /** @return the deadline last scheduled (meaningful while scheduled) */
        public long deadline() {
            return deadline;
        }

        @Override
        public String toString() {
            return "Timer[kind=" + kind + ", owner=" + owner + (list == NOT_SCHEDULED ? "" : ", at=" + deadline) + "]";
        }
    }

    private final long tickNanos;
    private final int slots;
    /** Heads of the lists: {@code slots} wheel slots, then the overdue list, then the list being fired. */
    private final Timer[] heads;
    private final int overdue;
    private final int firing;
    /** Last tick processed by {@link #expire}; meaningless until {@code started}. */
    private long lastTick;
    private boolean started;
    private int size;
    /** Lower bound on the due tick of every scheduled timer; {@code Long.MAX_VALUE} when none is scheduled. */
    private long minTick = Long.MAX_VALUE;
    /** Whether a scheduled timer is due at exactly {@code minTick} (else the bound is stale and needs a scan). */
    private boolean minExact = true;

    /**
     * @param tickNanos resolution, &gt; 0 (e.g. 1 ms for RTO and delayed ACK)
     * @param slots slots per revolution, &gt; 0; deadlines within {@code slots * tickNanos} cost no rescans
     */
    public TimerWheel(long tickNanos, int slots) {
        if (tickNanos <= 0 || slots <= 0 || slots > Integer.MAX_VALUE - 2) {
            throw new IllegalArgumentException("tickNanos and slots must be positive");
        }
        this.tickNanos = tickNanos;
        this.slots = slots;
        this.heads = new Timer[slots + 2];
        this.overdue = slots;
        this.firing = slots + 1;
    }

    public long tickNanos() {
        return tickNanos;
    }

    /** @return timers currently scheduled */
    public int size() {
        return size;
    }

    /** (Re)schedules {@code t} to fire at {@code deadlineNanos}; a scheduled timer is moved. */
    public void schedule(Timer t, long deadlineNanos) {
        if (t.list != Timer.NOT_SCHEDULED) {
            unlink(t);
        }
        long tick = Math.ceilDiv(deadlineNanos, tickNanos);
        t.deadline = deadlineNanos;
        t.dueTick = tick;
        link(t, started && tick <= lastTick ? overdue : (int) Math.floorMod(tick, (long) slots));
    }

    /** Unschedules {@code t}; does nothing when it is not scheduled. */
    public void cancel(Timer t) {
        if (t.list != Timer.NOT_SCHEDULED) {
            unlink(t);
        }
    }

    public boolean isScheduled(Timer t) {
        return t.list != Timer.NOT_SCHEDULED;
    }

    /**
     * The earliest time at which {@link #expire} will fire a timer: {@code tickNanos} times the smallest due tick
     * of any scheduled timer (so never earlier than its deadline, and at most one tick later), a time at or before
     * the last {@code expire} for timers already overdue, or {@code Long.MAX_VALUE} when none is scheduled. An owner
     * that sleeps until this time and then calls {@code expire} misses no timer. Cheap: O(1) unless the earliest
     * timer was cancelled or fired since the last query; never allocates.
     */
    public long nextDeadline() {
        if (size == 0) {
            return Long.MAX_VALUE;
        }
        if (!minExact) {
            rescanMinimum();
        }
        return minTick > Long.MAX_VALUE / tickNanos ? Long.MAX_VALUE : minTick * tickNanos;
    }

    /**
     * Recomputes {@code minTick} exactly. Overdue timers (and timers being fired) are due at or before the last
     * processed tick, so they come first; slot timers are due after it. Slots are visited tick by tick from the
     * bound: a timer whose due tick is the visited tick is the earliest; one that is not lies at least a revolution
     * ahead, and after a whole revolution every timer has been seen once.
     */
    private void rescanMinimum() {
        long best = Math.min(listMinimum(overdue), listMinimum(firing));
        long start = started ? Math.max(minTick, lastTick + 1) : minTick;
        long seenAhead = Long.MAX_VALUE;
        long end = start + slots;
        for (long tick = start; tick < end && tick < best; tick++) {
            for (Timer x = heads[(int) Math.floorMod(tick, (long) slots)]; x != null; x = x.next) {
                if (x.dueTick == tick) {
                    best = tick;
                    break;
                }
                seenAhead = Math.min(seenAhead, x.dueTick);
            }
        }
        minTick = Math.min(best, seenAhead);
        minExact = true;
    }

    private long listMinimum(int index) {
        long min = Long.MAX_VALUE;
        for (Timer x = heads[index]; x != null; x = x.next) {
            min = Math.min(min, x.dueTick);
        }
        return min;
    }

    /**
     * Fires every timer due by {@code now}: the overdue list, then each slot from the tick after the last call
     * through {@code now}'s tick (every slot once when that span exceeds a revolution). Calls with a {@code now}
     * earlier than a previous one fire only overdue timers.
     *
     * @return timers fired
     */
    public int expire(long nowNanos, Handler h) {
        long nowTick = Math.floorDiv(nowNanos, tickNanos);
        long from = started ? lastTick + 1 : nowTick - slots + 1;
        if (started && nowTick < lastTick) {
            nowTick = lastTick;
        }
        int fired = fireList(overdue, nowTick, nowNanos, h);
        if (nowTick - from + 1 >= slots) {
            from = nowTick - slots + 1;
        }
        lastTick = nowTick;
        started = true;
        for (long tick = from; tick <= nowTick; tick++) {
            fired += fireList((int) Math.floorMod(tick, (long) slots), nowTick, nowNanos, h);
        }
        return fired;
    }

    /**
     * Moves list {@code index} to the firing list, then fires its timers due by {@code nowTick} and puts the others
     * back. Working from a separate list lets handlers schedule or cancel anything, including timers not yet
     * visited (cancelling unlinks them from the firing list).
     */
    private int fireList(int index, long nowTick, long nowNanos, Handler h) {
        Timer t = heads[index];
        if (t == null) {
            return 0;
        }
        heads[index] = null;
        heads[firing] = t;
        for (Timer x = t; x != null; x = x.next) {
            x.list = firing;
        }
        int fired = 0;
        while ((t = heads[firing]) != null) {
            unlink(t);
            if (t.dueTick <= nowTick) {
                fired++;
                h.onTimer(t, nowNanos);
            } else {
                link(t, (int) Math.floorMod(t.dueTick, (long) slots));
            }
        }
        return fired;
    }

    private void link(Timer t, int index) {
        Timer head = heads[index];
        t.prev = null;
        t.next = head;
        if (head != null) {
            head.prev = t;
        }
        heads[index] = t;
        t.list = index;
        size++;
        if (t.dueTick <= minTick) {
            minTick = t.dueTick;
            minExact = true;
        }
    }

    private void unlink(Timer t) {
        if (t.prev != null) {
            t.prev.next = t.next;
        } else {
            heads[t.list] = t.next;
        }
        if (t.next != null) {
            t.next.prev = t.prev;
        }
        t.prev = null;
        t.next = null;
        t.list = Timer.NOT_SCHEDULED;
        size--;
        if (size == 0) {
            minTick = Long.MAX_VALUE;
            minExact = true;
        } else if (t.dueTick == minTick) {
            minExact = false;
        }
    }
}
