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
}
