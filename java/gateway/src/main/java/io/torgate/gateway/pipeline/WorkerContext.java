package io.torgate.gateway.pipeline;

import io.torgate.gateway.classify.DropCounters;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * What a worker lends its {@link ShardHandler}: its selector (register channels with an attachment implementing
 * {@link Ready}), its transmit queue and its drop counters. Confined to the worker thread.
 *
 * @param shard this worker's index
 * @param selector the worker's selector; ready keys are dispatched to their {@link Ready} attachment
 * @param tx the worker's transmit batch
 * @param counters the worker's drop counters
 */
public record WorkerContext(int shard, Selector selector, TxQueue tx, DropCounters counters) {
    /** Attachment of a selection key: called on the worker thread when the key is ready. */
    public interface Ready {
        void ready(SelectionKey key, long nowNanos);
    }
}
