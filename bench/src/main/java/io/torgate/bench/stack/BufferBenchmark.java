package io.torgate.bench.stack;

import io.torgate.stack.ReceiveBuffer;
import io.torgate.stack.SendBuffer;
import java.nio.ByteBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * Per-segment cost of the connection buffers with MSS-sized (1460 B) segments from a direct packet buffer, as the
 * TUN path delivers them: in-order offer + read, out-of-order arrival (three segments after a hole, then the hole,
 * then a read of all four), and on the send side write + copy for transmission + cumulative ACK. The sequence
 * numbers run on freely, so they cross 2^32 during the run.
 */
public class BufferBenchmark extends StackBenchmarkDefaults {
    private static final int MSS = 1460;

    private final ReceiveBuffer receive = new ReceiveBuffer(256 * 1024);
    private final SendBuffer send = new SendBuffer(256 * 1024);
    private final ByteBuffer packet = ByteBuffer.allocateDirect(2048);
    private final ByteBuffer app = ByteBuffer.allocate(4 * MSS);
    private final int[] left = new int[4];
    private final int[] right = new int[4];

    @Setup
    public void setUp() {
        receive.reset(-1_000_000);
        send.reset(-1_000_000);
        for (int i = 0; i < packet.capacity(); i++) {
            packet.put(i, (byte) i);
        }
    }

    @Benchmark
    public int receiveInOrder() {
        int advanced = receive.offer(receive.rcvNxt(), packet, 40, MSS);
        app.clear();
        return advanced + receive.read(app);
    }

    @Benchmark
    public int receiveOutOfOrder() {
        int base = receive.rcvNxt();
        receive.offer(base + MSS, packet, 40, MSS);
        receive.offer(base + 3 * MSS, packet, 40, MSS);
        receive.offer(base + 2 * MSS, packet, 40, MSS);
        int blocks = receive.sackBlocks(left, right, 4);
        int advanced = receive.offer(base, packet, 40, MSS);
        app.clear();
        return blocks + advanced + receive.read(app);
    }

    @Benchmark
    public int sendWriteCopyAck() {
        app.clear().limit(MSS);
        int seq = send.sndUna() + send.length();
        send.write(app);
        int copied = send.copy(seq, packet, 40, MSS);
        return copied + send.acknowledge(seq + MSS);
    }
}
