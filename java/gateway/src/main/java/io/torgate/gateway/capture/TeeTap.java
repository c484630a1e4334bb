package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import java.nio.ByteBuffer;

/**
 * Hands every packet to two taps, e.g. the always-on {@link FlightRecorder} and a running {@link PcapCapture}.
 * Immutable; as thread-safe as its two taps.
 *
 * @param first called first
 * @param second called second
 */
public record TeeTap(CaptureTap first, CaptureTap second) implements CaptureTap {
    @Override
    public void received(ByteBuffer buf, int offset, int length) {
        first.received(buf, offset, length);
        second.received(buf, offset, length);
    }

    @Override
    public void sent(ByteBuffer buf, int offset, int length) {
        first.sent(buf, offset, length);
        second.sent(buf, offset, length);
    }

    @Override
    public void dropped(ByteBuffer buf, int offset, int length, DropReason reason) {
        first.dropped(buf, offset, length, reason);
        second.dropped(buf, offset, length, reason);
    }
}
