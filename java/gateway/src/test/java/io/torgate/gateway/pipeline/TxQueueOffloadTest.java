package io.torgate.gateway.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.capture.CaptureTap;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import io.torgate.wire.VirtioNetHeader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packed transmit batch of the offload path: headers, packing, flush on a full buffer. */
class TxQueueOffloadTest {
    /** A TUN with a virtio-net header and TSO that records each written frame and the offset it came from. */
    static final class RecordingTun implements TunDevice {
        final List<byte[]> frames = new ArrayList<>();
        final List<Integer> offsets = new ArrayList<>();
        private final boolean tso;

        RecordingTun(boolean tso) {
            this.tso = tso;
        }

        @Override
        public String name() {
            return "rec0";
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public int vnetHeaderLength() {
            return VirtioNetHeader.LENGTH;
        }

        @Override
        public boolean segmentationOffload() {
            return tso;
        }

        @Override
        public int maxFrame() {
            return (tso ? MAX_SUPER_SEGMENT : 1500) + VirtioNetHeader.LENGTH;
        }

        @Override
        public boolean isNative() {
            return false;
        }

        @Override
        public int read(PacketBatch batch, int firstSlot, int maxCount) {
            return 0;
        }

        @Override
        public int write(PacketBatch batch, int firstSlot, int count) {
            for (int i = firstSlot; i < firstSlot + count; i++) {
                byte[] f = new byte[batch.length(i)];
                batch.buffer().get(batch.slotOffset(i), f);
                frames.add(f);
                offsets.add(batch.slotOffset(i));
            }
            return count;
        }

        @Override
        public boolean await(int timeoutMillis) {
            return false;
        }

        @Override
        public void close() {
        }
    }

    private static byte[] header(byte[] frame) {
        byte[] h = new byte[VirtioNetHeader.LENGTH];
        System.arraycopy(frame, 0, h, 0, h.length);
        return h;
    }

    private static byte[] expectedHeader(int flags, int gso, int hdrLen, int gsoSize, int start, int offset) {
        ByteBuffer b = ByteBuffer.allocate(VirtioNetHeader.LENGTH);
        VirtioNetHeader.write(b, 0, flags, gso, hdrLen, gsoSize, start, offset);
        return b.array();
    }

    @Test
    void writesTheHeaderEachPacketNeedsAndPacksThem() {
        RecordingTun tun = new RecordingTun(true);
        TxQueue tx = TxQueue.packed(tun, 16, 4 * tun.maxFrame(), CaptureTap.NONE);
        assertEquals(65535, tx.offloadLimit());
        int a = tx.claim();
        tx.buffer().put(a, (byte) 0x45);
        tx.commit(40);
        int b = tx.claim(60_000);
        tx.commitOffloaded(60_000, 20, 52, 1448);
        int c = tx.claim(1_000);
        tx.commitOffloaded(1_000, 20, 52, 1448);
        assertEquals(3, tx.flush());

        assertEquals(List.of(a - 10, b - 10, c - 10), tun.offsets);
        assertEquals(0, tun.offsets.get(0));
        assertEquals(64, tun.offsets.get(1), "packed at the next cache line, not a worst-case slot away");
        assertEquals((tun.offsets.get(1) + 60_010 + 63) / 64 * 64, (int) tun.offsets.get(2),
            "then right after the super-segment");
        assertArrayEquals(new byte[10], header(tun.frames.get(0)), "complete checksums: an all-zero header");
        assertEquals(0x45, tun.frames.get(0)[10]);
        assertEquals(50, tun.frames.get(0).length);
        assertArrayEquals(expectedHeader(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 52, 1448, 20, 16),
            header(tun.frames.get(1)), "a super-segment: partial checksum, cut at gso_size");
        assertEquals(60_010, tun.frames.get(1).length);
        assertArrayEquals(expectedHeader(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, 20, 16),
            header(tun.frames.get(2)), "one segment: partial checksum only");
        assertEquals(1, tx.superSegments());
    }

    @Test
    void flushesWhenTheNextPacketMightNotFit() {
        RecordingTun tun = new RecordingTun(true);
        TxQueue tx = TxQueue.packed(tun, 16, 2 * tun.maxFrame(), CaptureTap.NONE);
        for (int i = 0; i < 3; i++) {
            tx.claim(65_535);
            tx.commitOffloaded(65_000, 20, 52, 1448);
        }
        assertEquals(2, tun.frames.size(), "the third claim flushed the first two");
        assertEquals(1, tx.pending());
        tx.flush();
        assertEquals(0, tun.offsets.get(2), "a flush starts over at the front");
    }

    @Test
    void withoutTsoOnlyChecksumOffload() {
        RecordingTun tun = new RecordingTun(false);
        TxQueue tx = TxQueue.packed(tun, 16, 4 * tun.maxFrame(), CaptureTap.NONE);
        assertEquals(0, tx.offloadLimit());
        assertThrows(IllegalArgumentException.class, () -> tx.claim(1501));
        tx.claim(1500);
        assertThrows(IllegalStateException.class, () -> tx.commitOffloaded(1500, 20, 40, 1000));
        tx.commitOffloaded(1500, 20, 40, 1460);
        tx.flush();
        assertTrue(tun.frames.get(0)[0] == VirtioNetHeader.F_NEEDS_CSUM && tun.frames.get(0)[1] == 0);
    }
}
