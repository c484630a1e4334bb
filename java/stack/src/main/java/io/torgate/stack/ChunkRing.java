package io.torgate.stack;

import java.nio.ByteBuffer;

/**
 * A byte ring of a fixed logical capacity whose storage is borrowed chunk by chunk from a {@link ChunkPool}: ring
 * index {@code i} lives at offset {@code i & (chunk - 1)} of chunk {@code i >>> log2(chunk)}; the last chunk may
 * be used only in part when the capacity is not a multiple of the chunk size. A chunk is taken when a byte is first
 * stored in it ({@link #ensure}) and given back when its owner ({@link SendBuffer}, {@link ReceiveBuffer}) no longer
 * has data in it ({@link #releaseCrossed}, {@link #releaseAll}). The capacity therefore bounds the window, not the
 * memory: an empty ring holds no chunk.
 *
 * <p>Indices passed in are in {@code [0, capacity)}; spans may wrap past the end. No method allocates.
 *
 * <p>Ownership and thread-safety: owned by one buffer of one connection; not thread-safe.
 */
final class ChunkRing {
    private final ChunkPool pool;
    private final ByteBuffer[] chunks;
    private final int capacity;
    private final int shift;
    private final int mask;
    private int held;

    /** @param capacity logical bytes, 1 .. 2<sup>30</sup> */
    ChunkRing(int capacity, ChunkPool pool) {
        if (capacity <= 0 || capacity > 1 << 30) {
            throw new IllegalArgumentException("capacity must be 1 .. 2^30: " + capacity);
        }
        this.pool = pool;
        this.capacity = capacity;
        this.shift = pool.shift();
        this.mask = pool.chunkBytes() - 1;
        this.chunks = new ByteBuffer[(int) (((long) capacity + mask) >>> shift)];
    }

    int capacity() {
        return capacity;
    }

    /** @return bytes per chunk */
    int chunkBytes() {
        return mask + 1;
    }

    /** @return where ring index {@code at} lies in its chunk */
    int offsetInChunk(int at) {
        return at & mask;
    }

    /** @return chunks held now */
    int held() {
        return held;
    }

    /** Reduces an index below {@code 2 * capacity} into the ring. */
    int wrap(int index) {
        return index >= capacity ? index - capacity : index;
    }

    /**
     * Makes sure chunks back the span of {@code length} bytes from ring index {@code at} (wrapping), taking the
     * missing ones from the pool in order.
     *
     * @return how many bytes from {@code at} are backed: {@code length}, or less when the pool had no chunk
     */
    int ensure(int at, int length) {
        int done = 0;
        while (done < length) {
            int i = wrap(at + done);
            int c = i >>> shift;
            if (chunks[c] == null) {
                ByteBuffer b = pool.take();
                if (b == null) {
                    return done;
                }
                chunks[c] = b;
                held++;
            }
            done += Math.min(length - done, chunkEnd(c) - i);
        }
        return done;
    }

    /** Copies {@code length} bytes of {@code src} from absolute index {@code offset} into the ring at {@code at}. */
    void copyIn(int at, ByteBuffer src, int offset, int length) {
        while (length > 0) {
            int c = at >>> shift;
            int n = Math.min(length, chunkEnd(c) - at);
            chunks[c].put(at & mask, src, offset, n);
            offset += n;
            length -= n;
            at = wrap(at + n);
        }
    }

    /** Copies {@code length} bytes from the current position of {@code src} (advancing it) into the ring. */
    void writeFrom(int at, ByteBuffer src, int length) {
        while (length > 0) {
            int c = at >>> shift;
            int n = Math.min(length, chunkEnd(c) - at);
            chunks[c].put(at & mask, src, src.position(), n);
            src.position(src.position() + n);
            length -= n;
            at = wrap(at + n);
        }
    }

    /** Copies {@code length} ring bytes from {@code at} to the current position of {@code dst} (advancing it). */
    void readTo(int at, ByteBuffer dst, int length) {
        while (length > 0) {
            int c = at >>> shift;
            int n = Math.min(length, chunkEnd(c) - at);
            dst.put(dst.position(), chunks[c], at & mask, n);
            dst.position(dst.position() + n);
            length -= n;
            at = wrap(at + n);
        }
    }

    /** Copies {@code length} ring bytes from {@code at} to {@code dst} at absolute index {@code dstOffset}. */
    void copyOut(int at, ByteBuffer dst, int dstOffset, int length) {
        while (length > 0) {
            int c = at >>> shift;
            int n = Math.min(length, chunkEnd(c) - at);
            dst.put(dstOffset, chunks[c], at & mask, n);
            dstOffset += n;
            length -= n;
            at = wrap(at + n);
        }
    }

    /**
     * Hands out the backed span of {@code length} bytes from ring index {@code at} (wrapping; see {@link #ensure})
     * as the chunks themselves, each with its position and limit set to its part of the span, in order, for a
     * producer that fills them in place (a scattering read). Until {@link #restore} no other method may be called:
     * the absolute copies above rely on every chunk's limit being its capacity.
     *
     * @param out receives the chunks; must have room for {@code length / chunk + 2} entries
     * @return entries used in {@code out}
     */
    int spans(int at, int length, ByteBuffer[] out) {
        int k = 0;
        while (length > 0) {
            int c = at >>> shift;
            int n = Math.min(length, chunkEnd(c) - at);
            int start = at & mask;
            out[k++] = chunks[c].limit(start + n).position(start);
            length -= n;
            at = wrap(at + n);
        }
        return k;
    }

    /** Ends a {@link #spans} hand-out: the first {@code count} chunks of {@code spans} get their full limit back. */
    static void restore(ByteBuffer[] spans, int count) {
        for (int i = 0; i < count; i++) {
            spans[i].clear();
        }
    }

    /**
     * The start of the data moved from ring index {@code from} to {@code to} (forward, less than a full turn):
     * gives back each chunk left wholly behind, i.e. from the one holding {@code from} up to the one before the
     * one holding {@code to}, unless {@code live} says a byte in it is still used.
     */
    void releaseCrossed(int from, int to, LiveSpans live) {
        int c = from >>> shift;
        int end = to >>> shift;
        if (c == end && to >= from) {
            return;
        }
        do {
            if (chunks[c] != null && !live.uses(chunkStart(c), chunkEnd(c))) {
                release(c);
            }
            c = c + 1 == chunks.length ? 0 : c + 1;
        } while (c != end);
    }

    /** Gives back every held chunk that {@code live} no longer uses. */
    void releaseUnused(LiveSpans live) {
        for (int c = 0; held > 0 && c < chunks.length; c++) {
            if (chunks[c] != null && !live.uses(chunkStart(c), chunkEnd(c))) {
                release(c);
            }
        }
    }

    /** Gives every held chunk back to the pool. */
    void releaseAll() {
        for (int c = 0; held > 0 && c < chunks.length; c++) {
            if (chunks[c] != null) {
                release(c);
            }
        }
    }

    private void release(int c) {
        pool.give(chunks[c]);
        chunks[c] = null;
        held--;
    }

    private int chunkStart(int c) {
        return c << shift;
    }

    private int chunkEnd(int c) {
        return Math.min((c + 1) << shift, capacity);
    }

    /**
     * True when the ring span {@code [at, at + length)} (wrapping past the end) meets {@code [start, end)}, a span
     * that does not wrap.
     */
    boolean overlaps(int at, int length, int start, int end) {
        if (length <= 0) {
            return false;
        }
        int stop = at + length;
        if (stop <= capacity) {
            return at < end && start < stop;
        }
        return at < end || start < stop - capacity;
    }

    /** What an owner still uses of the ring, asked before a chunk is given back. */
    interface LiveSpans {
        /** @return true when any byte in ring indices {@code [start, end)} is still used */
        boolean uses(int start, int end);
    }
}
