package io.torgate.gateway.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import io.torgate.gateway.capture.CaptureTap;
import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.config.TunReaderKind;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * The packet path: one reader thread (TUN → ring, classify), N shard workers (ring + selector + timers → TUN); or,
 * with {@code tun_reader = "worker"}, no reader thread: worker {@code q} runs queue {@code q}'s reader in its own
 * loop (see {@link ShardWorker}; a reader-thread death below is then that worker's).
 * With a multi-queue TUN ({@code [tun] queues} &gt; 1): one reader, ring and classifier per queue, every worker
 * draining every ring for its shard and writing on queue {@code worker % queues} (see {@link TunReader} for why
 * that keeps a flow on its worker's queue). Built and started once; {@link #close()} stops the readers, then each
 * worker (which ends its flows and closes its sockets), and joins them. Does not own the TUN: the caller closes it after this.
 *
 * <p>A pipeline thread that ends before {@link #close()} (the reader on a TUN read error, such as the device being
 * deleted; any thread on an error escaping its loop) is logged with its cause and completes {@link #failure()}:
 * packets are no longer moved, and {@code torgate run} exits non-zero so that a supervisor restarts it.
 *
 * <p>Thread-safety: {@link #start()} and {@link #close()} from one controlling thread; counters from any.
 */
public final class Pipeline implements AutoCloseable {
    private static final Logger LOG = System.getLogger(Pipeline.class.getName());
    private static final long JOIN_MILLIS = 5_000;
    /** Worst-case frames the packed receive bytes hold at least (see {@link #rxBytes}). */
    static final int RX_FRAMES = 64;
    /**
     * Worst-case frames per worker transmit batch: a flush every 8 super-segments (512 KiB) costs one write call
     * per 350 wire segments, and the memory stays at 0.5 MiB per worker.
     */
    static final int TX_FRAMES = 8;

    private final TunDevice tun;
    private final RingBuffer<PacketEvent>[] rings;
    /** One per reader: a classifier is confined to its reader's thread. */
    private final PacketClassifier[] classifiers;
    private final ShardWorker[] workers;
    private final TunReader[] readers;
    private final List<TxQueue> transmitters = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CompletableFuture<String> failure = new CompletableFuture<>();
    /** The workers read their TUN queues ({@link TunReaderKind#WORKER} took effect); no reader threads. */
    private final boolean workersRead;
    /** Set first thing in {@link #close()}: from then on a thread that ends is stopping, not failing. */
    private volatile boolean closing;

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
        this(List.of(tun), pipeline, classifier, handlers, capture);
    }

    /**
     * Over the queues of one TUN: {@code queues.get(q)} is read by reader {@code q} and written by the workers
     * {@code w} with {@code w % queues.size() == q}. All queues share the first one's MTU and offload state.
     *
     * @param classifier the classifier of reader 0; the other readers get {@linkplain PacketClassifier#copy copies}
     */
    @SuppressWarnings("unchecked")
    public Pipeline(List<TunDevice> queues, GatewayConfig.Pipeline pipeline, PacketClassifier classifier,
                    IntFunction<ShardHandler> handlers, CaptureTap capture) throws IOException {
        if (queues.isEmpty() || queues.size() > pipeline.workers()) {
            throw new IllegalArgumentException(queues.size() + " TUN queues for " + pipeline.workers() + " workers");
        }
        this.tun = queues.get(0);
        int q = queues.size();
        int slotSize = tun.mtu() + tun.vnetHeaderLength();
        boolean packed = tun.vnetHeaderLength() > 0;
        this.rings = new RingBuffer[q];
        this.classifiers = new PacketClassifier[q];
        PacketBatch[] rx = new PacketBatch[q];
        ByteBuffer[] slots = new ByteBuffer[q];
        for (int i = 0; i < q; i++) {
            rx[i] = packed ? PacketBatch.packed(pipeline.ringSize(), rxBytes(tun, pipeline.ringSize()))
                : new PacketBatch(pipeline.ringSize(), slotSize);
            slots[i] = rx[i].buffer();
            rings[i] = ring(pipeline.ringSize());
            classifiers[i] = i == 0 ? classifier : classifier.copy();
        }
        this.workers = new ShardWorker[pipeline.workers()];
        for (int i = 0; i < workers.length; i++) {
            TunDevice own = queues.get(i % q);
            int txPackets = Math.max(16, pipeline.readBatch());
            TxQueue tx = packed ? TxQueue.packed(own, txPackets, TX_FRAMES * own.maxFrame(), capture)
                : new TxQueue(own, txPackets, slotSize, capture);
            transmitters.add(tx);
            workers[i] = new ShardWorker(i, rings, slots, handlers.apply(i), tx, pipeline.idle());
            for (int r = 0; r < q; r++) {
                rings[r].addGatingSequences(workers[i].sequence(r));
            }
        }
        this.readers = new TunReader[q];
        for (int i = 0; i < q; i++) {
            readers[i] = new TunReader(queues.get(i), i, q, rings[i], rx[i], classifiers[i], workers,
                pipeline.readBatch(), capture);
        }
        this.workersRead = pipeline.tunReader() == TunReaderKind.WORKER && workersAdoptQueues(queues);
    }

    /**
     * {@code tun_reader = "worker"}: worker {@code i} reads queue {@code i}. False (reader threads) when the TUN
     * cannot wake a selector; that happens for the first queue already, so no worker has adopted one then.
     */
    private boolean workersAdoptQueues(List<TunDevice> queues) throws IOException {
        for (int i = 0; i < queues.size(); i++) {
            if (!workers[i].adoptQueue(readers[i], queues.get(i))) {
                if (i > 0) {
                    throw new IllegalStateException("TUN queue " + i + " cannot wake its worker, queue 0 could");
                }
                LOG.log(Level.WARNING, "tun_reader = \"worker\" needs the JNI TUN shim and the JDK's epoll selector"
                    + " (TUN " + tun.name() + (tun.isNative() ? ", native" : ", JNA fallback")
                    + "): reading the TUN with a reader thread instead");
                return false;
            }
        }
        return true;
    }

    /** True when the workers read their TUN queues themselves (run-to-completion), false with reader threads. */
    public boolean workersReadTun() {
        return workersRead;
    }

    /** A ring whose event {@code i} points at slot {@code i} of its reader's batch. */
    private static RingBuffer<PacketEvent> ring(int size) {
        int[] nextSlot = {0};
        // The wait strategy is never used: workers poll the cursor themselves and sleep in their selectors.
        RingBuffer<PacketEvent> ring = RingBuffer.createSingleProducer(() -> new PacketEvent(nextSlot[0]++), size,
            new BlockingWaitStrategy());
        for (int i = 0; i < size; i++) {
            if (ring.get(i).slot != i) {
                throw new IllegalStateException("ring events are not in slot order");
            }
        }
        return ring;
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

    /** Starts the worker threads, then the readers (unless the workers read the TUN themselves). */
    public void start() {
        for (int i = 0; i < workers.length; i++) {
            startWatched("torgate-shard-" + i, workers[i]);
        }
        for (int q = 0; q < readers.length && !workersRead; q++) {
            startWatched(readers.length == 1 ? "torgate-tun-reader" : "torgate-tun-reader-" + q, readers[q]);
        }
    }

    /**
     * Completes, once, with what ended the packet path (the thread's name and its cause) when a pipeline thread ends
     * before {@link #close()}; never completes otherwise. Any thread.
     */
    public CompletableFuture<String> failure() {
        return failure;
    }

    /** Starts thread {@code name} running {@code body}; its end is a {@link #failure()} unless the pipeline closes. */
    private void startWatched(String name, Runnable body) {
        threads.add(Thread.ofPlatform().name(name).start(() -> {
            Throwable cause = null;
            try {
                body.run();
            } catch (Throwable t) { // an Error too: the thread ends either way, and the cause must be reported
                cause = t;
            } finally {
                if (!closing) {
                    String what = name + (cause == null ? " ended" : " died: " + cause);
                    LOG.log(Level.ERROR, "packet path stopped: " + what, cause);
                    failure.complete(what);
                }
            }
        }));
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

    /** Every counter set: the classifiers' (one per queue), then each worker's. */
    public List<DropCounters> allCounters() {
        List<DropCounters> all = new ArrayList<>();
        for (PacketClassifier c : classifiers) {
            all.add(c.counters());
        }
        for (ShardWorker w : workers) {
            all.add(w.counters());
        }
        return all;
    }

    /** Packets moved from the TUN into the rings, over every queue. Any thread; approximate. */
    public long packetsIn() {
        long n = 0;
        for (TunReader r : readers) {
            n += r.packets();
        }
        return n;
    }

    /** TUN queues (1 without multi-queue). */
    public int queues() {
        return readers.length;
    }

    /** Packets moved from TUN queue {@code q} into its ring. Any thread; approximate. */
    public long packetsIn(int q) {
        return readers[q].packets();
    }

    /**
     * TCP packets that arrived on a queue other than the one their worker writes on (always 0 with one queue):
     * the kernel's flow steering missed them, and they reached their worker through another ring. Any thread;
     * approximate.
     */
    public long misqueued() {
        long n = 0;
        for (TunReader r : readers) {
            n += r.misqueued();
        }
        return n;
    }

    /** TCP super-segments received from the TUN (0 without offload). Any thread; approximate. */
    public long superSegmentsIn() {
        long n = 0;
        for (PacketClassifier c : classifiers) {
            n += c.superSegments();
        }
        return n;
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

    /** Events in the rings not yet consumed by the slowest worker, over every queue's ring. */
    public long ringOccupancy() {
        long n = 0;
        for (RingBuffer<PacketEvent> ring : rings) {
            n += ring.getCursor() - ring.getMinimumGatingSequence();
        }
        return n;
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
        closing = true;
        for (TunReader r : readers) {
            r.stop();
        }
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
