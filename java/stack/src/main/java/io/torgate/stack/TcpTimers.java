package io.torgate.stack;

/**
 * The deadlines of one connection (RFC 9293 §3.8, RFC 6298, RFC 1122 §4.2.2.17 and §4.2.3.6), as absolute
 * nanosecond times on the caller's clock, {@link #OFF} when not running. The connection owns no wheel entry:
 * the owner schedules one {@link TimerWheel.Timer} per connection at {@link #next()} and calls
 * {@code TcpConnection.poll} when it fires, which expires whatever is due.
 *
 * <p>Ownership and thread-safety: part of one connection; not thread-safe. No allocation.
 */
final class TcpTimers {
    static final long OFF = Long.MAX_VALUE;

    static final int RETRANSMIT = 0;
    static final int DELAYED_ACK = 1;
    static final int PERSIST = 2;
    static final int KEEPALIVE = 3;
    static final int TIME_WAIT = 4;
    static final int FIN_WAIT_2 = 5;
    private static final int COUNT = 6;

    private final long[] deadlines = new long[COUNT];

    TcpTimers() {
        clear();
    }

    void clear() {
        java.util.Arrays.fill(deadlines, OFF);
    }

    void set(int kind, long deadline) {
        deadlines[kind] = deadline;
    }

    /** Starts {@code kind} unless it already runs (an earlier deadline wins). */
    void arm(int kind, long deadline) {
        if (deadlines[kind] == OFF) {
            deadlines[kind] = deadline;
        }
    }

    void cancel(int kind) {
        deadlines[kind] = OFF;
    }

    boolean running(int kind) {
        return deadlines[kind] != OFF;
    }

    long deadline(int kind) {
        return deadlines[kind];
    }

    /** True (and stopped) when {@code kind} is due at {@code now}. */
    boolean expire(int kind, long now) {
        if (deadlines[kind] != OFF && deadlines[kind] - now <= 0) {
            deadlines[kind] = OFF;
            return true;
        }
        return false;
    }

    /** The earliest deadline, or {@link #OFF}. */
    long next() {
        long n = OFF;
        for (long d : deadlines) {
            n = Math.min(n, d);
        }
        return n;
    }
}
