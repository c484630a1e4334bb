package io.torgate.bench.stack;

import io.torgate.stack.TcpConfig;
import io.torgate.stack.TcpCounters;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of a {@code TcpConnection} per segment in steady state, with timestamps, SACK and window scaling
 * negotiated (Linux's defaults):
 * <ul>
 *   <li>{@link #inOrderDataSegment}: the receive path of one 1448-byte in-order segment — checked parse
 *   (checksum over 1480 bytes, options), {@code onSegment}, the application reading it, {@code poll} (a delayed
 *   ACK goes out for every second segment);</li>
 *   <li>{@link #ackAndSendSegment}: the send path — the application writes 1448 bytes, {@code poll} emits them as
 *   one segment (copy from the send buffer, IPv4+TCP headers, checksum), then the peer's ACK for it is parsed and
 *   processed (send buffer freed, congestion window, retransmission timer);</li>
 *   <li>{@link #sendSuperSegmentAndAck}: the same with a TSO sink (issue 8's offload path) for 62,712 bytes
 *   (43 segments of 1448), which leave as ONE super-segment with only the pseudo-header checksum.</li>
 * </ul>
 * Run with {@code -prof gc}: both allocate nothing per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ConnectionBenchmark {
    private static final int PAYLOAD = 1448; // MSS 1460 − 12 bytes of timestamp option
    private static final long STEP_NANOS = 10_000L;
    private static final int SUPER_PAYLOAD = 43 * PAYLOAD;

    private ConnectionFixture receiver;
    private ConnectionFixture sender;
    private ConnectionFixture offloadSender;
    private final ByteBuffer superWrite = ByteBuffer.allocateDirect(SUPER_PAYLOAD);
    private final ByteBuffer appRead = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer appWrite = ByteBuffer.allocateDirect(PAYLOAD);
    private int rxSeq;

    @Setup
    public void setUp() {
        TcpOptions ts = new TcpOptions();
        receiver = new ConnectionFixture(new TcpConfig());
        ts.timestamp(ConnectionFixture.TS_VAL, 0);
        rxSeq = ConnectionFixture.PEER_ISS + 1;
        receiver.build(rxSeq, receiver.iss + 1, Tcp.ACK | Tcp.PSH, 4096, ts, PAYLOAD);
        sender = new ConnectionFixture(new TcpConfig());
        sender.build(ConnectionFixture.PEER_ISS + 1, sender.iss + 1, Tcp.ACK, 4096, ts, 0);
        offloadSender = new ConnectionFixture(new TcpConfig().sendBuffer(1 << 20), 65535);
        offloadSender.build(ConnectionFixture.PEER_ISS + 1, offloadSender.iss + 1, Tcp.ACK, 4096, ts, 0);
    }

    /** The run only counts if every segment took the intended path (no drops, challenges or retransmits). */
    @TearDown
    public void check() {
        for (ConnectionFixture f : new ConnectionFixture[] {receiver, sender, offloadSender}) {
            for (int reason : new int[] {TcpCounters.OUT_OF_WINDOW, TcpCounters.BAD_ACK, TcpCounters.CHALLENGE_ACKS,
                TcpCounters.RETRANSMITS, TcpCounters.PAWS_REJECTED, TcpCounters.SINK_FULL}) {
                if (f.counters.get(reason) != 0) {
                    throw new IllegalStateException(TcpCounters.name(reason) + " = " + f.counters.get(reason));
                }
            }
        }
        long in = receiver.counters.get(TcpCounters.SEGMENTS_IN);
        long acks = receiver.counters.get(TcpCounters.SEGMENTS_OUT);
        if (in > 10 && (acks < in / 3 || acks > in / 2 + 2)) {
            throw new IllegalStateException("expected an ACK per second segment: in " + in + " out " + acks);
        }
        long sent = sender.counters.get(TcpCounters.SEGMENTS_OUT);
        long acked = sender.counters.get(TcpCounters.SEGMENTS_IN);
        if (acked > 10 && sent < acked - 2) {
            throw new IllegalStateException("sender fell behind: sent " + sent + " acks " + acked);
        }
    }

    @Benchmark
    public int inOrderDataSegment() {
        ConnectionFixture f = receiver;
        f.setSeq(rxSeq);
        rxSeq += PAYLOAD;
        f.deliver();
        f.conn.read(appRead.clear());
        f.now += STEP_NANOS;
        f.conn.poll(f.now, f);
        return f.lastOut;
    }

    @Benchmark
    public int ackAndSendSegment() {
        return sendAndAck(sender, appWrite);
    }

    /** Checked in {@link #check()}: no drops or retransmits; and the packets were super-segments (below). */
    @Benchmark
    public int sendSuperSegmentAndAck() {
        int out = sendAndAck(offloadSender, superWrite);
        if (out < 40_000 && offloadSender.counters.get(TcpCounters.SEGMENTS_OUT) > 100) {
            throw new IllegalStateException("not a super-segment: " + out + " bytes");
        }
        return out;
    }

    private static int sendAndAck(ConnectionFixture f, ByteBuffer data) {
        f.conn.write(data.clear());
        f.now += STEP_NANOS;
        f.conn.poll(f.now, f);
        f.setAck(f.conn.sndNxt());
        f.deliver();
        return f.lastOut;
    }
}
