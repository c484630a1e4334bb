package io.torgate.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pre-connected SOCKS socket pool against a loopback listener standing in for tor's SocksPort, on an explicit
 * clock (every method takes {@code now}). The real counterpart: {@code RealTorTest} (pooled sockets through tor 0.4.9)
 * and {@code PreconnectRelayTest} (through the relay).
 */
class SocksSocketPoolTest {
    private static final long S = 1_000_000_000L;
    private ServerSocketChannel endpoint;
    private final List<SocketChannel> accepted = new ArrayList<>();
    private final List<SocketChannel> opened = new ArrayList<>();
    private final AtomicInteger opens = new AtomicInteger();
    private final AtomicBoolean endpointDown = new AtomicBoolean();
    private final AtomicBoolean torReady = new AtomicBoolean(true);

    @BeforeEach
    void setUp() throws IOException {
        endpoint = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    }

    @AfterEach
    void tearDown() throws IOException {
        for (SocketChannel c : accepted) {
            c.close();
        }
        for (SocketChannel c : opened) {
            c.close();
        }
        endpoint.close();
    }

    private SocksSocketPool pool(int capacity) {
        return new SocksSocketPool(capacity, () -> {
            opens.incrementAndGet();
            if (endpointDown.get()) {
                throw new IOException("connection refused (test)");
            }
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.connect(endpoint.getLocalAddress());
            opened.add(ch);
            return ch;
        }, torReady::get);
    }

    /** The endpoint's side of the next pooled connection (blocking accept: the kernel completed the handshake). */
    private SocketChannel acceptOne() throws IOException {
        SocketChannel c = endpoint.accept();
        accepted.add(c);
        return c;
    }

    @Test
    void offMeansNothingIsEverOpened() {
        SocksSocketPool p = pool(0);
        assertNull(p.take(0));
        assertFalse(p.refillDue(1));
        assertEquals(0, p.refill(1));
        assertEquals(0, opens.get());
        assertEquals(Long.MAX_VALUE, p.nextExpiry());
        assertEquals(new SocksPoolStats(0, 0, 0, 0, 0, 0, 0), p.stats());
        assertThrows(IllegalArgumentException.class, () -> pool(-1));
    }

    @Test
    void refillsOnlyAfterDemandAndNeverBeyondCapacity() throws IOException {
        SocksSocketPool p = pool(3);
        assertFalse(p.refillDue(0), "no connection made yet: nothing opened ahead");
        assertEquals(0, p.refill(0));
        assertNull(p.take(10), "empty: a miss, the caller connects a fresh socket");
        assertEquals(3, p.refill(20));
        assertEquals(0, p.refill(21), "full");
        assertEquals(3, p.size());
        assertEquals(3, opens.get());
        for (int i = 0; i < 3; i++) {
            acceptOne();
        }
        SocketChannel a = p.take(30);
        assertNotNull(a);
        assertEquals(2, p.size());
        assertEquals(1, p.refill(40), "one taken, one opened");
        assertEquals(3, p.size());
        assertEquals(4, opens.get());
        SocksPoolStats s = p.stats();
        assertEquals(1, s.hits());
        assertEquals(1, s.misses());
        assertEquals(4, s.opened());
        assertEquals(3, s.pooled());
        a.close();
    }

    @Test
    void handsOutTheOldestFirstAndClosesSocketsAtTheAgeLimit() throws IOException {
        SocksSocketPool p = pool(2);
        assertNull(p.take(0));
        p.refill(1 * S);
        SocketChannel[] peers = {acceptOne(), acceptOne()};
        assertEquals(1 * S + SocksSocketPool.MAX_AGE_NANOS, p.nextExpiry());
        assertEquals(0, p.expire(1 * S + SocksSocketPool.MAX_AGE_NANOS - 1));
        assertEquals(2, p.expire(1 * S + SocksSocketPool.MAX_AGE_NANOS));
        assertEquals(0, p.size());
        assertEquals(2, p.stats().expired());
        for (SocketChannel peer : peers) {
            peer.configureBlocking(true);
            assertEquals(-1, peer.read(ByteBuffer.allocate(1)), "the endpoint sees the expired socket closed");
        }
        // Demand ended with the last take + MAX_AGE: no refill after that.
        assertFalse(p.refillDue(SocksSocketPool.MAX_AGE_NANOS));
        // A take renews the demand; the oldest pooled socket goes first.
        assertNull(p.take(10 * S));
        assertEquals(2, p.refill(10 * S));
        SocketChannel older = opened.get(opened.size() - 2);
        SocketChannel next = p.take(11 * S);
        assertSame(older, next, "FIFO: the older of the two pooled sockets");
        next.close();
    }

    @Test
    void aSocketTheEndpointClosedIsSkippedAndTheNextOneUsed() throws IOException {
        SocksSocketPool p = pool(2);
        assertNull(p.take(0));
        p.refill(1);
        SocketChannel peer1 = acceptOne();
        acceptOne();
        peer1.close(); // tor closed the first one (SocksTimeout, restart)
        SocketChannel ch = waitTake(p, 2, opened.get(0));
        assertNotNull(ch, "the second, live socket");
        assertSame(opened.get(1), ch);
        assertFalse(opened.get(0).isOpen(), "the dead one is closed");
        assertEquals(1, p.stats().dead());
        assertEquals(1, p.stats().hits());
    }

    @Test
    void aResetSocketIsSkippedToo() throws IOException {
        SocksSocketPool p = pool(1);
        assertNull(p.take(0));
        p.refill(1);
        SocketChannel peer = acceptOne();
        peer.setOption(StandardSocketOptions.SO_LINGER, 0);
        peer.close(); // RST
        assertNull(waitTake(p, 2, opened.get(0)), "no live socket left: a miss");
        assertEquals(1, p.stats().dead());
        assertEquals(2, p.stats().misses());
    }

    /** Takes once the endpoint's close has reached our side of {@code pooled} (bounded wait for a loaded machine). */
    private static SocketChannel waitTake(SocksSocketPool p, long now, SocketChannel pooled) throws IOException {
        long deadline = System.nanoTime() + 10 * S;
        try {
            while (!pooled.finishConnect()) { // a connection still pending reports no OP_READ
                assertTrue(System.nanoTime() < deadline, "the pooled socket connects");
                Thread.onSpinWait();
            }
        } catch (java.net.SocketException e) {
            return p.take(now); // the reset already arrived (finishConnect reports it)
        }
        try (Selector sel = Selector.open()) {
            SelectionKey k = pooled.register(sel, SelectionKey.OP_READ);
            assertEquals(1, sel.select(10_000), "the endpoint's close reaches the pooled socket");
            k.cancel();
            sel.selectNow();
        }
        return p.take(now);
    }

    @Test
    void anEndpointThatFailsEmptiesThePoolUntilAnExchangeSucceeds() throws IOException {
        SocksSocketPool p = pool(3);
        assertNull(p.take(0));
        p.refill(1);
        assertEquals(3, p.size());
        endpointDown.set(true);
        SocketChannel live = p.take(2);
        assertNotNull(live, "the pooled sockets still work");
        live.close();
        assertEquals(0, p.refill(3), "connecting fails");
        assertEquals(0, p.size(), "every pooled socket closed");
        for (SocketChannel c : opened) {
            assertFalse(c.isOpen());
        }
        assertFalse(p.refillDue(4), "no refill while the endpoint is failing");
        int before = opens.get();
        assertNull(p.take(5));
        assertEquals(0, p.refill(6));
        assertEquals(before, opens.get(), "nothing tried after the failure");
        endpointDown.set(false);
        p.endpointWorked();
        assertEquals(3, p.refill(7));
    }

    @Test
    void aRefusedConnectIsNeverHandedOutAndFailsTheEndpoint() throws IOException {
        int dead = deadPort();
        SocksSocketPool q = new SocksSocketPool(1, () -> {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.configureBlocking(false);
                ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), dead));
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            opened.add(ch);
            return ch;
        }, () -> true);
        assertNull(q.take(0));
        // Loopback refuses either inside connect() (the opener throws) or later (finishConnect throws on take).
        if (q.refill(1) == 1) {
            assertNull(q.take(2), "a refused connect is never handed out");
            assertEquals(1, q.stats().dead());
        }
        assertEquals(0, q.size());
        assertFalse(q.refillDue(3), "the endpoint failed: no refill until an exchange succeeds");
        for (SocketChannel c : opened) {
            assertFalse(c.isOpen());
        }
    }

    private static int deadPort() throws IOException {
        try (ServerSocketChannel s = ServerSocketChannel.open()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return ((InetSocketAddress) s.getLocalAddress()).getPort();
        }
    }

    @Test
    void torNotReadyEmptiesThePool() throws IOException {
        SocksSocketPool p = pool(2);
        assertNull(p.take(0));
        p.refill(1);
        p.take(2);
        torReady.set(false);
        assertEquals(0, p.refill(3));
        assertEquals(0, p.size());
        assertFalse(p.refillDue(4));
    }

    @Test
    void clearClosesEverySocket() throws IOException {
        SocksSocketPool p = pool(4);
        assertNull(p.take(0));
        assertEquals(4, p.refill(1));
        List<SocketChannel> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            peers.add(acceptOne());
        }
        p.clear();
        assertEquals(0, p.size());
        for (SocketChannel c : opened) {
            assertFalse(c.isOpen());
        }
        for (SocketChannel peer : peers) {
            peer.configureBlocking(true);
            assertEquals(-1, peer.read(ByteBuffer.allocate(1)));
        }
        assertTrue(p.stats().expired() == 0 && p.stats().dead() == 0);
    }
}
