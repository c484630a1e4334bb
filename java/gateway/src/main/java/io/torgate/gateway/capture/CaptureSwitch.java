package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import java.nio.ByteBuffer;

/**
 * The tap the packet path holds in a {@code final} field: a switch in front of whatever capture is running. Off
 * (the normal state) each call is one field load and a null check, which JMH shows costs nothing measurable
 * (bench/results/capture.md). {@link #attach} and {@link #detach} turn a capture on and off while the gateway
 * runs (the control socket's {@code capture start|stop}).
 *
 * <p>Thread-safety: any thread may attach/detach; the packet threads read the target with a volatile load (a
 * plain load on x86 and ARMv8's LDAR), so a started capture is seen on the next packet and a stopped one is
 * not called again after its {@link #detach} returns plus one packet per thread in flight. A detached capture
 * must therefore still accept (and may ignore) calls for a moment: {@link PcapCapture} does.
 */
public final class CaptureSwitch implements CaptureTap {
    private volatile CaptureTap target;

    /** Starts sending packets to {@code tap} (replacing any previous target, which is returned). */
    public CaptureTap attach(CaptureTap tap) {
        CaptureTap old = target;
        target = tap;
        return old;
    }

    /** Stops capturing; returns the target that was attached, or null. */
    public CaptureTap detach() {
        CaptureTap old = target;
        target = null;
        return old;
    }

    /** The attached target, or null when capture is off. */
    public CaptureTap target() {
        return target;
    }

    @Override
    public void received(ByteBuffer buf, int offset, int length) {
        CaptureTap t = target;
        if (t != null) {
            t.received(buf, offset, length);
        }
    }

    @Override
    public void sent(ByteBuffer buf, int offset, int length) {
        CaptureTap t = target;
        if (t != null) {
            t.sent(buf, offset, length);
        }
    }

    @Override
    public void dropped(ByteBuffer buf, int offset, int length, DropReason reason) {
        CaptureTap t = target;
        if (t != null) {
            t.dropped(buf, offset, length, reason);
        }
    }
}
