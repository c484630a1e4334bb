package io.torgate.gateway.relay;

import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Finished flows kept for reuse (their connection, SOCKS client and buffers are allocated once), so a warm
 * worker admits a new flow without allocating. Bounded: beyond {@link #LIMIT} idle flows, extras go to the GC.
 * Confined to one worker thread.
 */
final class FlowPool {
    /** Idle flows kept; a burst of more finished flows than this is left to the GC. */
    static final int LIMIT = 256;

    private final ArrayDeque<Flow> idle = new ArrayDeque<>();
    private final Supplier<Flow> factory;

    FlowPool(Supplier<Flow> factory) {
        this.factory = factory;
    }

    /** A reset-able flow: a pooled one, or a new one when the pool is empty. */
    Flow take() {
        Flow f = idle.poll();
        return f != null ? f : factory.get();
    }

    /** Returns a retired flow (the caller no longer references it). */
    void give(Flow f) {
        if (idle.size() < LIMIT) {
            idle.push(f);
        }
    }
}
