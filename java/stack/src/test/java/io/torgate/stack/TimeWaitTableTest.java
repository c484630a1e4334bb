package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Tcp;
import io.torgate.wire.WireError;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** TIME-WAIT answers per RFC 9293 §3.10.7.4, bounded size with oldest-first eviction, lazy expiry, no allocation. */
class TimeWaitTableTest {
    private static final int LOCAL = 0x5DB8_D822;
    private static final int REMOTE = 0x0A89_0005;
    private static final long MSL2 = 60_000_000_000L;
    /** Our SND.NXT (after our FIN) and the peer's RCV.NXT (after its FIN). */
    private static final int SND = 5001;
    private static final int RCV = 9001;

    private final TimeWaitTable table = new TimeWaitTable(4, MSL2);
    private final TcpSegment segment = new TcpSegment();
    private final TcpCounters counters = new TcpCounters();
    private final ByteBuffer buf = ByteBuffer.allocate(128);
    private final Tcp tcp = new Tcp();
    private long now = 1_000_000_000_000L;

    /** A segment from the peer's {@code port} to our port 80. */
    private TcpSegment from(int port, int flags, int seq, int ack) {
        tcp.wrap(buf, 0, buf.capacity());
        int hl = tcp.writeHeader(port, 80, seq, ack, flags, 512, null, 0);
        tcp.wrap(buf, 0, hl).fillChecksum(REMOTE, LOCAL);
        assertEquals(WireError.OK, segment.parse(buf, 0, hl, REMOTE, LOCAL, counters));
        return segment;
    }

    private void add(int port) {
        table.add(LOCAL, 80, REMOTE, port, SND, RCV, now);
    }

    @Test
    void unknownTupleIsNotFound() {
        add(40000);
        assertEquals(TimeWaitTable.NOT_FOUND, table.onSegment(from(40001, Tcp.ACK, RCV, SND), now));
    }

    @Test
    void retransmittedFinIsAcknowledgedAgainAndRestartsTheWait() {
        add(40000);
        now += MSL2 - 1;
        assertEquals(TimeWaitTable.ACK, table.onSegment(from(40000, Tcp.FIN | Tcp.ACK, RCV - 1, SND), now));
        assertEquals(SND, table.ackSeq());
        assertEquals(RCV, table.ackNumber());
        now += MSL2 - 1; // past the first deadline, within the restarted one
        assertEquals(TimeWaitTable.ACK, table.onSegment(from(40000, Tcp.FIN | Tcp.ACK, RCV - 1, SND), now));
        assertEquals(1, table.size());
    }

    @Test
    void aLatePureAckIsDroppedAndOtherSegmentsGetAnAck() {
        add(40000);
        assertEquals(TimeWaitTable.DROP, table.onSegment(from(40000, Tcp.ACK, RCV, SND), now));
        assertEquals(TimeWaitTable.ACK, table.onSegment(from(40000, Tcp.ACK, RCV + 100, SND), now));
        assertEquals(TimeWaitTable.ACK, table.onSegment(from(40000, Tcp.SYN, RCV - 10, 0), now),
            "an old SYN gets the ACK (the peer then resets its side)");
        assertEquals(2, table.acks());
    }

    @Test
    void onlyAnExactResetEndsTheWait() {
        add(40000);
        assertEquals(TimeWaitTable.DROP, table.onSegment(from(40000, Tcp.RST, RCV + 1, 0), now));
        assertEquals(1, table.size(), "RST not at RCV.NXT: ignored (RFC 5961)");
        assertEquals(TimeWaitTable.DROP, table.onSegment(from(40000, Tcp.RST, RCV, 0), now));
        assertEquals(0, table.size());
        assertEquals(TimeWaitTable.NOT_FOUND, table.onSegment(from(40000, Tcp.ACK, RCV, SND), now));
    }

    @Test
    void aNewSynAboveTheOldSequenceSpaceEndsTheWait() {
        add(40000);
        assertEquals(TimeWaitTable.NEW_SYN, table.onSegment(from(40000, Tcp.SYN, RCV + 100_000, 0), now));
        assertEquals(0, table.size());
    }

    @Test
    void entriesExpireAfterTwoMslWithoutATimer() {
        add(40000);
        now += MSL2 / 2;
        add(40001);
        now += MSL2 / 2;
        assertEquals(TimeWaitTable.NOT_FOUND, table.onSegment(from(40000, Tcp.FIN | Tcp.ACK, RCV - 1, SND), now));
        assertEquals(1, table.size());
        assertEquals(TimeWaitTable.ACK, table.onSegment(from(40001, Tcp.FIN | Tcp.ACK, RCV - 1, SND), now));
        assertEquals(1, table.expire(now + MSL2));
        assertEquals(0, table.size());
    }

    @Test
    void aFullTableEvictsTheOldest() {
        for (int p = 40000; p < 40006; p++) {
            add(p);
            now += 1_000_000;
        }
        assertEquals(4, table.size());
        assertEquals(2, table.evicted());
        assertEquals(TimeWaitTable.NOT_FOUND, table.onSegment(from(40000, Tcp.ACK, RCV + 5, SND), now));
        assertEquals(TimeWaitTable.NOT_FOUND, table.onSegment(from(40001, Tcp.ACK, RCV + 5, SND), now));
        for (int p = 40002; p < 40006; p++) {
            assertEquals(TimeWaitTable.ACK, table.onSegment(from(p, Tcp.ACK, RCV + 5, SND), now));
        }
    }

    @Test
    void steadyStateChurnAllocatesNothing() {
        TimeWaitTable big = new TimeWaitTable(1024, MSL2);
        for (int i = 0; i < 5_000; i++) { // warm-up: JIT, and every ring slot used once
            big.add(LOCAL, 80, REMOTE + i, 40000 + (i & 0x3FFF), SND, RCV, now + i);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        int answers = 0;
        for (int i = 0; i < 100_000; i++) {
            big.add(LOCAL, 80, REMOTE + i, 40000 + (i & 0x3FFF), SND, RCV, now + i);
            answers += big.onSegment(from(40000 + (i & 0x3FFF), Tcp.FIN | Tcp.ACK, RCV - 1, SND), now + i);
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(answers > 0);
        assertEquals(1024, big.size());
        assertTrue(allocated < 16 * 1024, allocated + " bytes allocated for 100,000 entries and lookups");
    }
}
