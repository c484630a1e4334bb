package io.torgate.gateway.pipeline;

import com.lmax.disruptor.RingBuffer;
import io.torgate.gateway.capture.CaptureTap;
import io.torgate.tun.PacketBatch;
import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One turn of a run-to-completion worker ({@code [pipeline] tun_reader = "worker"}) over an in-memory TUN: the
 * production {@link ShardWorker#doWork()} reads a batch of {@value CapturePathBenchmark#BATCH} packets from its own
 * queue ({@link TunReader#moveBatch()}: read, classify, publish), drains the ring into its handler (a no-op here),
 * polls its selector ({@code selectNow}), runs the timers and flushes. One operation is one packet. The check is
 * the allocation: {@code -prof gc} must show ~0 B/op, i.e. nothing per packet or per turn.
 *
 * <p>The TUN is {@link CapturePathBenchmark.SlotTun} (slots pre-filled: 15 TCP ACKs for the worker, 1 UDP/123
 * dropped) whose {@code wakeSelector} accepts without an fd: the epoll registration happens once at set-up, never
 * per packet. Run: {@code bash bench/run.sh RunToCompletionBenchmark -prof gc}; results in bench/results/rig.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class RunToCompletionBenchmark {
    private static final int BATCH = CapturePathBenchmark.BATCH;

    private ShardWorker worker;

    /** The in-memory TUN, able to "join" a selector (there is no fd: nothing ever wakes it, nothing needs to). */
    static final class SelectableSlotTun extends CapturePathBenchmark.SlotTun {
        @Override
        public boolean wakeSelector(Selector s) {
            return true;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        SelectableSlotTun tun = new SelectableSlotTun();
        PacketBatch rx = CapturePathBenchmark.filledSlots();
        RingBuffer<PacketEvent> ring = CapturePathBenchmark.ring();
        TxQueue tx = new TxQueue(tun, BATCH, CapturePathBenchmark.SLOT, CaptureTap.NONE);
        worker = CapturePathBenchmark.worker(ring, rx, tx);
        TunReader reader = new TunReader(tun, ring, rx, CapturePathBenchmark.classifier(), new ShardWorker[] {worker},
            BATCH, CaptureTap.NONE);
        if (!worker.adoptQueue(reader, tun)) {
            throw new IllegalStateException("the worker did not adopt its queue");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        worker.stop();
    }

    /** One worker turn: read a batch from its own TUN queue, handle it, poll sockets, timers, flush. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int turn() {
        return worker.doWork();
    }
}
