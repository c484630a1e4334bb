package io.torgate.gateway.capture;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded multi-producer, single-consumer ring of packet copies, allocated once: {@code slots} fixed-size
 * records of at most {@code slotLength} bytes each in one byte array, plus a few large buffers of
 * {@code snapLength} bytes for the packets longer than a slot (the 64 KiB TSO/GSO super-segments of the offload
 * path), so those are kept whole while the ring's memory stays that of full-MTU packets. Producers (the packet
 * threads) never wait: when the ring is full the packet is counted in {@link #lost()} and dropped from the
 * capture; when every large buffer is taken a long packet is cut to {@code slotLength} and counted in
 * {@link #cut()}.
 *
 * <p>Algorithm: D. Vyukov's bounded queue. Every slot carries a sequence number; a producer claims position
 * {@code p} by CAS on the tail only when slot {@code p & mask} says {@code p} (free for this lap), copies, then
 * publishes with a release store of {@code p + 1}; the consumer reads slot {@code h} when it says {@code h + 1}
 * and frees it for the next lap with {@code h + slots}. No locks; a producer's only loop is a lost CAS race.
 * Large buffers: a bit per buffer in one {@code long} (set = free); a producer takes one by CAS (clearing its bit),
 * the consumer gives it back after the record is handed on (setting it).
 *
 * <p>Thread-safety: {@link #offer} from any number of threads; {@link #poll} from one consumer thread only.
 */
final class CaptureRing {
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);

    private static final int NO_LARGE = -1;

    private final int mask;
    private final int slotLength;
    private final int snapLength;
    private final long[] sequences;
    private final long[] timestamps;
    private final int[] lengths;
    private final int[] originalLengths;
    /** Direction in the low byte, reason ordinal + 1 above it (0: no reason). */
    private final int[] kinds;
    private final byte[] data;
    /** Per slot: the large buffer holding its bytes, or NO_LARGE (in {@code data}). */
    private final int[] large;
    private final byte[][] largeBuffers;
    /** Bit i set: large buffer i is free. */
    private final AtomicLong freeLarge;
    private final AtomicLong tail = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong cut = new AtomicLong();
    private long head;

    /** A ring without large buffers: every packet is cut at {@code snapLength} (libpcap's snaplen). */
    CaptureRing(int slots, int snapLength) {
        this(slots, snapLength, 0, snapLength);
    }

    /**
     * @param slots number of records (a power of two)
     * @param slotLength bytes a record holds in the ring itself
     * @param largeCount buffers (0..64) for packets longer than {@code slotLength}
     * @param snapLength bytes kept per packet at most (longer packets are truncated, as libpcap's snaplen)
     */
    CaptureRing(int slots, int slotLength, int largeCount, int snapLength) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two: " + slots);
        }
        if (largeCount < 0 || largeCount > Long.SIZE || slotLength < 1 || snapLength < slotLength) {
            throw new IllegalArgumentException("bad large buffers: " + largeCount + " x " + snapLength);
        }
        this.mask = slots - 1;
        this.slotLength = slotLength;
        this.snapLength = snapLength;
        this.sequences = new long[slots];
        for (int i = 0; i < slots; i++) {
            sequences[i] = i;
        }
        this.timestamps = new long[slots];
        this.lengths = new int[slots];
        this.originalLengths = new int[slots];
        this.kinds = new int[slots];
        this.data = new byte[Math.multiplyExact(slots, slotLength)];
        this.large = new int[slots];
        this.largeBuffers = new byte[snapLength > slotLength ? largeCount : 0][];
        for (int i = 0; i < largeBuffers.length; i++) {
            largeBuffers[i] = new byte[snapLength];
        }
        this.freeLarge = new AtomicLong(largeBuffers.length == Long.SIZE ? -1L : (1L << largeBuffers.length) - 1);
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
        int n = Math.min(length, slotLength);
        int big = length > slotLength ? takeLarge() : NO_LARGE;
        if (big != NO_LARGE) {
            n = Math.min(length, snapLength);
            buf.get(offset, largeBuffers[big], 0, n);
        } else {
            if (length > slotLength && slotLength < snapLength) {
                cut.incrementAndGet();
            }
            buf.get(offset, data, slot * slotLength, n);
        }
        large[slot] = big;
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
        int big = large[slot];
        if (big == NO_LARGE) {
            sink.record(data, slot * slotLength, lengths[slot], originalLengths[slot], kinds[slot], timestamps[slot]);
        } else {
            sink.record(largeBuffers[big], 0, lengths[slot], originalLengths[slot], kinds[slot], timestamps[slot]);
            long free;
            do {
                free = freeLarge.get();
            } while (!freeLarge.compareAndSet(free, free | 1L << big));
        }
        SEQ.setRelease(sequences, slot, head + mask + 1);
        head++;
        return true;
    }

    /** Claims a free large buffer, or NO_LARGE when all are taken. Lock-free: the only loop is a lost CAS. */
    private int takeLarge() {
        while (true) {
            long free = freeLarge.get();
            if (free == 0) {
                return NO_LARGE;
            }
            int i = Long.numberOfTrailingZeros(free);
            if (freeLarge.compareAndSet(free, free & ~(1L << i))) {
                return i;
            }
        }
    }

    /** Packets dropped because the ring was full. */
    long lost() {
        return lost.get();
    }

    /** Packets longer than a slot that were cut to it because every large buffer was in use. */
    long cut() {
        return cut.get();
    }

    /** Receives one record; the bytes are valid only during the call. */
    interface RecordSink {
        void record(byte[] bytes, int offset, int length, int originalLength, int kind, long epochNanos);
    }
}
