package io.torgate.gateway.relay;

import io.torgate.gateway.pipeline.TxQueue;
import io.torgate.stack.SegmentSink;
import java.nio.ByteBuffer;

/**
 * Backs the stack's {@link SegmentSink} with a worker's {@link TxQueue}: each claimed packet is built in place in
 * the next transmit slot. Confined to the worker thread.
 */
final class TxSink implements SegmentSink {
    private final TxQueue tx;

    TxSink(TxQueue tx) {
        this.tx = tx;
    }

    @Override
    public ByteBuffer claim(int maxLength) {
        if (maxLength > tx.maxPacket()) {
            return null;
        }
        int offset = tx.claim(maxLength);
        return tx.buffer().limit(tx.buffer().capacity()).position(offset);
    }

    @Override
    public void commit(int length) {
        tx.commit(length);
    }

    @Override
    public int offloadLimit() {
        return tx.offloadLimit();
    }

    @Override
    public void commitOffloaded(int length, int transportOffset, int headerLength, int segmentPayload) {
        tx.commitOffloaded(length, transportOffset, headerLength, segmentPayload);
    }
}
