package io.torgate.gateway.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import io.torgate.gateway.capture.CaptureTap;
import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * The packet path: one reader thread (TUN → ring, classify), N shard workers (ring + selector + timers → TUN).
 * Built and started once; {@link #close()} stops the reader, then each worker (which ends its flows and closes
 * its sockets), and joins them. Does not own the TUN: the caller closes it after this.
 *
 * <p>Thread-safety: {@link #start()} and {@link #close()} from one controlling thread; counters from any.
 */
public final class Pipeline implements AutoCloseable {
    private static final long JOIN_MILLIS = 5_000;
    /** Worst-case frames the packed receive bytes hold at least (see {@link #rxBytes}). */
    static final int RX_FRAMES = 64;
    /**
     * Worst-case frames per worker transmit batch: a flush every 8 super-segments (512 KiB) costs one write call
     * per 350 wire segments, and the memory stays at 0.5 MiB per worker.
     */
    static final int TX_FRAMES = 8;

    private final TunDevice tun;
    private final RingBuffer<PacketEvent> ring;
    private final PacketClassifier classifier;
    private final ShardWorker[] workers;
    private final TunReader reader;
    private final List<TxQueue> transmitters = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    /**
     * @param tun the open device
     * @param pipeline ring and worker settings
     * @param classifier the drop policy's classifier (used by the reader thread only)
     * @param handlers makes the handler of shard {@code i}
     */
    public Pipeline(TunDevice tun, GatewayConfig.Pipeline pipeline, PacketClassifier classifier,
                    IntFunction<ShardHandler> handlers) throws IOException {
        this(tun, pipeline, classifier, handlers, CaptureTap.NONE);
    }

    /**
     * As above, reporting packets read (received or dropped by the classifier), refused by a worker (dropped) and
     * written (sent) to {@code capture}: the gateway's {@code CaptureSwitch}.
     */
    public Pipeline(TunDevice tun, GatewayConfig.Pipeline pipeline, PacketClassifier classifier,
                    IntFunction<ShardHandler> handlers, CaptureTap capture) throws IOException {
        this.tun = tun;
        this.classifier = classifier;
        int slotSize = tun.mtu() + tun.vnetHeaderLength();
        boolean packed = tun.vnetHeaderLength() > 0;
        PacketBatch rx = packed ? PacketBatch.packed(pipeline.ringSize(), rxBytes(tun, pipeline.ringSize()))
            : new PacketBatch(pipeline.ringSize(), slotSize);
        int[] nextSlot = {0};
        // The wait strategy is never used: workers poll the cursor themselves and sleep in their selectors.
        this.ring = RingBuffer.createSingleProducer(() -> new PacketEvent(nextSlot[0]++), pipeline.ringSize(),
            new BlockingWaitStrategy());
        for (int i = 0; i < pipeline.ringSize(); i++) {
            if (ring.get(i).slot != i) {
                throw new IllegalStateException("ring events are not in slot order");
            }
        }
        this.workers = new ShardWorker[pipeline.workers()];
        for (int i = 0; i < workers.length; i++) {
            int txPackets = Math.max(16, pipeline.readBatch());
            TxQueue tx = packed ? TxQueue.packed(tun, txPackets, TX_FRAMES * tun.maxFrame(), capture)
                : new TxQueue(tun, txPackets, slotSize, capture);
            transmitters.add(tx);
            workers[i] = new ShardWorker(i, ring, rx.buffer(), handlers.apply(i), tx, pipeline.idle());
            ring.addGatingSequences(workers[i].sequence());
        }
        this.reader = new TunReader(tun, ring, rx, classifier, workers, pipeline.readBatch(), capture);
    }

    /**
     * Receive bytes of the packed (offload) ring: as many as the plain ring's fixed slots would take, and at least
     * {@link #RX_FRAMES} worst-case frames. With TSO a frame is up to 64 KiB, and fixed slots of that size would
     * cost ring size x 64 KiB (64 MiB for the default 1,024 events) in a VM of 256-400 MiB; packed, 40-byte ACKs
     * take 64 bytes and the same 1,024 events fit in 4 MiB. 64 frames are 32 flows' worth of two super-segments
     * in flight (a 128 KiB window holds two), and the reader only parks when the workers hold all of them.
     */
    static int rxBytes(TunDevice tun, int ringSize) {
        return Math.max(ringSize * (tun.mtu() + tun.vnetHeaderLength()), RX_FRAMES * tun.maxFrame());
    }

    /** Starts the worker threads, then the reader. */
    public void start() {
        for (int i = 0; i < workers.length; i++) {
            threads.add(Thread.ofPlatform().name("torgate-shard-" + i).start(workers[i]));
        }
        threads.add(Thread.ofPlatform().name("torgate-tun-reader").start(reader));
    }

    /**
     * True while the reader and every worker thread run: a thread that died (a bug escaping its error handler)
     * means packets are no longer moved, so the systemd watchdog must stop being fed. Any thread.
     */
    public boolean healthy() {
        if (threads.isEmpty()) {
            return false;
        }
        for (Thread t : threads) {
            if (!t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** Total drops for a reason over the classifier and every worker. */
    public long drops(DropReason reason) {
        return DropCounters.sum(allCounters(), reason);
    }

    /** Every counter set: the classifier's, then each worker's. */
    public List<DropCounters> allCounters() {
        List<DropCounters> all = new ArrayList<>();
        all.add(classifier.counters());
        for (ShardWorker w : workers) {
            all.add(w.counters());
        }
        return all;
    }

    /** Packets moved from the TUN into the ring. */
    public long packetsIn() {
        return reader.packets();
    }

    /** TCP super-segments received from the TUN (0 without offload). Any thread; approximate. */
    public long superSegmentsIn() {
        return classifier.superSegments();
    }

    /** TCP super-segments written to the TUN for the kernel to cut (0 without offload). Any thread; approximate. */
    public long superSegmentsOut() {
        long n = 0;
        for (TxQueue tx : transmitters) {
            n += tx.superSegments();
        }
        return n;
    }

    /** True when the TUN carries virtio-net headers with segmentation offload. */
    public boolean offload() {
        return tun.segmentationOffload();
    }

    /** Events in the ring not yet consumed by the slowest worker. */
    public long ringOccupancy() {
        return ring.getCursor() - ring.getMinimumGatingSequence();
    }

    /**
     * Runs {@code task} on every shard's own thread (see {@link ShardWorker#submit}); the future completes with
     * the results in shard order once all have run, or fails with the first failure. Any thread.
     */
    public <T> CompletableFuture<List<T>> onEachShard(ShardTask<T> task) {
        List<CompletableFuture<T>> parts = new ArrayList<>(workers.length);
        for (ShardWorker w : workers) {
            parts.add(w.submit(task));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<T> results = new ArrayList<>(parts.size());
            for (CompletableFuture<T> p : parts) {
                results.add(p.join());
            }
            return results;
        });
    }

    /** Number of workers. */
    public int workers() {
        return workers.length;
    }

    /**
     * Stops the reader, then the workers (each ends its flows: RST/FIN, sockets closed), and waits for them.
     * Idempotent. The TUN stays open (the caller closes it afterwards) so final RSTs can still be written.
     */
    @Override
    public void close() {
        reader.stop();
        for (ShardWorker w : workers) {
            w.stop();
        }
        for (Thread t : threads) {
            try {
                t.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
