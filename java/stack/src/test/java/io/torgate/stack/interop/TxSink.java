package io.torgate.stack.interop;

import io.torgate.stack.SegmentSink;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import io.torgate.tun.TunException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The interop server's output: connections write packets into consecutive slots of one TX {@link PacketBatch},
 * which goes to the TUN device in one batched write per loop iteration (or earlier when it fills up). With an
 * {@link Impairment}, each packet first meets its fate: dropped, corrupted, duplicated or held back.
 *
 * <p>Ownership and thread-safety: owned by the server thread; not thread-safe.
 */
final class TxSink implements SegmentSink {
    /** A full TUN queue is retried this many times before the rest of the batch is dropped (TCP recovers it). */
    private static final int WRITE_ATTEMPTS = 100;
    private static final int EINVAL = 22;

    private final TunDevice tun;
    private final PacketBatch batch;
    private final Impairment impairment;
    private int count;
    long written;
    long droppedFull;
    /** Corrupted packets the TUN refused (a flipped IP version nibble): lost on the path, as on a real link. */
    long refusedCorrupt;

    TxSink(TunDevice tun, PacketBatch batch, Impairment impairment) {
        this.tun = tun;
        this.batch = batch;
        this.impairment = impairment;
    }

    @Override
    public ByteBuffer claim(int maxLength) {
        if (maxLength > batch.slotSize()) {
            return null;
        }
        if (count == batch.capacity()) {
            flush(System.nanoTime());
        }
        return batch.buffer().position(batch.slotOffset(count));
    }

    @Override
    public void commit(int length) {
        if (length > 0) {
            batch.setLength(count++, length);
        }
    }

    /** Writes the batch (after impairment) and any held-back packets now due. */
    void flush(long now) {
        try {
            if (impairment == null) {
                writeSlots(0, count);
            } else {
                impairAndWrite(now);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        count = 0;
    }

    private void impairAndWrite(long now) throws IOException {
        ByteBuffer buf = batch.buffer();
        for (int i = 0; i < count; i++) {
            int off = batch.slotOffset(i);
            int len = batch.length(i);
            if (impairment.apply(buf, off, len, now)) {
                writeImpaired(i);
            }
        }
        // Slot 0 is free again: send the held-back packets that are due through it.
        int len;
        while ((len = impairment.releaseNext(now, buf, batch.slotOffset(0))) >= 0) {
            batch.setLength(0, len);
            writeImpaired(0);
        }
    }

    /**
     * Writes one impaired packet. A bit flipped in the IP version nibble makes the kernel refuse the write with
     * EINVAL (IFF_TUN takes the protocol from that nibble); on a real link the receiver would drop such a packet,
     * so it counts as lost. Any other failure, or EINVAL for a packet that still says IPv4, is a real error.
     */
    private void writeImpaired(int slot) throws IOException {
        try {
            writeSlots(slot, 1);
        } catch (TunException e) {
            int version = (batch.buffer().get(batch.slotOffset(slot)) >> 4) & 0xF;
            if (e.errno() != EINVAL || version == 4) {
                throw e;
            }
            refusedCorrupt++;
        }
    }

    private void writeSlots(int first, int n) throws IOException {
        int done = 0;
        for (int attempt = 0; done < n && attempt < WRITE_ATTEMPTS; attempt++) {
            done += tun.write(batch, first + done, n - done);
        }
        written += done;
        droppedFull += n - done;
    }
}
