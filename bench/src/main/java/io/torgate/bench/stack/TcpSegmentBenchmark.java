package io.torgate.bench.stack;

import io.torgate.stack.TcpCounters;
import io.torgate.stack.TcpSegment;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import java.nio.ByteBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The stack's per-segment parse as the gateway worker runs it: {@code checked} verifies the TCP checksum again
 * (what RelayHandler did before), {@code checksumVerified} trusts the classifier's verification and runs only the
 * length, data offset and option checks. One segment with a timestamp option (as Linux sends) in a direct buffer at
 * a ring-slot offset; {@code payload} 0 is a pure ACK, 1448 a full data segment.
 */
public class TcpSegmentBenchmark extends StackBenchmarkDefaults {
    private static final int SRC = 0x0a890005;
    private static final int DST = 0x5db8d822;
    private static final int AT = 2048 + 20;

    @Param({"0", "1448"})
    public int payload;

    private final TcpSegment segment = new TcpSegment();
    private final TcpCounters counters = new TcpCounters();
    private ByteBuffer buf;
    private int length;

    @Setup
    public void setUp() {
        buf = ByteBuffer.allocateDirect(4096);
        Tcp tcp = new Tcp().wrap(buf, AT, buf.capacity() - AT);
        TcpOptions opts = new TcpOptions();
        opts.timestamp(123456, 654321);
        int hl = tcp.writeHeader(40000, 80, 1001, 2002, Tcp.ACK | Tcp.PSH, 65535, opts, payload);
        for (int i = 0; i < payload; i++) {
            buf.put(AT + hl + i, (byte) (i * 31));
        }
        tcp.fillChecksum(SRC, DST);
        length = hl + payload;
    }

    @Benchmark
    public int checked() {
        return segment.parse(buf, AT, length, SRC, DST, counters) + segment.window();
    }

    @Benchmark
    public int checksumVerified() {
        return segment.parseChecksumVerified(buf, AT, length, SRC, DST, counters) + segment.window();
    }
}
