package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Ipv4;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * Two {@link TcpConnection}s joined by a simulated path with loss, duplication and reordering, driven by a fake
 * clock that jumps to the next delivery or deadline. The client opens actively, the server passively (its owner
 * accepts the held SYN). Both sides send a stream, read everything and close; the link checks on every packet
 * the server emits that the window it advertises never exceeds its free receive buffer.
 */
final class TcpLink {
    static final int CLIENT = 0x0A89_0005;
    static final int SERVER = 0x5DB8_D822;
    /** {@code -Dtcplink.trace=true} prints every packet (for debugging a failing sample). */
    private static final boolean TRACE = Boolean.getBoolean("tcplink.trace");

    /**
     * Impairments in percent, the seed that makes a run reproducible, and how often (percent of steps) the
     * applications read: a slow reader makes the receive window shrink to zero and reopen.
     */
    record Path(int lossPct, int dupPct, int reorderPct, long seed, int readPct) {
        Path(int lossPct, int dupPct, int reorderPct, long seed) {
            this(lossPct, dupPct, reorderPct, seed, 100);
        }
    }

    private record InFlight(long at, long order, byte[] packet, boolean toServer) {
    }

    final TcpCounters counters = new TcpCounters();
    final TcpConnection client;
    final TcpConnection server;
    private final Random random;
    private final Path path;
    private final PriorityQueue<InFlight> wire = new PriorityQueue<>((a, b) ->
            a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private final TcpSegment segment = new TcpSegment();
    private final Side clientSide;
    private final Side serverSide;
    long now = 1_000_000_000L;
    private long order;
    int windowChecks;

    /** One endpoint: its connection, what it still has to send and what it received. */
    private final class Side implements SegmentSink {
        final TcpConnection conn;
        final boolean isServer;
        final byte[] toSend;
        int sent;
        final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        private final ByteBuffer tx = ByteBuffer.allocate(4096);
        private final ByteBuffer rx = ByteBuffer.allocate(3000);

        Side(TcpConnection conn, boolean isServer, byte[] toSend) {
            this.conn = conn;
            this.isServer = isServer;
            this.toSend = toSend;
        }

        @Override
        public ByteBuffer claim(int maxLength) {
            tx.clear();
            return tx;
        }

        @Override
        public void commit(int length) {
            byte[] p = new byte[length];
            tx.get(0, p);
            if (TRACE) {
                System.out.println(now / 1_000_000 + (isServer ? " S> " : " C> ") + CapturingSink.decode(p)
                        + " rcvwnd=" + conn.rcv.window() + " readable=" + conn.readable());
            }
            if (isServer) {
                checkWindow(conn, p);
            }
            transmit(p, !isServer);
        }

        /** The application: write what fits, close when all is written, read everything. */
        void app() {
            if ((conn.events() & TcpConnection.EV_SYN) != 0) {
                conn.accept(now);
            }
            if (sent < toSend.length && (conn.events() & TcpConnection.EV_WRITABLE) != 0) {
                int n = conn.write(ByteBuffer.wrap(toSend, sent, toSend.length - sent));
                sent += Math.max(n, 0);
            }
            if (sent == toSend.length) {
                conn.shutdownOutput();
            }
            if (random.nextInt(100) >= path.readPct()) {
                return;
            }
            int n;
            while ((n = conn.read(rx.clear())) > 0) {
                received.write(rx.array(), 0, n);
            }
        }

        boolean done() {
            TcpState st = conn.state();
            return (st == TcpState.CLOSED || st == TcpState.TIME_WAIT) && conn.readable() == 0;
        }
    }

    TcpLink(TcpConfig cfg, Path path, byte[] clientData, byte[] serverData) {
        this(cfg, path, clientData, serverData, 1_000_000_000L);
    }

    /** As above, starting the clock at {@code startNanos} (which, through RFC 6528's M, moves the ISNs). */
    TcpLink(TcpConfig cfg, Path path, byte[] clientData, byte[] serverData, long startNanos) {
        this(cfg, path, clientData, serverData, startNanos, null);
    }

    /** As above, both connections borrowing their buffers from {@code pool} (as a shard's flows do), if given. */
    TcpLink(TcpConfig cfg, Path path, byte[] clientData, byte[] serverData, long startNanos, ChunkPool pool) {
        this.now = startNanos;
        this.path = path;
        this.random = new Random(path.seed());
        IsnGenerator isn = new IsnGenerator(path.seed(), 7, 8, 9);
        client = pool == null ? new TcpConnection(cfg, isn, counters) : new TcpConnection(cfg, isn, counters, pool);
        server = pool == null ? new TcpConnection(cfg, isn, counters) : new TcpConnection(cfg, isn, counters, pool);
        client.open(CLIENT, 40000, SERVER, 80);
        server.open(SERVER, 80, CLIENT, 40000);
        clientSide = new Side(client, false, clientData);
        serverSide = new Side(server, true, serverData);
        client.connect(now);
    }

    private void transmit(byte[] p, boolean toServer) {
        if (random.nextInt(100) < path.lossPct()) {
            return;
        }
        int copies = random.nextInt(100) < path.dupPct() ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            long delay = 1_000_000L + (random.nextInt(100) < path.reorderPct() ? random.nextInt(5_000_000) : 0);
            wire.add(new InFlight(now + delay, order++, p, toServer));
        }
    }

    private void checkWindow(TcpConnection conn, byte[] p) {
        CapturingSink.Out o = CapturingSink.decode(p);
        int advertised = o.has(io.torgate.wire.Tcp.SYN) ? o.window() : o.window() << conn.rcv.shift;
        assertTrue(advertised <= conn.rcv.window(), "advertised " + advertised + " > free " + conn.rcv.window());
        windowChecks++;
    }

    /** Runs until both sides are closed (or in TIME-WAIT) with everything read; false if it did not finish. */
    boolean run(int maxSteps) {
        for (int step = 0; step < maxSteps; step++) {
            clientSide.app();
            serverSide.app();
            client.poll(now, clientSide);
            server.poll(now, serverSide);
            if (clientSide.done() && serverSide.done() && wire.isEmpty()) {
                return true;
            }
            long next = Math.min(Math.min(client.nextDeadline(), server.nextDeadline()),
                    wire.isEmpty() ? Long.MAX_VALUE : wire.peek().at());
            if (next != Long.MAX_VALUE) {
                now = Math.max(now, next); // otherwise only a slow reader is left: step again without time
            }
            deliverDue();
        }
        return false;
    }

    private void deliverDue() {
        List<InFlight> due = new ArrayList<>();
        while (!wire.isEmpty() && wire.peek().at() <= now) {
            due.add(wire.poll());
        }
        for (InFlight f : due) {
            ByteBuffer b = ByteBuffer.wrap(f.packet());
            Ipv4 ip = new Ipv4().wrap(b, 0, b.limit());
            assertEquals(WireError.OK, ip.checkLength());
            int code = segment.parse(b, ip.payloadOffset(), ip.payloadLength(), ip.sourceAddress(),
                    ip.destinationAddress(), counters);
            assertEquals(WireError.OK, code);
            (f.toServer() ? server : client).onSegment(segment, now);
        }
    }

    byte[] receivedByServer() {
        return serverSide.received.toByteArray();
    }

    byte[] receivedByClient() {
        return clientSide.received.toByteArray();
    }
}
