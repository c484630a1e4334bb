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
}
