package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The shard's chunk pool and the on-demand rings built on it: exhaustion, return, accounting, reuse. */
class ChunkPoolTest {
    private static final int CHUNK = 64;

    private static ByteBuffer bytes(int n, int seed) {
        ByteBuffer b = ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) (i * 31 + seed));
        }
        return b;
    }

    @Test
    void exhaustionRefusesAndCounts() {
        BufferBudget budget = new BufferBudget(3 * CHUNK);
        ChunkPool p = new ChunkPool(CHUNK, budget, 8);
        java.nio.ByteBuffer a = p.take();
        java.nio.ByteBuffer b = p.take();
        java.nio.ByteBuffer c = p.take();
        assertNotNull(c);
        assertNull(p.take(), "the budget holds three chunks");
        assertEquals(1, p.refused());
        assertEquals(1, budget.refusals(), "the budget counts the refusal too");
        assertEquals(3 * CHUNK, budget.used());
        p.give(b);
        assertSame(b, p.take(), "a returned chunk is reused, not a new one made");
        assertEquals(3, p.made());
        p.give(a);
        p.give(b);
        p.give(c);
        assertEquals(0, p.lent());
        assertEquals(3, p.free());
        assertEquals(0, budget.used(), "chunks kept for reuse are not charged: the budget counts lent bytes");
    }

    @Test
    void chunksBeyondKeepFreeGoBackToTheBudget() {
        BufferBudget budget = new BufferBudget(1 << 20);
        ChunkPool p = new ChunkPool(CHUNK, budget, 1);
        java.nio.ByteBuffer a = p.take();
        java.nio.ByteBuffer b = p.take();
        p.give(a);
        p.give(b);
        assertEquals(1, p.free(), "one kept, the other left to the GC");
        assertEquals(0, budget.used());
        p.take();
        p.take();
        assertEquals(3, p.made(), "the kept chunk was reused, one new one made");
    }

    @Test
    void rejectsBadSizes() {
        BufferBudget budget = new BufferBudget(1);
        assertThrows(IllegalArgumentException.class, () -> new ChunkPool(100, budget, 1));
        assertThrows(IllegalArgumentException.class, () -> new ChunkPool(32, budget, 1));
        assertThrows(IllegalArgumentException.class, () -> new ChunkPool(64, budget, -1));
    }

    @Test
    void idleBuffersHoldNothingAndReuseChunksAfterClose() {
        ChunkPool p = new ChunkPool(CHUNK, new BufferBudget(1 << 20), 16);
        SendBuffer sb = new SendBuffer(1000, p);
        ReceiveBuffer rb = new ReceiveBuffer(1000, p);
        sb.reset(7);
        rb.reset(7);
        assertEquals(0, p.lent(), "a new connection's buffers take nothing");
        sb.write(bytes(300, 1));
        assertEquals(5, sb.chunksHeld(), "300 bytes span five 64-byte chunks");
        sb.acknowledge(7 + 300);
        assertEquals(0, sb.chunksHeld());
        rb.offer(7, bytes(300, 2), 0, 300);
        assertEquals(5, rb.chunksHeld());
        ByteBuffer out = ByteBuffer.allocate(300);
        rb.read(out);
        assertArrayEquals(bytes(300, 2).array(), out.array());
        assertEquals(0, p.lent(), "drained buffers give every chunk back");
        long made = p.made();
        sb.reset(1);
        sb.write(bytes(200, 3));
        assertEquals(made, p.made(), "after close the next data reuses the pool's chunks");
        sb.reset(1); // retirement discards what is held
        assertEquals(0, p.lent());
    }

    @Test
    void acknowledgmentsReturnChunksLeftBehindWhileDataStays() {
        ChunkPool p = new ChunkPool(CHUNK, new BufferBudget(1 << 20), 16);
        SendBuffer sb = new SendBuffer(640, p);
        sb.reset(0);
        sb.write(bytes(640, 4));
        assertEquals(10, sb.chunksHeld());
        sb.acknowledge(130); // chunks 0 and 1 left behind, chunk 2 still holds bytes 130..191
        assertEquals(8, sb.chunksHeld());
        sb.write(bytes(100, 5)); // wraps into chunks 0 and 1 again
        assertEquals(10, sb.chunksHeld());
        ByteBuffer dst = ByteBuffer.allocate(610);
        assertEquals(610, sb.copy(130, dst, 0, 610));
        assertEquals(bytes(640, 4).get(639), dst.get(509));
        assertEquals(bytes(100, 5).get(99), dst.get(609), "the copy crosses the wrap and five chunk boundaries");
    }

    @Test
    void receiveAcrossChunkBoundariesWithOutOfOrderDataAndSack() {
        ChunkPool p = new ChunkPool(CHUNK, new BufferBudget(1 << 20), 16);
        ReceiveBuffer rb = new ReceiveBuffer(500, p);
        rb.reset(1000);
        ByteBuffer data = bytes(500, 6);
        assertEquals(0, rb.offer(1000 + 200, data, 200, 100), "out of order, chunks 3 and 4");
        assertEquals(2, rb.chunksHeld());
        int[] left = new int[4];
        int[] right = new int[4];
        assertEquals(1, rb.sackBlocks(left, right, 4));
        assertEquals(1200, left[0]);
        assertEquals(1300, right[0]);
        assertEquals(0, rb.offer(1000 + 400, data, 400, 100), "the window's last chunk is partial (500 = 7 x 64 + 52)");
        assertEquals(300, rb.offer(1000, data, 0, 200), "RCV.NXT moves over the first range too");
        assertEquals(300, rb.readable(), "the hole filled up to the second range");
        ByteBuffer out = ByteBuffer.allocate(500);
        out.limit(150);
        rb.read(out); // head moves into chunk 2: chunks 0 and 1 go back, the range at 400 keeps its own
        assertEquals(5, rb.chunksHeld(), "held: chunks 2..4 of the in-order data and 6..7 of the range");
        assertEquals(200, rb.offer(1300, data, 300, 100), "fills chunk 5 and reaches the range");
        assertEquals(6, rb.chunksHeld());
        out.limit(500);
        rb.read(out);
        assertArrayEquals(data.array(), out.array());
        assertEquals(0, rb.chunksHeld());
    }

    @Test
    void shortMemoryDropsTheUnacknowledgedTailAndKeepsWhatWasAcknowledged() {
        ChunkPool p = new ChunkPool(CHUNK, new BufferBudget(2 * CHUNK), 2);
        ReceiveBuffer rb = new ReceiveBuffer(1000, p);
        rb.reset(0);
        ByteBuffer data = bytes(1000, 7);
        assertEquals(128, rb.offer(0, data, 0, 300), "two chunks of memory: 128 bytes taken, the rest dropped");
        assertEquals(1, rb.shortOfMemory());
        assertEquals(1000 - 128, rb.window(), "the window is honest about capacity; the drop is the memory answer");
        assertEquals(0, rb.offer(128, data, 128, 100), "no memory: nothing stored, RCV.NXT stays");
        assertEquals(128, rb.rcvNxt());
        ByteBuffer out = ByteBuffer.allocate(1000);
        rb.read(out);
        assertEquals(128, rb.offer(128, data, 128, 172), "reading freed the memory: the retransmission is stored");
        rb.read(out);
        assertEquals(44, rb.offer(256, data, 256, 44));
        rb.read(out);
        assertArrayEquals(java.util.Arrays.copyOf(data.array(), 300), java.util.Arrays.copyOf(out.array(), 300));
    }

    @Test
    void inOrderDataRenegesOnOutOfOrderDataThatHoldsTheMemory() {
        ChunkPool p = new ChunkPool(CHUNK, new BufferBudget(2 * CHUNK), 2);
        ReceiveBuffer rb = new ReceiveBuffer(1000, p);
        rb.reset(0);
        ByteBuffer data = bytes(1000, 8);
        rb.offer(500, data, 500, 128);
        assertTrue(rb.hasOutOfOrder());
        assertEquals(2, p.lent());
        assertEquals(64, rb.offer(0, data, 0, 64), "RFC 2018 §8: the hole at RCV.NXT must stay fillable");
        assertTrue(!rb.hasOutOfOrder());
    }

    @Test
    void zeroWindowHoldsExactlyTheCapacity() {
        ChunkPool p = new ChunkPool(CHUNK, new BufferBudget(1 << 20), 16);
        ReceiveBuffer rb = new ReceiveBuffer(200, p);
        rb.reset(0);
        ByteBuffer data = bytes(300, 9);
        assertEquals(200, rb.offer(0, data, 0, 300));
        assertEquals(0, rb.window());
        assertEquals(4, rb.chunksHeld(), "200 bytes: three full chunks and the partial fourth");
        assertEquals(0, rb.offer(200, data, 200, 1), "a probe beyond the zero window is not stored");
        ByteBuffer out = ByteBuffer.allocate(200);
        rb.read(out);
        assertEquals(0, p.lent());
    }
}
