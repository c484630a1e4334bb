package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * The range check every flyweight's {@code checkLength()} starts with. Absolute {@code ByteBuffer} reads fail at
 * the buffer's limit (not its capacity), so the wrapped range must end at or before {@code limit()}.
 * Stateless and thread-safe.
 */
final class Bounds {
    private Bounds() {
    }

    /**
     * True when {@code [offset, offset + length)} lies inside {@code buf}'s limit and holds at least
     * {@code minimum} bytes; false (never an exception) for a null buffer or a negative offset.
     */
    static boolean fits(ByteBuffer buf, int offset, int length, int minimum) {
        return buf != null && offset >= 0 && length >= minimum && offset <= buf.limit() - length;
    }
}
