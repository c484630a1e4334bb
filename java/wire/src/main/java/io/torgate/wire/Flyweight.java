package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * What every flyweight in this package holds: a view of {@code length} bytes of a buffer from absolute index
 * {@code offset}. Subclasses add {@code wrap} (returning their own type, for fluent use), {@code checkLength()}
 * and the field accessors. Only this package can subclass it.
 *
 * <p>Ownership: the buffer belongs to the caller; a flyweight keeps a reference and indexes, never a copy, and is
 * reused by one thread for many packets. Not thread-safe.
 */
public abstract class Flyweight {
    ByteBuffer buf;
    int offset;
    int length;

    Flyweight() {
    }

    /** Records the view; the subclass's {@code wrap} calls this and returns itself. */
    final void view(ByteBuffer buf, int offset, int length) {
        this.buf = buf;
        this.offset = offset;
        this.length = length;
    }

    /** The wrapped buffer. */
    public final ByteBuffer buffer() {
        return buf;
    }

    /** Absolute index of the first wrapped byte. */
    public final int offset() {
        return offset;
    }

    /** Number of wrapped bytes. */
    public final int length() {
        return length;
    }

    /** True when the wrapped range lies inside the buffer's limit and holds at least {@code minimum} bytes. */
    final boolean fits(int minimum) {
        return Bounds.fits(buf, offset, length, minimum);
    }
}
