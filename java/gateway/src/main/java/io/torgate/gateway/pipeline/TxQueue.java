package io.torgate.gateway.pipeline;

import io.torgate.gateway.capture.CaptureTap;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;

/**
 * A worker's transmit batch: packets are built in place in the slots of one direct {@link PacketBatch} and
 * written to the TUN in one call per {@link #flush()} (at the end of each ring batch and after selector work) or
 * when the batch is full.
 *
 * <p>Usage: {@code int off = tx.claim(); ...build at buffer()[off..]...; tx.commit(len);}
 *
 * <p>Ownership: one worker thread. Not thread-safe. A packet the kernel refuses (its queue full) is counted in
 * {@link #dropped()} and not retried: TCP retransmits, DNS clients retry.
 *
 * <p>Capture: {@link #commit} reports each queued packet to the {@link CaptureTap} as "sent" (a pipeline's
 * {@code CaptureSwitch}: one volatile load and a branch while capture is off).
 */
public final class TxQueue {
    private static final Logger LOG = System.getLogger(TxQueue.class.getName());

    private final TunDevice tun;
    private final PacketBatch batch;
    private final CaptureTap capture;
    private int count;
    private long sent;
    private long dropped;

    /**
     * @param tun the device to write to
     * @param slots packets per write call
     * @param slotSize bytes per slot (at least the MTU)
     */
    public TxQueue(TunDevice tun, int slots, int slotSize) {
        this(tun, slots, slotSize, CaptureTap.NONE);
    }

    /** As above, reporting every committed packet to {@code capture} as sent. */
    public TxQueue(TunDevice tun, int slots, int slotSize, CaptureTap capture) {
        this.tun = tun;
        this.batch = new PacketBatch(slots, slotSize);
        this.capture = capture;
    }

    /** Where this queue's packets (and the worker's refusals) are reported for capture. */
    public CaptureTap capture() {
        return capture;
    }

    /** The transmit memory (big-endian); build packets at the offset {@link #claim()} returns. */
    public ByteBuffer buffer() {
        return batch.buffer();
    }

    /** Bytes available per packet. */
    public int slotSize() {
        return batch.slotSize();
    }

    /** Reserves the next slot (flushing first when the batch is full) and returns its byte offset. */
    public int claim() {
        if (count == batch.capacity()) {
            flush();
        }
        return batch.slotOffset(count);
    }

    /** Queues the packet built in the last claimed slot; a zero length abandons it. */
    public void commit(int length) {
        if (length > 0) {
            capture.sent(batch.buffer(), batch.slotOffset(count), length);
            batch.setLength(count, length);
            count++;
        }
    }

    /** Packets queued and not yet written. */
    public int pending() {
        return count;
    }

    /**
     * Writes every queued packet to the TUN.
     *
     * @return packets written
     */
    public int flush() {
        if (count == 0) {
            return 0;
        }
        int written = 0;
        try {
            written = tun.write(batch, 0, count);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "tun write of {0} packets failed: {1}", count, e.toString());
        }
        sent += written;
        dropped += count - written;
        count = 0;
        return written;
    }

    /** Packets written so far (owner thread; approximate from others). */
    public long sent() {
        return sent;
    }

    /** Packets the TUN refused. */
    public long dropped() {
        return dropped;
    }
}
