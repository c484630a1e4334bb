package io.torgate.gateway.relay;

import io.torgate.stack.BudgetedPool;
import io.torgate.stack.BufferBudget;
import java.nio.ByteBuffer;

/**
 * One worker's pool of relay buffers (direct, {@code relay_buffer_bytes} each): a flow borrows its two
 * ({@link Flow#up}, {@link Flow#down}) while bytes move between its connection and its SOCKS socket and gives each
 * back as soon as it is empty, so an idle stream holds none (issue 8, item 4). Each lent buffer is charged to the
 * global {@link BufferBudget} (one {@link BudgetedPool}, the mechanism the connections' chunks use too); when the
 * budget refuses, {@link #take()} returns null and the flow waits
 * ({@link Flow#memoryRetryAt}). Up to {@code keepFree} returned buffers stay for reuse, so a warm worker allocates
 * nothing in steady state; beyond that a returned buffer is left to the GC.
 *
 * <p>Ownership: confined to one worker thread; no locks. The budget is shared and thread-safe.
 */
final class RelayBuffers {
    private final BudgetedPool<ByteBuffer> buffers;

    RelayBuffers(int bytes, BufferBudget budget, int keepFree) {
        this.buffers = new BudgetedPool<>(bytes, budget, keepFree, () -> ByteBuffer.allocateDirect(bytes));
    }

    /** @return a cleared buffer, or null when the budget has no room for it (counted by the budget) */
    ByteBuffer take() {
        ByteBuffer b = buffers.take();
        return b == null ? null : b.clear();
    }

    /** Returns a buffer taken from this pool; the caller must drop its reference. */
    void give(ByteBuffer b) {
        buffers.give(b);
    }
}
