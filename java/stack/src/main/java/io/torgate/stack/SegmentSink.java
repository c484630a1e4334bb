package io.torgate.stack;

import java.nio.ByteBuffer;

/**
 * Where a {@link TcpConnection} writes the complete IPv4+TCP packets it sends, typically one slot of the caller's
 * TX batch. No allocation: the sink hands out space in a buffer it owns.
 *
 * <p>Protocol: {@link #claim} returns a buffer whose {@code position()} is the absolute index where the packet
 * starts, with at least {@code maxLength} bytes writable from there (or null when the batch is full — the
 * connection then keeps the work pending for its next poll). The connection writes by absolute index, never moves
 * the position, and calls {@link #commit} with the packet's real length (possibly 0 to give the slot back).
 *
 * <p>Thread-safety: used by the one thread that owns the connection.
 */
public interface SegmentSink {

    /** Space for one packet of at most {@code maxLength} bytes, or null when none is available now. */
    ByteBuffer claim(int maxLength);

    /** Completes the packet claimed last; {@code length} bytes from the claimed position are the packet. */
    void commit(int length);

    /**
     * Largest IPv4 packet this sink takes as one TCP super-segment that the device cuts into MSS-sized segments
     * (TSO), or 0 when it takes only complete packets of at most the MTU. Constant for a sink.
     */
    default int offloadLimit() {
        return 0;
    }

    /**
     * Completes the packet claimed last as an offloaded one: its TCP checksum field holds only the pseudo-header
     * sum ({@link io.torgate.wire.Tcp#fillPartialChecksum}), the device completes it, and when the payload exceeds
     * {@code segmentPayload} it cuts the packet into segments of that many payload bytes, each with the first
     * {@code headerLength} bytes (IP and TCP header) copied and fixed up. Only when {@link #offloadLimit()} > 0.
     *
     * @param transportOffset bytes from the packet start to the TCP header
     */
    default void commitOffloaded(int length, int transportOffset, int headerLength, int segmentPayload) {
        throw new UnsupportedOperationException("this sink takes complete packets only");
    }
}
