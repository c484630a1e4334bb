package io.torgate.gateway.pipeline;

import com.lmax.disruptor.RingBuffer;
import io.torgate.gateway.capture.CaptureTap;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.classify.PacketInfo;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * The only producer of the ring: moves packets from the TUN into the slots of the ring's events, classifies them
 * and publishes them in batches.
 *
 * <p>Per batch: check the ring has room for {@code readBatch} events (the reader is the single producer, so room
 * now means room when it claims), read straight into the slots of the next sequences with one
 * {@link TunDevice#read} call (two when the run wraps past the ring's end), claim exactly as many sequences as
 * packets arrived, classify each into its event, publish the range, and wake the sleeping workers that got
 * packets (a full ring also wakes every sleeper, since each worker gates the ring even for events it skips).
 * Claiming after the read (instead of before) means a short read never publishes empty events. When
 * the TUN is empty the thread blocks in {@link TunDevice#await}; when the ring is full it parks briefly, and the
 * kernel's TUN queue absorbs (and beyond that drops) the excess: backpressure never grows memory.
 *
 * <p>Capture: each packet goes to the {@link CaptureTap} once, after it is classified: as "dropped" with its
 * reason when the classifier drops or rejects it, as "received" otherwise (a drop a worker decides later is
 * reported again, by the worker, as "dropped").
 *
 * <p>Offload (a TUN with a virtio-net header and TSO): packets range from 40-byte ACKs to 64 KiB super-segments,
 * so the batch is {@linkplain PacketBatch#packed packed}: each read places packets back to back in the free part
 * of one byte buffer, used as a ring in step with the event ring. The free part runs from the end of the newest
 * packet to the start of the oldest one a worker has not released (its offset is in the batch entry of the
 * slowest worker's next sequence); when the tail is shorter than a frame, reading goes on from byte 0. When the
 * bytes run out before the events do, the reader parks as for a full ring. Each frame is classified with its
 * virtio-net header ({@link PacketClassifier#classifyFrame}).
 *
 * <p>Multi-queue TUN: one reader per queue, each with its own ring, batch and classifier; the shard is still
 * chosen by flow hash. Worker {@code w} writes on queue {@code w % queues}, and the kernel steers a flow's
 * packets to the queue its last packet was written on (tun_flow_update on write, looked up by the symmetric flow
 * hash on receive), so a flow's packets should arrive on its worker's queue. {@link #misqueued()} counts the TCP
 * packets that did not, so that claim is measured rather than assumed. Measured on Linux 6.18
 * ({@code MultiQueueLabTest}): about half the flows have exactly two packets arrive elsewhere, the SYN (its queue is
 * picked from the kernel's hash before the gateway wrote anything) and the client's ACK of the SYN-ACK (the kernel delivers a
 * written packet, and the client may answer it, before tun_get_user records the flow); after that, none.
 *
 * <p>Run-to-completion ({@code [pipeline] tun_reader = "worker"}): no thread runs this; worker {@code q} calls
 * {@link #moveBatch()} of queue {@code q}'s reader in its own loop, then drains the ring like every worker does.
 *
 * <p>Ownership: one thread runs this (its own, or its worker's); it alone writes the slots and events before
 * publication.
 */
final class TunReader implements Runnable {
    /** Re-check the stop flag this often while the TUN is idle. */
    private static final int AWAIT_MILLIS = 500;
    private static final long FULL_RING_PARK_NANOS = 20_000;

    private final TunDevice tun;
    private final RingBuffer<PacketEvent> ring;
    private final PacketBatch batch;
    private final PacketClassifier classifier;
    private final ShardWorker[] workers;
    private final CaptureTap capture;
    private final int readBatch;
    private final int mask;
    private final int vnetLength;
    /** This reader's TUN queue and the number of queues (worker w writes on queue w % queues). */
    private final int queue;
    private final int queues;
    /** Packed batch: where the next read starts (the byte after the newest packet, 64-byte aligned). */
    private int writePosition;
    /**
     * Run by a worker inside its own loop ({@code tun_reader = "worker"}) rather than by a thread of its own: a full
     * ring then never parks (the worker has its own flows to serve) and the caller simply tries again next turn.
     */
    private boolean inline;
    private volatile boolean running = true;
    private long nextSequence;
    private long packets;
    private long batches;
    private long misqueued;

    /** The reader of a single-queue TUN (the capture benchmark drives one directly). */
    TunReader(TunDevice tun, RingBuffer<PacketEvent> ring, PacketBatch batch, PacketClassifier classifier,
              ShardWorker[] workers, int readBatch, CaptureTap capture) {
        this(tun, 0, 1, ring, batch, classifier, workers, readBatch, capture);
    }

    /**
     * @param tun this reader's queue (an fd of a multi-queue TUN, or the only one)
     * @param queue its index, 0..queues-1
     * @param queues queues in the pipeline
     */
    TunReader(TunDevice tun, int queue, int queues, RingBuffer<PacketEvent> ring, PacketBatch batch,
              PacketClassifier classifier, ShardWorker[] workers, int readBatch, CaptureTap capture) {
        this.tun = tun;
        this.queue = queue;
        this.queues = queues;
        this.capture = capture;
        this.ring = ring;
        this.batch = batch;
        this.classifier = classifier;
        this.workers = workers;
        this.readBatch = readBatch;
        this.mask = ring.getBufferSize() - 1;
        this.vnetLength = tun.vnetHeaderLength();
        this.nextSequence = ring.getCursor() + 1;
    }

    @Override
    public void run() {
        try {
            while (running) {
                if (moveBatch() == 0 && running) {
                    tun.await(AWAIT_MILLIS);
                }
            }
        } catch (IOException e) {
            if (running) {
                // The reader cannot go on (e.g. the device was deleted): the pipeline reports it as its failure.
                throw new UncheckedIOException(readFailure(e), e);
            }
        }
    }

    /**
     * Moves one batch from the TUN into the ring.
     *
     * @return packets moved (0 when the TUN had none, or the ring was full)
     */
    int moveBatch() throws IOException {
        if (!ring.hasAvailableCapacity(readBatch)) {
            return waitForWorkers() ? -1 : 0;
        }
        int first = (int) (nextSequence & mask);
        int run = Math.min(readBatch, mask + 1 - first);
        int got;
        if (batch.isPacked()) {
            got = readPacked(first, run);
            if (got < 0) {
                waitForWorkers();
                return -1; // the bytes are full, not the TUN empty: try again rather than await
            }
        } else {
            got = tun.read(batch, first, run);
            if (got == run && run < readBatch) {
                got += tun.read(batch, 0, readBatch - run);
            }
        }
        if (got == 0) {
            return 0;
        }
        long hi = ring.next(got);
        long lo = hi - got + 1;
        long shards = 0;
        ByteBuffer buf = batch.buffer();
        for (long seq = lo; seq <= hi; seq++) {
            PacketEvent event = ring.get(seq);
            event.length = batch.length(event.slot);
            int at = batch.slotOffset(event.slot);
            int verdict = vnetLength > 0 ? classifier.classifyFrame(buf, at, event.length, vnetLength, event)
                : classifier.classify(buf, at, event.length, event);
            // Capture sees IP packets: past the virtio-net header, if any.
            int ipLength = Math.max(0, event.length - vnetLength);
            if (verdict == PacketInfo.DROP || verdict == PacketInfo.REJECT) {
                capture.dropped(buf, at + vnetLength, ipLength, event.reason);
            } else {
                capture.received(buf, at + vnetLength, ipLength);
            }
            event.shard = verdict == PacketInfo.DROP ? -1 : Integer.remainderUnsigned(event.flowHash, workers.length);
            if (event.shard >= 0) {
                shards |= 1L << event.shard;
                if (event.verdict == PacketInfo.TCP && event.shard % queues != queue) {
                    misqueued++;
                }
            }
        }
        ring.publish(lo, hi);
        nextSequence = hi + 1;
        packets += got;
        batches++;
        while (shards != 0) {
            int w = Long.numberOfTrailingZeros(shards);
            workers[w].wakeIfSleeping();
            shards &= shards - 1;
        }
        return got;
    }

    /**
     * A full ring (or full packed bytes): a worker only wakes for its own packets, so one that sleeps may still
     * hold other shards' events (it gates the ring). Wake every sleeper to let them skip past, then park briefly;
     * this happens at most once per lap.
     *
     * @return true when the ring has room for a batch again
     */
    private boolean waitForWorkers() {
        for (ShardWorker w : workers) {
            w.wakeIfSleeping();
        }
        if (inline) {
            return false;
        }
        LockSupport.parkNanos(FULL_RING_PARK_NANOS);
        return ring.hasAvailableCapacity(readBatch);
    }

    /**
     * Reads into the free bytes of the packed batch (see the class comment), entries {@code first ..}.
     *
     * @return packets read, or -1 when less than one frame of bytes is free
     */
    private int readPacked(int first, int run) throws IOException {
        long oldest = ring.getMinimumGatingSequence() + 1;
        int capacity = batch.byteCapacity();
        int frame = tun.maxFrame();
        int from;
        int to;
        if (oldest >= nextSequence) {
            from = 0; // every published packet is released: start over at the front
            to = capacity;
        } else {
            int live = batch.slotOffset((int) (oldest & mask));
            if (writePosition > live && capacity - writePosition >= frame) {
                from = writePosition;
                to = capacity;
            } else if (writePosition > live) {
                from = 0; // the tail is too short for a frame: wrap
                to = live;
            } else {
                from = writePosition;
                to = live;
            }
        }
        if (to - from < frame) {
            return -1;
        }
        int got = tun.readPacked(batch, first, run, from, to);
        if (got > 0) {
            int last = first + got - 1;
            writePosition = batch.slotOffset(last) + ((batch.length(last) + 63) & -64);
        }
        return got;
    }

    /** What the log and {@link Pipeline#failure()} say when reading this reader's TUN queue failed. */
    String readFailure(IOException e) {
        return "TUN " + tun.name() + " read failed (" + e.getMessage() + ")";
    }

    /** Marks this reader as run by its worker's loop (see {@link #inline}); before the pipeline starts. */
    void runInline() {
        inline = true;
    }

    /** Packets moved so far. */
    long packets() {
        return packets;
    }

    /**
     * TCP packets that arrived on this queue although their worker writes on another one (owner thread;
     * approximate from others). A flow's first packet lands on a queue of the kernel's choosing; after the
     * gateway's first write the kernel should steer the flow to its worker's queue.
     */
    long misqueued() {
        return misqueued;
    }

    /** TUN read batches so far. */
    long batches() {
        return batches;
    }

    /** Asks the loop to end (the caller closes the TUN to wake an await). */
    void stop() {
        running = false;
    }
}
