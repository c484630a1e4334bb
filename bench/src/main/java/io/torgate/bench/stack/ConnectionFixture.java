package io.torgate.bench.stack;

import io.torgate.stack.IsnGenerator;
import io.torgate.stack.SegmentSink;
import io.torgate.stack.TcpConfig;
import io.torgate.stack.TcpConnection;
import io.torgate.stack.TcpCounters;
import io.torgate.stack.TcpSegment;
import io.torgate.stack.TcpState;
import io.torgate.wire.Checksum;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/**
 * An ESTABLISHED {@link TcpConnection} (timestamps, SACK and window scaling negotiated) plus one reusable inbound
 * segment whose sequence and acknowledgment numbers can be rewritten in place, checksum patched incrementally
 * (RFC 1624), so a benchmark loop allocates nothing of its own. Packets the connection emits go to a sink that
 * keeps the last one (a TX batch slot that is never flushed).
 */
final class ConnectionFixture implements SegmentSink {
    static final int LOCAL = 0x5DB8_D822;
    static final int REMOTE = 0x0A89_0005;
    static final int PEER_ISS = 1000;
    static final int TS_VAL = 12345;

    final TcpCounters counters = new TcpCounters();
    final TcpConnection conn;
    final TcpSegment segment = new TcpSegment();
    private final ByteBuffer tx;
    /** 0, or the TSO super-segment limit this sink offers (a TUN with segmentation offload). */
    private final int offloadLimit;
    private final ByteBuffer in = ByteBuffer.allocateDirect(2048);
    private final Tcp tcp = new Tcp();
    private int inLength;
    int lastOut;
    int iss;
    long now = 1_000_000_000_000L;

    ConnectionFixture(TcpConfig cfg) {
        this(cfg, 0);
    }

    /** With {@code offloadLimit} > 0 the sink takes super-segments of up to that many bytes, as a TSO TUN does. */
    ConnectionFixture(TcpConfig cfg, int offloadLimit) {
        this.offloadLimit = offloadLimit;
        this.tx = ByteBuffer.allocateDirect(Math.max(2048, offloadLimit));
        conn = new TcpConnection(cfg, new IsnGenerator(1, 2, 3, 4), counters);
        conn.open(LOCAL, 80, REMOTE, 40000);
        TcpOptions o = new TcpOptions();
        o.mss = 1460;
        o.windowScale = 7;
        o.sackPermitted = true;
        o.timestamp(TS_VAL, 0);
        build(PEER_ISS, 0, Tcp.SYN, 64240, o, 0);
        deliver();
        conn.accept(now);
        conn.poll(now, this);
        iss = tx.getInt(20 + 4);
        o.clear().timestamp(TS_VAL, 0);
        build(PEER_ISS + 1, iss + 1, Tcp.ACK, 4096, o, 0);
        deliver();
        if (conn.state() != TcpState.ESTABLISHED) {
            throw new IllegalStateException("handshake failed: " + conn.state());
        }
    }

    /** Builds the reusable inbound segment: header with options, {@code payload} bytes of zeros, checksum. */
    void build(int seq, int ack, int flags, int window, TcpOptions o, int payload) {
        tcp.wrap(in, 0, in.capacity());
        int hl = tcp.writeHeader(40000, 80, seq, ack, flags, window, o, payload);
        for (int i = 0; i < payload; i++) {
            in.put(hl + i, (byte) i);
        }
        inLength = hl + payload;
        tcp.wrap(in, 0, inLength).fillChecksum(REMOTE, LOCAL);
    }

    /** Rewrites SEG.SEQ, patching the checksum (RFC 1624) instead of summing the whole segment again. */
    void setSeq(int seq) {
        int old = in.getInt(4);
        in.putInt(4, seq);
        in.putShort(16, (short) Checksum.update32(in.getShort(16) & 0xFFFF, old, seq));
    }

    /** Rewrites SEG.ACK, patching the checksum. */
    void setAck(int ack) {
        int old = in.getInt(8);
        in.putInt(8, ack);
        in.putShort(16, (short) Checksum.update32(in.getShort(16) & 0xFFFF, old, ack));
    }

    /** Parses (length, checksum, options) and hands the segment to the connection, as the worker does. */
    void deliver() {
        if (segment.parse(in, 0, inLength, REMOTE, LOCAL, counters) != WireError.OK) {
            throw new IllegalStateException("benchmark segment does not parse");
        }
        conn.onSegment(segment, now);
    }

    @Override
    public ByteBuffer claim(int maxLength) {
        return tx.clear();
    }

    @Override
    public void commit(int length) {
        lastOut = length;
    }

    @Override
    public int offloadLimit() {
        return offloadLimit;
    }

    @Override
    public void commitOffloaded(int length, int transportOffset, int headerLength, int segmentPayload) {
        lastOut = length;
    }

    /** Sequence number of the last packet emitted. */
    int lastOutSeq() {
        return tx.getInt(Ipv4.MIN_HEADER_LENGTH + 4);
    }
}
