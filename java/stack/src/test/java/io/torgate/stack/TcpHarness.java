package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/**
 * Drives one {@link TcpConnection} at packet level with a fake clock: the test plays the remote peer (a client
 * at 10.137.0.5:40000 talking to 93.184.216.34:80 through the gateway), sends {@link Seg}s and expects the
 * connection's output declaratively.
 */
final class TcpHarness {
    static final int LOCAL = 0x5DB8_D822;
    static final int REMOTE = 0x0A89_0005;
    static final int LOCAL_PORT = 80;
    static final int REMOTE_PORT = 40000;
    /** The peer's ISN: its SYN has seq 1000, so its data starts at 1001. */
    static final int PEER_ISS = 1000;

    final TcpConfig cfg;
    final TcpCounters counters = new TcpCounters();
    final TcpConnection conn;
    final CapturingSink sink = new CapturingSink();
    private final TcpSegment parsed = new TcpSegment();
    private final ByteBuffer in = ByteBuffer.allocate(2048);
    long now = 1_000_000_000_000L;
    /** Our ISS, learned from the SYN-ACK (or SYN). */
    int iss;
    /** The peer's next sequence number (what it sends next). */
    int peerNxt = PEER_ISS + 1;

    TcpHarness(TcpConfig cfg) {
        this.cfg = cfg;
        this.conn = new TcpConnection(cfg, new IsnGenerator(1, 2, 3, 4), counters);
        conn.open(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT);
    }

    /** Small buffers, no timestamps (so expectations stay short); SACK and window scaling on. */
    static TcpConfig defaults() {
        return new TcpConfig().receiveBuffer(8192).sendBuffer(8192).timestamps(false);
    }

    void advance(long nanos) {
        now += nanos;
    }

    void advanceMillis(long ms) {
        advance(ms * 1_000_000L);
    }

    /** Builds the peer's segment, parses it through the checked path and hands it to the connection. */
    TcpHarness send(Seg s) {
        int code = build(s);
        assertEquals(WireError.OK, code, "test segment must parse");
        conn.onSegment(parsed, now);
        return this;
    }

    /** Encodes {@code s} (from the peer) into {@link #in} and parses it into {@link #parsed}. */
    int build(Seg s) {
        TcpOptions o = new TcpOptions();
        if (s.mss != null) {
            o.mss = s.mss;
        }
        if (s.windowScale != null) {
            o.windowScale = s.windowScale;
        }
        o.sackPermitted = Boolean.TRUE.equals(s.sackPermitted);
        if (s.tsVal != null) {
            o.timestamp(s.tsVal, s.tsEcr);
        }
        for (int[] b : s.sacks) {
            o.addSack(b[0], b[1]);
        }
        int flags = s.flags == null ? Tcp.ACK : s.flags;
        int seq = s.seq == null ? peerNxt : s.seq;
        int ack = s.ack == null ? 0 : s.ack;
        int window = s.window == null ? 65535 : s.window;
        byte[] payload = s.payload != null ? s.payload : new byte[s.payloadLength == null ? 0 : s.payloadLength];
        Tcp tcp = new Tcp().wrap(in, 0, in.capacity());
        int hl = tcp.writeHeader(REMOTE_PORT, LOCAL_PORT, seq, ack, flags, window, o, payload.length);
        in.put(hl, payload);
        tcp.wrap(in, 0, hl + payload.length).fillChecksum(REMOTE, LOCAL);
        return parsed.parse(in, 0, hl + payload.length, REMOTE, LOCAL, counters);
    }

    void poll() {
        conn.poll(now, sink);
    }

    /** Polls, then takes the next emitted segment and checks it against {@code want}. */
    CapturingSink.Out expect(Seg want) {
        if (sink.packets.isEmpty()) {
            poll();
        }
        CapturingSink.Out got = sink.packets.poll();
        assertNotNull(got, "expected a segment, none was sent");
        assertEquals(REMOTE, got.dst());
        assertEquals(LOCAL, got.src());
        assertEquals(REMOTE_PORT, got.dstPort());
        assertEquals(LOCAL_PORT, got.srcPort());
        String why = want.mismatch(got);
        if (why != null) {
            fail("unexpected segment " + got + ":" + why);
        }
        return got;
    }

    /** Polls and asserts that nothing was emitted. */
    void expectNothing() {
        poll();
        CapturingSink.Out got = sink.packets.poll();
        assertNull(got, () -> "expected silence, got " + got);
    }

    void expectState(TcpState st) {
        assertEquals(st, conn.state());
    }

    boolean event(int ev) {
        return (conn.events() & ev) != 0;
    }

    // ---- fixtures: each returns with nothing left unread in the sink ----

    /** LISTEN holding the peer's SYN (MSS 1460, SACK-permitted, window scale 7). */
    TcpHarness synHeld() {
        send(Seg.segment().syn().seq(PEER_ISS).mss(1460).sackPermitted().windowScale(7).window(64240));
        assertTrue(event(TcpConnection.EV_SYN));
        expectNothing();
        return this;
    }

    TcpHarness synReceived() {
        synHeld();
        conn.accept(now);
        CapturingSink.Out synAck = expect(Seg.segment().synAck().ack(PEER_ISS + 1));
        iss = synAck.seq();
        expectState(TcpState.SYN_RECEIVED);
        return this;
    }

    /** ESTABLISHED; the peer's window is 512 × 2^7 = 65536 bytes. */
    TcpHarness established() {
        synReceived();
        send(Seg.segment().ack(iss + 1).window(512));
        expectState(TcpState.ESTABLISHED);
        expectNothing();
        return this;
    }

    /** Our data starts here. */
    int sndData() {
        return iss + 1;
    }

    /** The peer sends {@code n} bytes of 'x' in order. */
    TcpHarness peerData(int n) {
        byte[] data = new byte[n];
        java.util.Arrays.fill(data, (byte) 'x');
        send(Seg.segment().seq(peerNxt).ack(conn.sndNxt()).window(512).payload(data));
        peerNxt += n;
        return this;
    }

    /** The application writes {@code n} bytes of 'a'..'z' and they are accepted in full. */
    TcpHarness appWrite(int n) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) ('a' + i % 26);
        }
        assertEquals(n, conn.write(ByteBuffer.wrap(data)));
        return this;
    }

    /** Sends a peer FIN at peerNxt acknowledging everything we sent. */
    TcpHarness peerFin() {
        send(Seg.segment().flags(Tcp.FIN | Tcp.ACK).seq(peerNxt).ack(conn.sndNxt()).window(512));
        peerNxt++;
        return this;
    }
}
