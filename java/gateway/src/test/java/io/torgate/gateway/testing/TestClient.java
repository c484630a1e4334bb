package io.torgate.gateway.testing;

import io.torgate.stack.IsnGenerator;
import io.torgate.stack.SegmentSink;
import io.torgate.stack.TcpConfig;
import io.torgate.stack.TcpConnection;
import io.torgate.stack.TcpCounters;
import io.torgate.stack.TcpSegment;
import io.torgate.wire.Ipv4;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A client VM's TCP endpoint for unit tests, built from our own stack (active open): its packets go into a
 * {@link FakeTun} as if sent by the client, and what the gateway writes back is fed to it. Test thread only.
 */
public final class TestClient {
    public final TcpConnection conn;
    private final FakeTun tun;
    private final TcpSegment segment = new TcpSegment();
    private final TcpCounters counters = new TcpCounters();
    private final ByteBuffer out = ByteBuffer.allocate(70_000);
    private final Ipv4 ip = new Ipv4();
    /** The window field of the last segment the gateway sent (raw 16 bits; -1 before any). */
    public int lastWindowField = -1;
    /** Segments from the gateway advertising a zero window. */
    public int zeroWindowSegments;
    private final SegmentSink sink = new SegmentSink() {
        @Override
        public ByteBuffer claim(int maxLength) {
            return out.clear().position(0);
        }

        @Override
        public void commit(int length) {
            if (length > 0) {
                tun.inject(Arrays.copyOf(out.array(), length));
            }
        }
    };

    public TestClient(FakeTun tun, String src, int srcPort, String dst, int dstPort, int bufferBytes) {
        this(tun, src, srcPort, dst, dstPort, bufferBytes, java.util.function.UnaryOperator.identity());
    }

    /** With the client stack's configuration adjusted by {@code tune} (e.g. its retransmission timeouts). */
    public TestClient(FakeTun tun, String src, int srcPort, String dst, int dstPort, int bufferBytes,
                      java.util.function.UnaryOperator<TcpConfig> tune) {
        this.tun = tun;
        TcpConfig cfg = tune.apply(new TcpConfig().mtu(tun.mtu()).receiveBuffer(bufferBytes).sendBuffer(bufferBytes));
        conn = new TcpConnection(cfg, new IsnGenerator(), counters);
        conn.open(Packets.ip(src), srcPort, Packets.ip(dst), dstPort);
        conn.connect(System.nanoTime());
        conn.poll(System.nanoTime(), sink);
    }

    /** Feeds every packet the gateway wrote (waiting up to {@code waitMillis} for the first) and polls. */
    public int step(long waitMillis) throws InterruptedException {
        int n = 0;
        byte[] p = tun.nextWritten(waitMillis);
        while (p != null) {
            n += feed(p);
            p = tun.nextWritten(0);
        }
        conn.poll(System.nanoTime(), sink);
        return n;
    }

    /**
     * Hands one packet the gateway wrote to this client's connection and polls (for tests that take the TUN's
     * output themselves and share it among several clients).
     *
     * @return 1 when it was a TCP segment the connection took, else 0
     */
    public int feed(byte[] p) {
        int n = 0;
        ByteBuffer b = ByteBuffer.wrap(p);
        if (ip.wrap(b, 0, p.length).checkLength() == WireError.OK && ip.protocol() == Ipv4.PROTO_TCP
            && segment.parse(b, ip.payloadOffset(), ip.payloadLength(), ip.sourceAddress(),
            ip.destinationAddress(), counters) == WireError.OK) {
            lastWindowField = segment.window();
            if (lastWindowField == 0) {
                zeroWindowSegments++;
            }
            conn.onSegment(segment, System.nanoTime());
            n++;
        }
        conn.poll(System.nanoTime(), sink);
        return n;
    }

    /** Polls the connection (timers, pending output) without reading the TUN. */
    public void poll() {
        conn.poll(System.nanoTime(), sink);
    }

    /** Steps until {@code condition} holds or {@code timeoutMillis} pass; returns whether it holds. */
    public boolean stepUntil(java.util.function.BooleanSupplier condition, long timeoutMillis)
        throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            step(5);
        }
        return condition.getAsBoolean();
    }

    /** The client stack's counters (e.g. persist probes it sent). */
    public TcpCounters counters() {
        return counters;
    }

    public boolean has(int event) {
        return (conn.events() & event) != 0;
    }
}
