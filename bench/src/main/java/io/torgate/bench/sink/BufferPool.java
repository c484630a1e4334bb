package io.torgate.bench.sink;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct relay buffers recycled between sessions of one sink loop. Without it every connection mapped and zeroed
 * two fresh buffers (page faults on the sink's CPU, counted against it by the rig) and the freed ones waited for
 * a GC to be unmapped, so the sink's RSS grew to its direct-memory limit.
 *
 * <p>Thread-safety: none; confined to its loop thread.
 */
final class BufferPool {
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final int size;

    BufferPool(int size) {
        this.size = size;
    }

    ByteBuffer take() {
        ByteBuffer b = free.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(size);
    }

    void give(ByteBuffer b) {
        free.push(b);
    }
}
