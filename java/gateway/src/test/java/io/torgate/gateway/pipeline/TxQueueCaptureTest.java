package io.torgate.gateway.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.torgate.gateway.capture.CaptureTap;
import io.torgate.gateway.classify.DropReason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On the offload path the transmit queue reports each packet to capture as the IP packet it is, past the
 * virtio-net header it writes in front (a super-segment as one packet, before the kernel cuts it).
 */
class TxQueueCaptureTest {
    /** First byte and length of every packet reported as sent. */
    private static final class Sent implements CaptureTap {
        final List<String> seen = new ArrayList<>();

        @Override
        public void received(ByteBuffer buf, int offset, int length) {
            seen.add("received");
        }

        @Override
        public void sent(ByteBuffer buf, int offset, int length) {
            seen.add(Integer.toHexString(buf.get(offset) & 0xFF) + "/" + length);
        }

        @Override
        public void dropped(ByteBuffer buf, int offset, int length, DropReason reason) {
            seen.add("dropped");
        }
    }

    @Test
    void reportsTheIpPacketNotTheVirtioHeader() {
        TxQueueOffloadTest.RecordingTun tun = new TxQueueOffloadTest.RecordingTun(true);
        Sent sent = new Sent();
        TxQueue tx = TxQueue.packed(tun, 16, 4 * tun.maxFrame(), sent);
        int a = tx.claim();
        tx.buffer().put(a, (byte) 0x45);
        tx.commit(40);
        int b = tx.claim(60_000);
        tx.buffer().put(b, (byte) 0x45);
        tx.commitOffloaded(60_000, 20, 52, 1448);
        tx.claim();
        tx.commit(0); // abandoned: not reported
        tx.flush();
        assertEquals(List.of("45/40", "45/60000"), sent.seen);
        assertEquals(2, tun.frames.size());
        assertEquals(10 + 40, tun.frames.get(0).length, "the TUN got the header in front");
    }
}
