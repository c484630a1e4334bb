package io.torgate.gateway.pipeline;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.PacketInfo;
import io.torgate.gateway.classify.RejectWriter;
import io.torgate.gateway.config.IdleKind;
import io.torgate.tun.TunDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * One shard: an agent thread that services both the ring and its own {@link Selector}. Each turn of
 * {@link #doWork()} consumes every published event (acting on those of its shard: rejects are answered here,
 * everything else goes to the {@link ShardHandler}), dispatches ready sockets,
 * runs due timers, then flushes the transmit batch; at zero work the {@link IdleKind} decides how to wait.
 *
 * <p>Why one ring filtered by shard rather than a ring per shard: the reader fills ONE direct buffer from the
 * TUN with one call per batch, and the events point at its slots, so a packet is never copied; per-shard rings
 * would need a copy or one TUN read per shard. The price is that every worker skips other shards' events (a
 * field compare each; see bench/results/gateway.md).
 *
 * <p>Multi-queue TUN: there is one ring per TUN queue (each with its own reader), and every worker drains every
 * ring for the events of its shard, so a flow stays with the worker its hash names whichever queue the kernel
 * delivered a packet on. The worker gates each ring with its own sequence.
 *
 * <p>Run-to-completion ({@code [pipeline] tun_reader = "worker"}): worker {@code q} also runs queue {@code q}'s
 * {@link TunReader} at the start of each turn, and its selector's epoll set holds that queue's fd, so the select
 * that waits for sockets and timers also returns when a packet arrives: one wake-up per idle-to-busy transition
 * instead of two (reader thread, then worker). Packets of other shards still go through the ring, and the worker
 * wakes their owners as a reader thread would.
 *
 * <p>Idle ({@link IdleKind#BLOCK}): the worker sets {@link #sleeping}, re-checks the ring cursor and blocks in
 * {@code select(timeout-to-next-timer)}; the reader, after publishing, wakes a sleeping worker that got
 * packets. Both sides write their volatile flag before reading the other's, so a publish is never missed.
 * {@link IdleKind#BACKOFF} first keeps turning for {@link #SPIN_NANOS} after the last work.
 *
 * <p>Control work ({@link #submit}): other threads queue {@link ShardTask}s; the worker runs them at the start of a
 * turn, so they see and change the shard's flows without locks. The queue allocates per task, which is fine:
 * tasks come from operators and reloads, never per packet.
 *
 * <p>Ownership: everything the worker touches (handler, flows, selector, transmit batch, counters) is confined
 * to its thread; {@link #stop()}, {@link #submit} and {@link #wakeIfSleeping()} are the only methods for other
 * threads.
 */
public final class ShardWorker implements Runnable {
    private static final Logger LOG = System.getLogger(ShardWorker.class.getName());
    /**
     * {@link IdleKind#BACKOFF}: how long a worker keeps polling after its last work before it blocks. A client's
     * next segment often follows within tens of microseconds (the ACK of what the worker just sent, the next
     * request); polling catches it without a wake-up. Bounded in time, not in turns, so that it costs the same
     * whatever a turn costs (each turn makes one or two non-blocking syscalls, ~1 µs), and an idle worker burns at
     * most 50 µs per wake-up.
     */
    static final long SPIN_NANOS = 50_000;

    private final int shard;
    /** The rings this worker drains (one per TUN queue), each with its slot buffer, gating sequence and next. */
    private final RingBuffer<PacketEvent>[] rings;
    private final ByteBuffer[] slots;
    private final Sequence[] sequences;
    private final long[] next;
    private final ShardHandler handler;
    private final Selector selector;
    private final TxQueue tx;
    private final DropCounters counters = new DropCounters();
    private final RejectWriter rejects = new RejectWriter();
    private final IdleKind idle;
    private final Consumer<SelectionKey> dispatch = this::dispatch;
    private final Consumer<SelectionKey> wakeDispatch = this::dispatchAfterSleep;
    private final ConcurrentLinkedQueue<Pending<?>> tasks = new ConcurrentLinkedQueue<>();
    /** The TUN queue this worker reads itself ({@code tun_reader = "worker"}), or null when a thread reads it. */
    private TunReader ownQueue;
    private volatile boolean running = true;
    private volatile boolean sleeping;
    /** Set once the loop has ended and its tasks were answered; later submissions fail at once. */
    private volatile boolean stopped;
    private long now;
    /** {@link #now} of the last turn that did work (for the {@link IdleKind#BACKOFF} time bound). */
    private long lastWork;
    private long errors;

    /** A worker of a single-queue pipeline: one ring (the capture benchmark drives one directly). */
    @SuppressWarnings("unchecked")
    ShardWorker(int shard, RingBuffer<PacketEvent> ring, ByteBuffer slots, ShardHandler handler, TxQueue tx,
                IdleKind idle) throws IOException {
        this(shard, new RingBuffer[] {ring}, new ByteBuffer[] {slots}, handler, tx, idle);
    }

    /**
     * @param rings the ring of every TUN queue
     * @param slots the slot buffer of each ring's reader, in the same order
     * @param tx the transmit batch on this worker's own queue
     */
    ShardWorker(int shard, RingBuffer<PacketEvent>[] rings, ByteBuffer[] slots, ShardHandler handler, TxQueue tx,
                IdleKind idle) throws IOException {
        if (rings.length != slots.length || rings.length == 0) {
            throw new IllegalArgumentException(rings.length + " rings, " + slots.length + " slot buffers");
        }
        this.shard = shard;
        this.rings = rings.clone();
        this.slots = slots.clone();
        this.sequences = new Sequence[rings.length];
        this.next = new long[rings.length];
        for (int r = 0; r < rings.length; r++) {
            sequences[r] = new Sequence(RingBuffer.INITIAL_CURSOR_VALUE);
            next[r] = sequences[r].get() + 1;
        }
        this.handler = handler;
        this.tx = tx;
        this.idle = idle;
        this.selector = Selector.open();
    }

    /** The sequence the reader of the first ring must not overtake (a gating sequence of that ring). */
    Sequence sequence() {
        return sequences[0];
    }

    /** The sequence the reader of ring {@code r} must not overtake. */
    Sequence sequence(int r) {
        return sequences[r];
    }

    /** This worker's drop counters (any thread may read). */
    public DropCounters counters() {
        return counters;
    }

    /** Handler exceptions caught so far (each one is logged and the loop goes on). */
    public long errors() {
        return errors;
    }

    @Override
    public void run() {
        handler.start(new WorkerContext(shard, selector, tx, counters));
        try {
            while (running) {
                int work;
                try {
                    work = doWork();
                } catch (TunQueueFailure e) {
                    throw e; // the packet path is gone: the pipeline reports it and the process exits
                } catch (RuntimeException e) {
                    error(e); // the loop never dies from one bad flow: it would stall the whole ring
                    work = 1;
                }
                if (work == 0) {
                    idle();
                } else {
                    lastWork = now;
                }
            }
        } finally {
            now = System.nanoTime();
            runTasks(); // tasks queued before stop still get their answer
            guarded(() -> handler.shutdown(now));
            tx.flush();
            try {
                selector.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing selector: {0}", e.toString());
            }
            failTasks(); // a task submitted after this point is failed by submit itself
        }
    }

    /** One turn: own TUN queue (if any), rings, sockets, timers, flush. Returns the work done. */
    int doWork() {
        now = System.nanoTime();
        int work = tasks.isEmpty() ? 0 : runTasks();
        if (ownQueue != null) {
            work += readOwnQueue();
        }
        work += drainRing();
        try {
            work += selector.selectNow(dispatch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        work += handler.onTick(now);
        tx.flush();
        return work;
    }

    /**
     * Moves one batch from this worker's TUN queue into its ring ({@link #drainRing()} then handles it in the same
     * turn). The selector's epoll set holds the TUN fd, so a worker that leaves packets unread does not sleep.
     */
    private int readOwnQueue() {
        try {
            return Math.max(0, ownQueue.moveBatch());
        } catch (IOException e) {
            if (!running) {
                return 0; // closing: the TUN may be gone already
            }
            throw new TunQueueFailure(ownQueue, e);
        }
    }

    /** The worker's own TUN queue failed (e.g. the device was deleted): this ends the worker, not just a flow. */
    private static final class TunQueueFailure extends UncheckedIOException {
        TunQueueFailure(TunReader reader, IOException cause) {
            super(reader.readFailure(cause), cause);
        }
    }

    /**
     * Makes this worker read {@code reader}'s TUN queue in its own loop (run-to-completion), waking from its
     * selector when the queue has packets: true when the TUN could join the selector, false when not (the caller
     * then starts a reader thread). Before {@link #run()}.
     */
    boolean adoptQueue(TunReader reader, TunDevice queue) throws IOException {
        if (!queue.wakeSelector(selector)) {
            return false;
        }
        reader.runInline();
        ownQueue = reader;
        return true;
    }

    private int drainRing() {
        int work = 0;
        for (int r = 0; r < rings.length; r++) {
            work += drainRing(r);
        }
        return work;
    }

    private int drainRing(int r) {
        RingBuffer<PacketEvent> ring = rings[r];
        long available = ring.getCursor();
        long from = next[r];
        if (available < from) {
            return 0;
        }
        ByteBuffer buf = slots[r];
        int mine = 0;
        for (long seq = from; seq <= available; seq++) {
            PacketEvent event = ring.get(seq);
            if (event.shard == shard) {
                mine++;
                if (event.verdict == PacketInfo.REJECT) {
                    int off = tx.claim();
                    tx.commit(rejects.reject(buf, event, tx.buffer(), off));
                    continue;
                }
                try {
                    handler.onPacket(event, buf, now);
                } catch (RuntimeException e) {
                    error(e);
                }
            }
        }
        next[r] = available + 1;
        // Release the slots only now: the handler may have read them until its last call returned.
        sequences[r].set(available);
        return Math.max(mine, 1);
    }

    /** True when some ring has events this worker has not consumed yet. */
    private boolean ringsPending() {
        for (int r = 0; r < rings.length; r++) {
            if (rings[r].getCursor() >= next[r]) {
                return true;
            }
        }
        return false;
    }

    private void dispatch(SelectionKey key) {
        try {
            ((WorkerContext.Ready) key.attachment()).ready(key, now);
        } catch (RuntimeException e) {
            error(e);
        }
    }

    private void dispatchAfterSleep(SelectionKey key) {
        now = System.nanoTime();
        dispatch(key);
    }

    private void idle() {
        switch (idle) {
            case SPIN -> Thread.onSpinWait();
            case BACKOFF -> {
                if (now - lastWork < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    block(); // a wake-up that brings work starts a new spin; one that brings none blocks again
                }
            }
            default -> block();
        }
    }

    private void block() {
        sleeping = true;
        try {
            // A submit's wakeup() may have been spent by this turn's selectNow() (which clears it) after the turn
            // found no task: the queue, not the wakeup, is what must be checked before sleeping.
            if (ringsPending() || !tasks.isEmpty() || !running) {
                return;
            }
            long deadline = handler.nextDeadline(now);
            long waitMillis = deadline == Long.MAX_VALUE ? 0 : Math.max(1, (deadline - now + 999_999) / 1_000_000);
            selector.select(wakeDispatch, waitMillis);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            sleeping = false;
        }
    }

    /**
     * Runs {@code task} on this worker's thread at the start of its next turn (waking it if it sleeps). Any
     * thread. The future fails when the task throws, or with {@link IllegalStateException} when the worker has
     * stopped before running it.
     */
    public <T> CompletableFuture<T> submit(ShardTask<T> task) {
        Pending<T> p = new Pending<>(task, new CompletableFuture<>());
        tasks.add(p);
        if (stopped) {
            failTasks(); // the loop is gone: nobody else will drain the queue
        }
        selector.wakeup();
        return p.result;
    }

    /** A queued task and the future its submitter waits on. */
    private record Pending<T>(ShardTask<T> task, CompletableFuture<T> result) {
        void run(int shard, ShardHandler handler, long now) {
            try {
                result.complete(task.run(shard, handler, now));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }

        void fail() {
            result.completeExceptionally(new IllegalStateException("the shard worker has stopped"));
        }
    }

    private int runTasks() {
        int n = 0;
        for (Pending<?> p; (p = tasks.poll()) != null; n++) {
            p.run(shard, handler, now);
        }
        return n;
    }

    /** After the loop ended: no task will run any more; each queued one fails. */
    private void failTasks() {
        stopped = true;
        for (Pending<?> p; (p = tasks.poll()) != null; ) {
            p.fail();
        }
    }

    /** Reader side: wakes this worker if it is blocked in its selector. Cheap when it is not. */
    void wakeIfSleeping() {
        if (sleeping) {
            selector.wakeup();
        }
    }

    /** Asks the loop to end; it then shuts its flows down and closes its selector. Any thread. */
    void stop() {
        running = false;
        selector.wakeup();
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            error(e);
        }
    }

    private void error(RuntimeException e) {
        errors++;
        LOG.log(Level.WARNING, "shard " + shard + ": handler failed (flow logic bug; the loop goes on)", e);
    }
}
