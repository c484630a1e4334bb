package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReceiveBufferTest {
    private static final byte[] TEXT = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);

    private static int offer(ReceiveBuffer rb, int seq, int from, int to) {
        return rb.offer(seq, ByteBuffer.wrap(TEXT), from, to - from);
    }

    private static String readAll(ReceiveBuffer rb) {
        ByteBuffer dst = ByteBuffer.allocate(64);
        rb.read(dst);
        return new String(dst.array(), 0, dst.position(), StandardCharsets.US_ASCII);
    }

    @Test
    void inOrderDataAdvancesAndReads() {
        ReceiveBuffer rb = new ReceiveBuffer(16);
        rb.reset(1000);
        assertEquals(5, offer(rb, 1000, 0, 5));
        assertEquals(1005, rb.rcvNxt());
        assertEquals(5, rb.readable());
        assertEquals(11, rb.window());
        assertEquals("01234", readAll(rb));
        assertEquals(16, rb.window());
    }

    @Test
    void outOfOrderDataIsHeldUntilTheHoleFills() {
        ReceiveBuffer rb = new ReceiveBuffer(32);
        rb.reset(0);
        assertEquals(0, offer(rb, 5, 5, 10));
        assertEquals(0, offer(rb, 15, 15, 20));
        assertTrue(rb.hasOutOfOrder());
        assertEquals(10, rb.outOfOrderBytes());
        assertEquals(32, rb.window(), "out-of-order data does not shrink the advertised window");
        int[] l = new int[4];
        int[] r = new int[4];
        assertEquals(2, rb.sackBlocks(l, r, 4));
        assertArrayEquals(new int[] {15, 5}, new int[] {l[0], l[1]}, "most recent block first (RFC 2018 §4)");
        assertArrayEquals(new int[] {20, 10}, new int[] {r[0], r[1]});
        assertEquals(10, offer(rb, 0, 0, 5), "filling the hole delivers the held range too");
        assertEquals(1, rb.sackBlocks(l, r, 4));
        assertEquals(15, l[0]);
        assertEquals(10, offer(rb, 10, 10, 15));
        assertFalse(rb.hasOutOfOrder());
        assertEquals("0123456789abcdefghij", readAll(rb));
    }

    @Test
    void duplicatesAndOldDataAreTrimmed() {
        ReceiveBuffer rb = new ReceiveBuffer(32);
        rb.reset(0);
        offer(rb, 0, 0, 10);
        assertEquals(0, offer(rb, 0, 0, 10));
        assertEquals(5, offer(rb, 5, 5, 15), "overlap with received data: only the new tail counts");
        assertEquals("0123456789abcde", readAll(rb));
    }

    @Test
    void dataBeyondTheWindowIsCut() {
        ReceiveBuffer rb = new ReceiveBuffer(8);
        rb.reset(-4);
        assertEquals(8, offer(rb, -4, 0, 20));
        assertEquals(4, rb.rcvNxt(), "RCV.NXT wraps through 0");
        assertEquals(0, rb.window());
        assertEquals(0, offer(rb, 4, 8, 12));
        assertEquals("01234567", readAll(rb));
        assertEquals(4, offer(rb, 4, 8, 12));
        assertEquals("89ab", readAll(rb));
    }

    @Test
    void fullRangeTableEvictsTheFarthestRange() {
        ReceiveBuffer rb = new ReceiveBuffer(1024);
        rb.reset(0);
        ByteBuffer one = ByteBuffer.wrap(new byte[] {7});
        for (int i = 0; i < ReceiveBuffer.MAX_RANGES; i++) {
            rb.offer(10 + 2 * i, one, 0, 1);
        }
        assertEquals(ReceiveBuffer.MAX_RANGES, rb.outOfOrderBytes());
        rb.offer(500, one, 0, 1);
        assertEquals(ReceiveBuffer.MAX_RANGES, rb.outOfOrderBytes(), "a farther range is refused");
        rb.offer(2, one, 0, 1);
        int[] l = new int[64];
        int[] r = new int[64];
        int n = rb.sackBlocks(l, r, 64);
        assertEquals(ReceiveBuffer.MAX_RANGES, n);
        assertEquals(2, l[0]);
        for (int i = 0; i < n; i++) {
            assertTrue(l[i] < 10 + 2 * (ReceiveBuffer.MAX_RANGES - 1), "the farthest range was evicted");
        }
    }

    @Test
    void ringWrapsAcrossTheEnd() {
        ReceiveBuffer rb = new ReceiveBuffer(10);
        rb.reset(0);
        offer(rb, 0, 0, 7);
        assertEquals("0123456", readAll(rb));
        offer(rb, 10, 10, 14);
        offer(rb, 7, 7, 10);
        assertEquals("0123456789abcd".substring(7), readAll(rb));
    }
}
