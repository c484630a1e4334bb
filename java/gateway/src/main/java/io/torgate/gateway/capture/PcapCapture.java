package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A running capture: keeps the packets its {@link CaptureFilter} accepts, copies them into a pre-allocated
 * {@link CaptureRing} on the packet threads (no allocation, no lock, no disk), and writes them from its own
 * thread into rotating pcapng files ({@link PcapngWriter}, {@link RotatingFiles}). Dropped packets carry their
 * reason as a packet comment. A full ring loses packets and counts them ({@link #lost()}): capture never slows
 * the gateway down.
 *
 * <p>Life: the constructor opens the first file and starts the thread; {@link #close()} stops accepting, writes
 * what the ring holds, closes the file and joins the thread. Calls after close are ignored.
 *
 * <p>Thread-safety: the {@link CaptureTap} methods from any threads; {@link #close} from one controlling thread;
 * counters from any.
 */
public final class PcapCapture extends KindTap implements AutoCloseable {
    private static final Logger LOG = System.getLogger(PcapCapture.class.getName());
    /** How long the writer sleeps when the ring is empty: bounds the added latency, costs ~1k wake-ups/s. */
    private static final long IDLE_PARK_NANOS = 1_000_000L;

    private final CaptureOptions options;
    private final CaptureFilter filter;
    private final CaptureRing ring;
    private final RotatingFiles files;
    private final EpochClock clock = new EpochClock();
    private final Thread thread;
    private final CaptureRing.RecordSink write = this::write;
    private PcapngWriter writer;
    private long fileOpenedNanos;
    private long packetsInFile;
    /** Writer thread only. */
    private final OffloadChecksums checksums = new OffloadChecksums();
    private final AtomicLong rejected = new AtomicLong();
    /** The longest packet an empty file holds (writer thread). */
    private final int fileRoom;
    /** Writer thread only; read by {@link #cut()}. */
    private final AtomicLong cut = new AtomicLong();
    private volatile boolean running = true;
    private volatile long written;
    private volatile long writeErrors;

    /** Opens the first file and starts the capture thread. */
    public PcapCapture(CaptureOptions options) throws IOException {
        this.options = options;
        this.filter = options.filter();
        int room = options.snapLength();
        while (PcapngWriter.headerBytes() + PcapngWriter.maxPacketBytes(room) > options.maxFileBytes()) {
            room -= 4;
        }
        this.fileRoom = room;
        this.ring = new CaptureRing(options.ringSlots(), options.slotLength(), options.largeBuffers(),
            options.snapLength());
        this.files = new RotatingFiles(options.directory(), options.prefix(), options.maxFileBytes(),
            options.maxTotalBytes());
        rotate();
        this.thread = Thread.ofPlatform().name("torgate-capture-" + options.prefix()).daemon().start(this::run);
    }

    @Override
    void packet(ByteBuffer buf, int offset, int length, int direction, DropReason reason) {
        if (!running || !checked(buf, offset, length) || !filter.matches(buf, offset, length, direction, reason)) {
            return;
        }
        ring.offer(buf, offset, length, kind(direction, reason), clock.now());
    }

    /**
     * A caller bug must not throw into a packet thread (nor leave a claimed ring slot unpublished, which would stall
     * the writer): out-of-range packets are counted in {@link #rejected()} and ignored.
     */
    private boolean checked(ByteBuffer buf, int offset, int length) {
        if (inBounds(buf, offset, length)) {
            return true;
        }
        rejected.incrementAndGet();
        return false;
    }

    private void run() {
        while (running) {
            if (drain() == 0) {
                rotateIfOld();
                LockSupport.parkNanos(IDLE_PARK_NANOS);
            }
        }
        drain(); // what producers published before they saw running == false
        try {
            files.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing capture file failed", e);
        }
    }

    private int drain() {
        int n = 0;
        while (ring.poll(write)) {
            n++;
        }
        return n;
    }

    private void write(byte[] bytes, int offset, int kept, int originalLength, int kind, long epochNanos) {
        try {
            // A packet no file could hold (a super-segment with a tiny max-file) is cut to what one holds.
            int length = Math.min(kept, fileRoom);
            if (length < kept) {
                cut.incrementAndGet();
            }
            if (files.wouldOverflow(PcapngWriter.maxPacketBytes(length))) {
                rotate();
            }
            if (OffloadChecksums.applies(kind)) {
                checksums.complete(bytes, offset, length, originalLength);
            }
            files.wrote(writer.writePacket(bytes, offset, length, originalLength, epochNanos, direction(kind),
                reason(kind)));
            packetsInFile++;
            written++;
        } catch (IOException | RuntimeException e) {
            if (writeErrors++ == 0) {
                LOG.log(Level.WARNING, "capture write failed; packets are discarded until it works again", e);
            }
        }
    }

    private void rotateIfOld() {
        if (packetsInFile > 0 && System.nanoTime() - fileOpenedNanos >= options.maxFileNanos()) {
            try {
                rotate();
            } catch (IOException e) {
                writeErrors++;
                LOG.log(Level.WARNING, "capture rotation failed", e);
            }
        }
    }

    private void rotate() throws IOException {
        writer = new PcapngWriter(files.open(), options.snapLength());
        files.wrote(writer.writeHeader());
        fileOpenedNanos = System.nanoTime();
        packetsInFile = 0;
    }

    /** Packets lost because the ring was full. */
    public long lost() {
        return ring.lost();
    }

    /**
     * Packets kept shorter than they were although within the snap length: every large buffer was in use (the
     * packet was cut to a ring slot), or no file of {@code maxFileBytes} could hold it.
     */
    public long cut() {
        return ring.cut() + cut.get();
    }

    /** Calls with a packet range outside its buffer (caller bugs), ignored. */
    public long rejected() {
        return rejected.get();
    }

    /** Packets written to files. */
    public long written() {
        return written;
    }

    /** Packets discarded because a write failed. */
    public long writeErrors() {
        return writeErrors;
    }

    /** Files deleted to respect the disk cap (read after {@link #close()} for an exact value). */
    public long filesDeleted() {
        return files.deleted();
    }

    /** The options this capture runs with. */
    public CaptureOptions options() {
        return options;
    }

    /** The directory holding this capture's files. */
    public Path directory() {
        return options.directory();
    }

    /** Stops, writes what is buffered, closes the file. Idempotent. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
