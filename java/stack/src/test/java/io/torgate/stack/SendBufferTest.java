package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SendBufferTest {
    private static String copy(SendBuffer sb, int seq, int len) {
        ByteBuffer dst = ByteBuffer.allocate(64);
        int n = sb.copy(seq, dst, 3, len);
        return new String(dst.array(), 3, n, StandardCharsets.US_ASCII);
    }

    private static int write(SendBuffer sb, String s) {
        return sb.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void writeCopyAcknowledge() {
        SendBuffer sb = new SendBuffer(8);
        sb.reset(-3);
        assertEquals(8, write(sb, "0123456789"));
        assertEquals(0, sb.free());
        assertEquals("2345", copy(sb, -1, 4));
        assertEquals("67", copy(sb, 3, 10), "copy stops at the data held");
        assertEquals("", copy(sb, 5, 1), "past the end");
        assertEquals("", copy(sb, -4, 1), "before SND.UNA");
        assertEquals(5, sb.acknowledge(2));
        assertEquals(2, sb.sndUna());
        assertEquals(0, sb.acknowledge(1), "old ack ignored");
        assertEquals(3, write(sb, "abc"));
        assertEquals("567abc", copy(sb, 2, 10), "data wraps around the ring end");
        assertEquals(6, sb.acknowledge(100), "ack beyond the data (FIN) frees everything held");
        assertEquals(8, sb.sndUna());
        assertEquals(0, sb.length());
    }

    @Test
    void scoreboardTracksSackedRanges() {
        SendBuffer sb = new SendBuffer(100);
        sb.reset(1000);
        sb.write(ByteBuffer.allocate(100));
        sb.markSacked(1010, 1020);
        sb.markSacked(1030, 1040);
        sb.markSacked(1020, 1025);
        sb.markSacked(900, 1001);
        sb.markSacked(1090, 1200);
        assertEquals(1 + 15 + 10 + 10, sb.sackedBytes());
        assertTrue(sb.isSacked(1000));
        assertFalse(sb.isSacked(1001));
        assertTrue(sb.isSacked(1024));
        assertFalse(sb.isSacked(1025));
        assertEquals(1025, sb.nextUnsackedFrom(1010));
        assertEquals(1005, sb.nextUnsackedFrom(1005));
        assertEquals(1100, sb.highestSacked());
        sb.acknowledge(1035);
        assertEquals(5 + 10, sb.sackedBytes(), "ack trims the scoreboard");
        sb.clearScoreboard();
        assertEquals(0, sb.sackedBytes());
        assertFalse(sb.isSacked(1036));
    }

    /**
     * A producer fills claimed space in place (the relay's socket read): the spans follow the ring across chunk
     * boundaries and its end, what is committed reads back like written data, and a chunk that only the unfilled
     * rest took goes back to the pool at once.
     */
    @Test
    void claimedSpansFilledInPlaceBecomeDataAndTheUnusedRestIsReleased() {
        ChunkPool pool = new ChunkPool(64, new BufferBudget(1 << 20), 16);
        SendBuffer sb = new SendBuffer(200, pool); // 4 chunks, the last one used for 8 bytes only
        sb.reset(0);
        assertEquals(150, sb.write(ByteBuffer.allocate(150)));
        assertEquals(100, sb.acknowledge(100)); // 50 bytes held at ring index 100..149
        ByteBuffer[] spans = new ByteBuffer[6];
        int k = sb.claim(spans, 1000);
        assertEquals(4, k, "ring index 150..191, 192..199, then past the end 0..63 and 64..99");
        int[] sizes = {42, 8, 64, 36};
        for (int i = 0; i < k; i++) {
            assertEquals(sizes[i], spans[i].remaining(), "span " + i);
        }
        assertEquals(4, sb.chunksHeld());
        byte[] data = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer src = ByteBuffer.wrap(data);
        for (int i = 0; i < k && src.hasRemaining(); i++) {
            ByteBuffer part = src.slice(src.position(), Math.min(src.remaining(), spans[i].remaining()));
            src.position(src.position() + part.remaining());
            spans[i].put(part);
        }
        sb.commit(data.length);
        assertEquals(50 + data.length, sb.length());
        assertEquals(new String(data, StandardCharsets.US_ASCII), copy(sb, 150, 64));
        assertEquals(3, sb.chunksHeld(), "ring index 0..63, taken by the claim and left empty, was given back");
        assertEquals(3 * 64, pool.budget().used());
        assertEquals(1, write(sb, "x"), "the buffer works on after the claim");
        assertEquals("Ix", copy(sb, 150 + data.length - 1, 2));
        assertEquals(0, sb.claim(spans, 0));
        sb.commit(0);
        assertEquals(50 + data.length + 1, sb.acknowledge(1000));
        assertEquals(0, sb.chunksHeld());
        assertEquals(0, pool.budget().used());
    }

    /** Free space that wraps back into the chunk it starts in is handed out up to that chunk's start only. */
    @Test
    void aClaimNeverHandsOutOneChunkTwice() {
        SendBuffer sb = new SendBuffer(200, new ChunkPool(64, new BufferBudget(1 << 20), 16));
        sb.reset(0);
        sb.write(ByteBuffer.allocate(150));
        sb.acknowledge(140); // 10 bytes held at ring index 140..149, in the chunk of 128..191
        ByteBuffer[] spans = new ByteBuffer[8];
        int k = sb.claim(spans, 1000);
        assertEquals(4, k, "150..191, 192..199, 0..63 and 64..127; not 128..139 again");
        assertEquals(42 + 8 + 64 + 64, spans[0].remaining() + spans[1].remaining() + spans[2].remaining()
            + spans[3].remaining());
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                assertTrue(spans[i] != spans[j], "span " + i + " and " + j + " are one chunk");
            }
        }
        sb.commit(0);
    }

    @Test
    void aClaimTakesOnlyWhatThePoolGrants() {
        ChunkPool pool = new ChunkPool(64, new BufferBudget(2 * 64), 16);
        SendBuffer sb = new SendBuffer(1000, pool);
        sb.reset(0);
        ByteBuffer[] spans = new ByteBuffer[20];
        assertEquals(2, sb.claim(spans, 1000));
        assertEquals(128, spans[0].remaining() + spans[1].remaining());
        sb.commit(0);
        assertEquals(0, sb.chunksHeld(), "nothing committed, nothing held");
        assertEquals(0, pool.budget().used());
    }
}
