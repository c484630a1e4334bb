package io.torgate.gateway.pipeline;

/**
 * Work another thread (the control socket, a reload) asks a shard worker to do on the worker's own thread, so it
 * can read or change the shard's flows without locks. Runs between batches, never inside packet handling.
 *
 * @param <T> what the task returns to the asking thread (a snapshot, a count, ...)
 */
@FunctionalInterface
public interface ShardTask<T> {
    /**
     * @param shard the worker's shard number
     * @param handler the worker's handler (cast to the concrete handler the gateway built)
     * @param nowNanos the worker's clock
     */
    T run(int shard, ShardHandler handler, long nowNanos);
}
