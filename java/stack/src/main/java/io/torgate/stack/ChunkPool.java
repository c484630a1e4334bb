package io.torgate.stack;

import java.nio.ByteBuffer;

/**
 * Fixed-size byte chunks that connections' send and receive rings ({@link ChunkRing}) borrow while data is in
 * flight and give back when a direction drains, so an idle connection holds no buffer memory at all and a busy
 * one holds only what it has in flight (issue 8, item 4: 2,000 idle streams used to cost 384 KiB each up front).
 * Chunks are direct buffers, so a socket read can fill a send buffer in place ({@link SendBuffer#claim}: one copy
 * from the kernel instead of two) and segments are built from them with a plain memory copy.
 *
 * <p>Every chunk lent out is charged to the global {@link BufferBudget} (so its "used" is the bytes that buffer
 * data now): a chunk is lent only when the budget takes it, so {@link #take()} returns null when memory is short
 * and the ring then stores less (the receive side drops the unacknowledged rest of a segment, the send side accepts
 * fewer bytes). Up to {@code keepFree} returned chunks stay here for reuse, so a warm worker allocates nothing in
 * steady state; beyond that a returned chunk goes to the GC. Memory is thus bounded by the budget plus
 * {@code keepFree} chunks per worker.
 *
 * <p>Ownership and thread-safety: one pool per worker thread (shard), used only by that thread and the
 * connections it owns; not thread-safe, no locks. The budget it charges is shared and thread-safe.
 */
public final class ChunkPool {
    /** Default chunk: 16 KiB, a quarter of a 64 KiB TSO super-segment and small enough that a request/response
     * stream holds one or two. */
    public static final int DEFAULT_CHUNK_BYTES = 16 * 1024;

    private final int shift;
    private final BudgetedPool<ByteBuffer> chunks;

    /**
     * @param chunkBytes chunk size, a power of two from 64 to 2<sup>20</sup>
     * @param budget charged for every chunk lent out
     * @param keepFree returned chunks kept for reuse (the rest go to the GC)
     */
    public ChunkPool(int chunkBytes, BufferBudget budget, int keepFree) {
        if (chunkBytes < 64 || chunkBytes > 1 << 20 || Integer.bitCount(chunkBytes) != 1) {
            throw new IllegalArgumentException("chunk size must be a power of two in 64..2^20: " + chunkBytes);
        }
        this.shift = Integer.numberOfTrailingZeros(chunkBytes);
        this.chunks = new BudgetedPool<>(chunkBytes, budget, keepFree, () -> ByteBuffer.allocateDirect(chunkBytes));
    }

    /**
     * A pool of its own for one connection made without a shared pool (tests, benchmarks, replay): unbounded
     * budget, keeps every chunk it made, so it behaves like the up-front buffers it replaces.
     */
    static ChunkPool privatePool(int capacity) {
        int chunk = DEFAULT_CHUNK_BYTES;
        return new ChunkPool(chunk, new BufferBudget(Long.MAX_VALUE), 2 * ((capacity + chunk - 1) / chunk));
    }

    /**
     * @return a chunk (contents undefined; position 0, limit its capacity), or null when the budget has no room for
     *     it (counted)
     */
    public ByteBuffer take() {
        ByteBuffer b = chunks.take();
        return b == null ? null : b.clear();
    }

    /** Returns a chunk taken from this pool; the caller must drop its reference. */
    public void give(ByteBuffer chunk) {
        chunks.give(chunk);
    }

    /** @return the chunk size in bytes */
    public int chunkBytes() {
        return chunks.itemBytes();
    }

    /** @return log2 of {@link #chunkBytes()} */
    int shift() {
        return shift;
    }

    /** @return chunks lent out now */
    public long lent() {
        return chunks.lent();
    }

    /** @return chunks kept free for reuse now */
    public int free() {
        return chunks.free();
    }

    /** @return chunks ever made (allocated) */
    public long made() {
        return chunks.made();
    }

    /** @return times {@link #take()} found no chunk and the budget refused a new one */
    public long refused() {
        return chunks.refused();
    }

    /** @return the budget this pool charges */
    public BufferBudget budget() {
        return chunks.budget();
    }
}
