package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import java.nio.ByteBuffer;

/**
 * A tap that treats the three hook points alike: each becomes one {@link #packet} call with a direction and, for
 * drops, a reason; the pair is stored per packet as one int "kind" ({@link #kind}, {@link #direction(int)},
 * {@link #reason(int)}) so rings keep it in a primitive array.
 *
 * <p>Thread-safety: as the subclass's {@link #packet}.
 */
abstract class KindTap implements CaptureTap {
    @Override
    public final void received(ByteBuffer buf, int offset, int length) {
        packet(buf, offset, length, RECEIVED, null);
    }

    @Override
    public final void sent(ByteBuffer buf, int offset, int length) {
        packet(buf, offset, length, SENT, null);
    }

    @Override
    public final void dropped(ByteBuffer buf, int offset, int length, DropReason reason) {
        packet(buf, offset, length, DROPPED, reason);
    }

    /** One packet at a hook point; {@code reason} is null unless {@code direction} is {@link #DROPPED}. */
    abstract void packet(ByteBuffer buf, int offset, int length, int direction, DropReason reason);

    /** Direction in the low byte, reason ordinal + 1 above it (0: no reason). */
    static int kind(int direction, DropReason reason) {
        return direction | (reason == null ? 0 : reason.ordinal() + 1) << 8;
    }

    static int direction(int kind) {
        return kind & 0xFF;
    }

    static DropReason reason(int kind) {
        return (kind >>> 8) == 0 ? null : DropReason.of((kind >>> 8) - 1);
    }

    /** True when {@code [offset, offset + length)} lies within the buffer's limit and is not empty. */
    static boolean inBounds(ByteBuffer buf, int offset, int length) {
        return offset >= 0 && length > 0 && offset <= buf.limit() - length;
    }
}
