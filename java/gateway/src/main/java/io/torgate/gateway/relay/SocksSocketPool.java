package io.torgate.gateway.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.function.BooleanSupplier;

/**
 * A worker's few sockets already connected to tor's SocksPort ({@code [socks] preconnect}, issue 8), so that a held
 * SYN's SOCKS exchange starts with one write instead of {@code socket} + {@code connect} and the loopback accept
 * that wakes tor (bench/results/rig.md, "Connection rate, session 5"). Each socket carries one stream, as a fresh
 * one does; only the connection set-up moves off the held SYN's path.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Young only.</b> tor closes a SOCKS connection that has not finished its request {@code SocksTimeout}
 *       seconds (default 120) after it ACCEPTED it ({@code connection_ap_expire_beginning}: unattached states,
 *       {@code seconds_since_born}), and that age also counts against the stream's own circuit wait. A pooled
 *       socket is closed {@link #MAX_AGE_NANOS} after it was opened, far below that, so a stream loses at most that
 *       much of tor's budget.</li>
 *   <li><b>On demand.</b> Sockets are opened only while connections are being made (a {@link #take} within the
 *       last {@link #MAX_AGE_NANOS}), never more than the capacity; an idle gateway holds none to tor.</li>
 *   <li><b>Refilled off the critical path:</b> the owner calls {@link #refill} at the end of a worker turn, after
 *       the turn's packets went out.</li>
 *   <li><b>Closed when the endpoint fails:</b> a connect that fails, or tor not ready, empties the pool and stops
 *       refilling until a SOCKS exchange succeeds again ({@link #endpointWorked}). The endpoint itself is fixed
 *       for the process ({@code [socks] endpoint} is not reloadable).</li>
 *   <li><b>Checked before use:</b> one non-blocking 1-byte read; EOF, a reset or unexpected bytes close the socket
 *       and the next one is tried. A socket that passes the check but turns out dead on first use (tor closed it in
 *       between) gets one retry on a fresh socket from the owner; never anything but the same SOCKS endpoint.</li>
 * </ul>
 *
 * <p>Worker thread only, no locks. Allocation: the slot arrays once; each socket is the JDK's channel, as for a
 * fresh connection.
 */
final class SocksSocketPool {
    private static final Logger LOG = System.getLogger(SocksSocketPool.class.getName());
    /** A pooled socket older than this is closed unused (tor's SocksTimeout is 120 s by default). */
    static final long MAX_AGE_NANOS = 5_000_000_000L;

    /** Opens a non-blocking socket to the SOCKS endpoint and starts connecting it (EgressGuard-checked). */
    interface Opener {
        SocketChannel open() throws IOException;
    }

    private final int capacity;
    private final Opener opener;
    private final BooleanSupplier torReady;
    private final SocketChannel[] sockets;
    private final long[] openedAt;
    private final ByteBuffer probe = ByteBuffer.allocateDirect(1);
    private int head;
    private int count;
    /** Refill while now is before this (the last take plus MAX_AGE_NANOS). */
    private long demandUntil = Long.MIN_VALUE;
    /** The endpoint failed: no refill until a SOCKS exchange succeeds. */
    private boolean failed;
    private long hits;
    private long misses;
    private long dead;
    private long expired;
    private long retried;
    private long opened;

    /** {@code capacity} 0 turns the pool off: {@link #take} always misses and nothing is ever opened. */
    SocksSocketPool(int capacity, Opener opener, BooleanSupplier torReady) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        this.opener = opener;
        this.torReady = torReady;
        this.sockets = new SocketChannel[capacity];
        this.openedAt = new long[capacity];
    }

    /**
     * A pooled socket, connected or still connecting, checked alive; null when none (the caller opens a fresh one).
     * The caller owns it from now on.
     */
    SocketChannel take(long now) {
        if (capacity == 0) {
            return null;
        }
        demandUntil = now + MAX_AGE_NANOS;
        expire(now);
        while (count > 0) {
            SocketChannel ch = sockets[head];
            sockets[head] = null;
            head = (head + 1) % capacity;
            count--;
            int state = check(ch);
            if (state > 0) {
                hits++;
                return ch;
            }
            dead++;
            close(ch);
            if (state < 0) {
                fail("a pooled connection failed");
                break;
            }
        }
        misses++;
        return null;
    }

    /**
     * 1 usable (connected and quiet, or still connecting), 0 closed or reset by the peer or not quiet, -1 the connect
     * was refused (the endpoint is down).
     */
    private int check(SocketChannel ch) {
        try {
            if (ch.isConnectionPending() && !ch.finishConnect()) {
                return 1; // still connecting: the SOCKS client waits for OP_CONNECT as with a fresh socket
            }
        } catch (java.net.ConnectException e) {
            return -1;
        } catch (IOException | RuntimeException e) {
            return 0; // connected, then reset before we looked
        }
        try {
            probe.clear();
            return ch.read(probe) == 0 ? 1 : 0; // -1: tor closed it; > 0: bytes before any request
        } catch (IOException | RuntimeException e) {
            return 0; // reset
        }
    }

    /**
     * Opens sockets up to the capacity while connections are being made and the endpoint works. Returns how many
     * were opened.
     */
    int refill(long now) {
        if (!refillDue(now)) {
            return 0;
        }
        if (!torReady.getAsBoolean()) {
            fail("tor is not ready");
            return 0;
        }
        int n = 0;
        while (count < capacity) {
            SocketChannel ch;
            try {
                ch = opener.open();
            } catch (IOException | RuntimeException e) {
                fail("connecting failed: " + e.getMessage());
                return n;
            }
            int tail = (head + count) % capacity;
            sockets[tail] = ch;
            openedAt[tail] = now;
            count++;
            opened++;
            n++;
        }
        return n;
    }

    /** Whether {@link #refill} would open anything now (cheap: the owner asks every turn). */
    boolean refillDue(long now) {
        return count < capacity && !failed && now < demandUntil;
    }

    /** Closes the sockets that reached {@link #MAX_AGE_NANOS}. Returns how many. */
    int expire(long now) {
        int n = 0;
        while (count > 0 && now - openedAt[head] >= MAX_AGE_NANOS) {
            close(sockets[head]);
            sockets[head] = null;
            head = (head + 1) % capacity;
            count--;
            expired++;
            n++;
        }
        return n;
    }

    /** When the oldest socket expires; MAX_VALUE when empty (the worker may sleep until then). */
    long nextExpiry() {
        return count == 0 ? Long.MAX_VALUE : openedAt[head] + MAX_AGE_NANOS;
    }

    /** A SOCKS exchange succeeded: the endpoint works, refilling may resume. */
    void endpointWorked() {
        failed = false;
    }

    /** A fresh connection to the endpoint failed, or tor failed an exchange without a SOCKS reply: close them all. */
    void endpointFailed() {
        if (capacity > 0) {
            fail("a SOCKS exchange failed without a reply");
        }
    }

    /** A pooled socket passed the check but was dead on first use; the owner retried on a fresh one. */
    void retried() {
        retried++;
    }

    private void fail(String why) {
        if (!failed) {
            LOG.log(Level.DEBUG, "SOCKS pre-connected sockets closed: {0}", why);
        }
        failed = true;
        clear();
    }

    /** Closes every pooled socket (endpoint failed, shutdown). */
    void clear() {
        while (count > 0) {
            close(sockets[head]);
            sockets[head] = null;
            head = (head + 1) % capacity;
            count--;
        }
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing a pooled SOCKS socket: {0}", e.getMessage());
        }
    }

    int size() {
        return count;
    }

    int capacity() {
        return capacity;
    }

    /** The counters for metrics (a copy). */
    SocksPoolStats stats() {
        return new SocksPoolStats(count, hits, misses, dead, expired, retried, opened);
    }
}
