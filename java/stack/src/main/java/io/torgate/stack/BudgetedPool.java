package io.torgate.stack;

import java.util.function.Supplier;

/**
 * A free list of same-sized buffers whose lent ones are charged to the global {@link BufferBudget}: the one
 * mechanism behind the connections' chunks ({@link ChunkPool}) and the gateway's relay buffers. {@link #take()}
 * lends an item only when the budget takes its bytes (else null, so the caller holds less); {@link #give} returns
 * the bytes and keeps up to {@code keepFree} items for reuse, so a warm worker allocates nothing in steady state,
 * and leaves the rest to the GC.
 *
 * <p>Ownership and thread-safety: one pool per worker thread, used only by that thread; not thread-safe, no locks.
 * The budget it charges is shared and thread-safe.
 *
 * @param <T> the buffer type
 */
public final class BudgetedPool<T> {
    private final int itemBytes;
    private final BufferBudget budget;
    private final Supplier<T> make;
    private final Object[] free;
    private int freeCount;
    private long lent;
    private long made;
    private long refused;

    /**
     * @param itemBytes bytes charged to {@code budget} per item lent
     * @param budget shared budget
     * @param keepFree returned items kept for reuse, &ge; 0
     * @param make allocates a new item (called only when none is kept free)
     */
    public BudgetedPool(int itemBytes, BufferBudget budget, int keepFree, Supplier<T> make) {
        if (keepFree < 0) {
            throw new IllegalArgumentException("keepFree must not be negative: " + keepFree);
        }
        this.itemBytes = itemBytes;
        this.budget = budget;
        this.make = make;
        this.free = new Object[keepFree];
    }

    /** @return an item (contents undefined), or null when the budget has no room for it (counted) */
    @SuppressWarnings("unchecked")
    public T take() {
        if (!budget.reserve(itemBytes)) {
            refused++;
            return null;
        }
        T item;
        if (freeCount > 0) {
            item = (T) free[--freeCount];
            free[freeCount] = null;
        } else {
            item = make.get();
            made++;
        }
        lent++;
        return item;
    }

    /** Returns an item taken from this pool; the caller must drop its reference. */
    public void give(T item) {
        budget.release(itemBytes);
        lent--;
        if (freeCount < free.length) {
            free[freeCount++] = item;
        }
    }

    /** @return bytes charged per item */
    public int itemBytes() {
        return itemBytes;
    }

    /** @return items lent out now */
    public long lent() {
        return lent;
    }

    /** @return items kept free for reuse now */
    public int free() {
        return freeCount;
    }

    /** @return items ever made (allocated) */
    public long made() {
        return made;
    }

    /** @return times {@link #take()} was refused by the budget */
    public long refused() {
        return refused;
    }

    /** @return the budget this pool charges */
    public BufferBudget budget() {
        return budget;
    }
}
