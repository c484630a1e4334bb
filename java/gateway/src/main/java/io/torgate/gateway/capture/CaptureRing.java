package io.torgate.gateway.capture;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded multi-producer, single-consumer ring of packet copies, allocated once: {@code slots} fixed-size
 * records of at most {@code snapLength} bytes each in one byte array. Producers (the packet threads) never wait:
 * when the ring is full the packet is counted in {@link #lost()} and dropped from the capture.
 *
 * <p>Algorithm: D. Vyukov's bounded queue. Every slot carries a sequence number; a producer claims position
 * {@code p} by CAS on the tail only when slot {@code p & mask} says {@code p} (free for this lap), copies, then
 * publishes with a release store of {@code p + 1}; the consumer reads slot {@code h} when it says {@code h + 1}
 * and frees it for the next lap with {@code h + slots}. No locks; a producer's only loop is a lost CAS race.
 *
 * <p>Thread-safety: {@link #offer} from any number of threads; {@link #poll} from one consumer thread only.
 */
final class CaptureRing {
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);

    private final int mask;
    private final int snapLength;
    private final long[] sequences;
    private final long[] timestamps;
    private final int[] lengths;
    private final int[] originalLengths;
    /** Direction in the low byte, reason ordinal + 1 above it (0: no reason). */
    private final int[] kinds;
    private final byte[] data;
    private final AtomicLong tail = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private long head;

    /**
     * @param slots number of records (a power of two)
     * @param snapLength bytes kept per packet (longer packets are truncated, as libpcap's snaplen)
     */
    CaptureRing(int slots, int snapLength) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two: " + slots);
        }
        this.mask = slots - 1;
        this.snapLength = snapLength;
        this.sequences = new long[slots];
        for (int i = 0; i < slots; i++) {
            sequences[i] = i;
        }
        this.timestamps = new long[slots];
        this.lengths = new int[slots];
        this.originalLengths = new int[slots];
        this.kinds = new int[slots];
        this.data = new byte[Math.multiplyExact(slots, snapLength)];
    }

    /**
     * Copies a packet in. Never blocks.
     *
     * @param kind direction | (reason ordinal + 1) << 8
     * @return false when the ring was full (counted as lost)
     */
    boolean offer(ByteBuffer buf, int offset, int length, int kind, long epochNanos) {
        long p;
        int slot;
        while (true) {
            p = tail.get();
            slot = (int) (p & mask);
            long s = (long) SEQ.getAcquire(sequences, slot);
            if (s == p) {
                if (tail.compareAndSet(p, p + 1)) {
                    break;
                }
            } else if (s < p) {
                lost.incrementAndGet();
                return false;
            }
            // s > p: another producer took p meanwhile; retry with the new tail.
        }
        int n = Math.min(length, snapLength);
        buf.get(offset, data, slot * snapLength, n);
        timestamps[slot] = epochNanos;
        lengths[slot] = n;
        originalLengths[slot] = length;
        kinds[slot] = kind;
        SEQ.setRelease(sequences, slot, p + 1);
        return true;
    }

    /** Consumer: hands the oldest record to {@code sink} and frees it; false when the ring is empty. */
    boolean poll(RecordSink sink) {
        int slot = (int) (head & mask);
        if ((long) SEQ.getAcquire(sequences, slot) != head + 1) {
            return false;
        }
        sink.record(data, slot * snapLength, lengths[slot], originalLengths[slot], kinds[slot], timestamps[slot]);
        SEQ.setRelease(sequences, slot, head + mask + 1);
        head++;
        return true;
    }

    /** Packets dropped because the ring was full. */
    long lost() {
        return lost.get();
    }

    /** Receives one record; the bytes are valid only during the call. */
    interface RecordSink {
        void record(byte[] bytes, int offset, int length, int originalLength, int kind, long epochNanos);
    }
}
