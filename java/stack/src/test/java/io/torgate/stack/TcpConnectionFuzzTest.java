package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.torgate.wire.Tcp;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/**
 * Fuzz target: a {@link TcpConnection} fed arbitrary segments (raw option bytes, any flags, sequence and ACK
 * numbers near or far from the connection's own), interleaved with clock jumps and application calls. Whatever
 * happens: no exception, every emitted packet is well formed, the advertised window fits the free buffer, and
 * {@code poll} terminates. Seeds under {@code TcpConnectionFuzzTestInputs/feedSegments} replay in every test run.
 */
class TcpConnectionFuzzTest {
    private static final int LOCAL = 0x5DB8_D822;
    private static final int REMOTE = 0x0A89_0005;

    /** Counts and checks what the connection emits; refuses to run forever. */
    private static final class CheckingSink implements SegmentSink {
        private final ByteBuffer buf = ByteBuffer.allocate(2048);
        TcpConnection conn;
        int packets;

        @Override
        public ByteBuffer claim(int maxLength) {
            assertTrue(maxLength <= 1500);
            return buf.clear();
        }

        @Override
        public void commit(int length) {
            byte[] p = new byte[length];
            buf.get(0, p);
            CapturingSink.Out o = CapturingSink.decode(p);
            if (!o.has(Tcp.SYN) && !o.has(Tcp.RST)) {
                assertTrue((o.window() << conn.rcv.shift) <= conn.rcv.window(), "window beyond free buffer");
            }
            assertTrue(++packets < 100_000, "poll does not terminate");
        }
    }

    @FuzzTest(maxDuration = "60s")
    void feedSegments(FuzzedDataProvider data) {
        boolean options = data.consumeBoolean();
        TcpConfig cfg = new TcpConfig().mtu(576).receiveBuffer(data.consumeInt(1, 70_000))
                .sendBuffer(data.consumeInt(1, 70_000)).sack(options).timestamps(options).windowScaling(options)
                .keepalive(1_000_000_000L, 1_000_000_000L, 2);
        TcpCounters counters = new TcpCounters();
        TcpConnection conn = new TcpConnection(cfg, new IsnGenerator(1, 2, 3, 4), counters);
        conn.open(LOCAL, 80, REMOTE, 40000);
        CheckingSink sink = new CheckingSink();
        sink.conn = conn;
        TcpSegment seg = new TcpSegment();
        ByteBuffer in = ByteBuffer.allocate(1600);
        long now = 1_000_000_000L;
        if (data.consumeBoolean()) {
            conn.connect(now);
        }
        for (int step = 0; step < 200 && data.remainingBytes() > 0; step++) {
            switch (data.consumeInt(0, 7)) {
                case 0, 1, 2 -> {
                    int len = buildSegment(data, conn, in);
                    if (seg.parse(in, 0, len, REMOTE, LOCAL, counters) == WireError.OK) {
                        conn.onSegment(seg, now);
                    }
                }
                case 3 -> now += data.consumeLong(0, 120_000_000_000L);
                case 4 -> conn.accept(now);
                case 5 -> conn.write(ByteBuffer.allocate(data.consumeInt(0, 5000)));
                case 6 -> conn.read(ByteBuffer.allocate(data.consumeInt(0, 5000)));
                default -> {
                    switch (data.consumeInt(0, 3)) {
                        case 0 -> conn.shutdownOutput();
                        case 1 -> conn.close(now);
                        case 2 -> conn.abort();
                        default -> conn.refuse();
                    }
                }
            }
            conn.poll(now, sink);
            assertTrue(conn.nextDeadline() == Long.MAX_VALUE || conn.nextDeadline() > now - 1);
        }
    }

    /** A segment to us with fuzzed fields; sequence and ACK are often near the connection's own numbers. */
    private static int buildSegment(FuzzedDataProvider data, TcpConnection conn, ByteBuffer in) {
        int seq = data.consumeBoolean() ? conn.rcvNxt() + data.consumeInt(-70_000, 70_000) : data.consumeInt();
        int ack = data.consumeBoolean() ? conn.sndNxt() + data.consumeInt(-70_000, 70_000) : data.consumeInt();
        int flags = data.consumeInt(0, 255);
        int window = data.consumeInt(0, 0xFFFF);
        byte[] opts = data.consumeBytes(data.consumeInt(0, 10) * 4);
        int payload = data.consumeInt(0, 1400);
        Tcp tcp = new Tcp().wrap(in, 0, in.capacity());
        int hl = tcp.writeHeader(40000, 80, seq, ack, flags, window, null, 0);
        in.put(Tcp.HEADER_LENGTH, opts);
        hl += opts.length;
        tcp.headerLength(hl);
        tcp.wrap(in, 0, hl + payload);
        if (data.consumeBoolean()) {
            tcp.fillChecksum(REMOTE, LOCAL); // mostly valid, so the state machine is reached
        }
        return hl + payload;
    }
}
