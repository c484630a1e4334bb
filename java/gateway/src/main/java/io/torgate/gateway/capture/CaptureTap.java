package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import java.nio.ByteBuffer;

/**
 * Where the packet path reports the packets it sees: the reader reports each packet it reads once, after
 * classifying it, as {@link #dropped} (with the reason) when the classifier drops or rejects it and as
 * {@link #received} otherwise; a worker that refuses a received packet (no_flow, limits) reports it again as
 * {@link #dropped}; every packet queued for a TUN write (worker answers, DNS replies) is {@link #sent}.
 * The bytes are valid only during the call: an implementation copies what it keeps and never blocks (no disk,
 * no unbounded wait), since it runs on the reader and shard threads.
 *
 * <p>Thread-safety: implementations must accept concurrent calls from the reader thread and every shard worker.
 */
public interface CaptureTap {
    /** Direction code of a packet the gateway read from the TUN (from a client). */
    int RECEIVED = 0;
    /** Direction code of a packet the gateway writes to the TUN (to a client). */
    int SENT = 1;
    /** Direction code of a packet read from the TUN and dropped (or rejected) with a reason. */
    int DROPPED = 2;

    /** A tap that does nothing. */
    CaptureTap NONE = new CaptureTap() {
        @Override
        public void received(ByteBuffer buf, int offset, int length) {
        }

        @Override
        public void sent(ByteBuffer buf, int offset, int length) {
        }

        @Override
        public void dropped(ByteBuffer buf, int offset, int length, DropReason reason) {
        }
    };

    /** An IPv4/IPv6 packet at absolute {@code buf[offset, offset + length)} read from the TUN. */
    void received(ByteBuffer buf, int offset, int length);

    /** A packet about to be written to the TUN. */
    void sent(ByteBuffer buf, int offset, int length);

    /** A packet read from the TUN that is not served, with the reason it is counted under. */
    void dropped(ByteBuffer buf, int offset, int length, DropReason reason);
}
