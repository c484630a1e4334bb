package io.torgate.stack;

import java.nio.ByteBuffer;

/**
 * Receive-side reassembly for one TCP connection: a byte ring holding the in-order data the application has not
 * read yet, followed (inside the same ring) by out-of-order data waiting for the hole before it to be filled.
 *
 * <p>Sequence space (RFC 9293 §3.3.1): {@code RCV.NXT} is the next in-order byte expected; the receive window is
 * {@code [RCV.NXT, RCV.NXT + window())}. Its right edge, {@code RCV.NXT - readable() + capacity}, only moves right
 * (when the application reads), so the window is never shrunk (RFC 9293 §3.8.6.2.2). Out-of-order data is stored at
 * its final position in the ring and remembered as at most {@link #MAX_RANGES} disjoint ranges, each stamped with
 * the time of its last update so SACK blocks can be reported most-recent first (RFC 2018 §4). When every range
 * slot is taken, a new disjoint range evicts the range farthest from {@code RCV.NXT} if it lies nearer, otherwise
 * it is dropped: out-of-order data is never acknowledged cumulatively, so dropping it (reneging, RFC 2018 §8) is
 * safe, and the hole at {@code RCV.NXT} can always be filled because in-order data needs no range slot.
 *
 * <p>Storage on demand: the ring's bytes live in chunks borrowed from a {@link ChunkPool} ({@link ChunkRing}),
 * taken when a segment's data first reaches a chunk and given back once the application has read past it (all of
 * them when nothing is held), so an idle connection holds none. The window still counts the whole capacity. When
 * the pool has no chunk (the global budget is spent) the part of a segment that would need one is dropped before
 * it is acknowledged ({@link #shortOfMemory()} counts it) and the peer retransmits it: acknowledged bytes are never
 * lost. No method allocates (a warm pool reuses chunks). Sequence numbers are compared modulo 2<sup>32</sup>, so
 * streams may cross the wrap freely.
 *
 * <p>Ownership and thread-safety: owned by one connection and used only by the thread that owns that connection
 * (and its pool); not thread-safe.
 */
public final class ReceiveBuffer implements ChunkRing.LiveSpans {
    /** Out-of-order ranges kept at most; each costs three array slots, fixed at construction. */
    public static final int MAX_RANGES = 32;

    private final ChunkRing ring;
    private final int capacity;
    /** Ring index of the first unread in-order byte. */
    private int head;
    private int readable;
    private int rcvNxt;

    /** Out-of-order ranges sorted by distance from RCV.NXT, stamped with {@link #clock} at their last update. */
    private final SeqRanges ranges = new SeqRanges(MAX_RANGES);
    /** Counts segments stored out of order; orders SACK blocks by recency. */
    private long clock;
    /** Segments (or their tails) dropped because the pool had no chunk for them. */
    private long shortOfMemory;

    /**
     * With a pool of its own that keeps every chunk it made (the up-front behaviour; tests and benchmarks).
     *
     * @param capacity bytes of buffer (in-order unread plus out-of-order), 1 .. 2<sup>30</sup>
     */
    public ReceiveBuffer(int capacity) {
        this(capacity, ChunkPool.privatePool(capacity));
    }

    /**
     * @param capacity bytes of buffer (in-order unread plus out-of-order), the window, 1 .. 2<sup>30</sup>; memory
     *     is taken from {@code pool} only while data is held
     */
    public ReceiveBuffer(int capacity, ChunkPool pool) {
        this.ring = new ChunkRing(capacity, pool);
        this.capacity = capacity;
    }

    /**
     * Empties the buffer (its chunks go back to the pool) and sets {@code RCV.NXT} (e.g. to IRS + 1 after a SYN,
     * RFC 9293 §3.10.7.2).
     */
    public void reset(int rcvNxt) {
        this.rcvNxt = rcvNxt;
        head = 0;
        readable = 0;
        ranges.clear();
        clock = 0;
        ring.releaseAll();
    }

    /** @return pool chunks held now (0 when nothing is held) */
    public int chunksHeld() {
        return ring.held();
    }

    /** @return segments or segment tails dropped unacknowledged because no chunk was left for them */
    public long shortOfMemory() {
        return shortOfMemory;
    }

    /** @return RCV.NXT, the next in-order sequence number expected */
    public int rcvNxt() {
        return rcvNxt;
    }

    /** @return total bytes this buffer can hold */
    public int capacity() {
        return capacity;
    }

    /** @return the receive window to advertise: capacity minus bytes not yet read by the application */
    public int window() {
        return capacity - readable;
    }

    /** @return in-order bytes ready for {@link #read} */
    public int readable() {
        return readable;
    }

    /** @return true when out-of-order data is held beyond a hole at RCV.NXT */
    public boolean hasOutOfOrder() {
        return ranges.count() > 0;
    }

    /** @return bytes held out of order (sum of the ranges) */
    public int outOfOrderBytes() {
        return ranges.bytes();
    }

    /**
     * Stores segment data that starts at sequence number {@code seq}. Bytes before RCV.NXT (already received) and
     * beyond the window's right edge are trimmed (RFC 9293 §3.10.7.4, "segment text ... trimmed to the window").
     *
     * @param seq sequence number of {@code src[offset]}
     * @param src data; read by absolute index, its position and limit are not touched
     * @param offset absolute index of the first data byte in {@code src}
     * @param length data bytes
     * @return how far RCV.NXT advanced (0 for a duplicate, an out-of-order or an out-of-window segment)
     */
    public int offer(int seq, ByteBuffer src, int offset, int length) {
        if (length <= 0) {
            return 0;
        }
        int skip = rcvNxt - seq;
        if (skip > 0) {
            if (skip >= length) {
                return 0;
            }
            seq += skip;
            offset += skip;
            length -= skip;
        }
        int rel = seq - rcvNxt;
        int window = capacity - readable;
        if (rel >= window) {
            return 0;
        }
        length = Math.min(length, window - rel);
        int at = ring.wrap(head + readable + rel);
        int backed = ring.ensure(at, length);
        if (backed == 0 && rel == 0 && ranges.count() > 0) {
            // Out-of-order data holds the memory the next in-order bytes need: renege on it (RFC 2018 §8, as
            // Linux's tcp_prune_ofo_queue does), or the hole at RCV.NXT could never be filled.
            ranges.clear();
            ring.releaseUnused(this);
            backed = ring.ensure(at, length);
        }
        if (backed < length) {
            shortOfMemory++; // not acknowledged: the peer sends it again (RFC 9293 §3.10.7.4 allows the drop)
            length = backed;
            if (length == 0) {
                return 0;
            }
        }
        if (rel == 0) {
            ring.copyIn(at, src, offset, length);
            return advance(length);
        }
        if (ranges.add(seq, seq + length, ++clock)) {
            ring.copyIn(at, src, offset, length);
        }
        return 0;
    }

    /**
     * Moves up to {@code dst.remaining()} in-order bytes into {@code dst} (advancing its position), freeing that
     * much buffer space and so opening the window.
     *
     * @return bytes moved
     */
    public int read(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), readable);
        if (n == 0) {
            return 0;
        }
        ring.readTo(head, dst, n);
        int from = head;
        head = ring.wrap(head + n);
        readable -= n;
        if (readable == 0 && ranges.count() == 0) {
            head = 0;
            ring.releaseAll();
        } else {
            ring.releaseCrossed(from, head, this);
        }
        return n;
    }

    /**
     * Chunks holding unread in-order bytes or out-of-order ranges stay ({@link ChunkRing.LiveSpans}); the
     * ranges lie after the in-order bytes, at their offset from RCV.NXT.
     */
    @Override
    public boolean uses(int start, int end) {
        if (ring.overlaps(head, readable, start, end)) {
            return true;
        }
        int base = head + readable;
        for (int i = 0; i < ranges.count(); i++) {
            int at = ring.wrap(base + (ranges.left(i) - rcvNxt));
            if (ring.overlaps(at, ranges.right(i) - ranges.left(i), start, end)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Fills SACK blocks describing the out-of-order data held, the block holding the most recently received
     * segment first, then the others by decreasing recency (RFC 2018 §4).
     *
     * @param left receives block left edges (first sequence number held)
     * @param right receives block right edges (sequence number after the last byte held)
     * @param max most blocks wanted (at most the arrays' length)
     * @return blocks written
     */
    public int sackBlocks(int[] left, int[] right, int max) {
        return ranges.byRecency(left, right, max);
    }

    /** Accepts {@code length} in-order bytes already copied at RCV.NXT, then absorbs ranges the data reached. */
    private int advance(int length) {
        int start = rcvNxt;
        rcvNxt += length;
        readable += length;
        while (ranges.count() > 0 && ranges.left(0) - rcvNxt <= 0) {
            int extra = ranges.right(0) - rcvNxt;
            if (extra > 0) {
                rcvNxt += extra;
                readable += extra;
            }
            ranges.remove(0);
        }
        return rcvNxt - start;
    }
}
