package io.torgate.gateway.pipeline;

import java.nio.ByteBuffer;

/**
 * The flow logic a {@link ShardWorker} drives: everything a worker owns (TCP connections, SOCKS sockets, timers)
 * lives behind this interface, and every method is called on the worker's thread only, so implementations need
 * no locks.
 */
public interface ShardHandler {
    /** Called once on the worker thread before any other method: the worker's selector and transmit queue. */
    default void start(WorkerContext context) {
    }

    /**
     * A packet of this shard (verdict TCP, DNS or REJECT). The bytes are valid only during the call.
     *
     * @param buf the ring's slot buffer
     * @param nowNanos the worker's clock
     */
    void onPacket(PacketEvent event, ByteBuffer buf, long nowNanos);

    /**
     * Runs due timers and other deferred work.
     *
     * @return units of work done (0 when idle)
     */
    default int onTick(long nowNanos) {
        return 0;
    }

    /** Earliest time at which {@link #onTick} has work, or {@code Long.MAX_VALUE} for none. */
    default long nextDeadline(long nowNanos) {
        return Long.MAX_VALUE;
    }

    /** Ends every flow (RST or FIN), closes every socket. Called once, last, on the worker thread. */
    default void shutdown(long nowNanos) {
    }
}
