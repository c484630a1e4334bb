package io.torgate.stack;

import static io.torgate.stack.Seg.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Tcp;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The closing half of the RFC 9293 diagram: every close transition, half-close both ways, RST per state. */
class TcpCloseTest {
    private static final int FIN_ACK = Tcp.FIN | Tcp.ACK;
    private static final long TIME_WAIT = 60_000_000_000L;

    private TcpHarness h;

    @BeforeEach
    void setUp() {
        h = new TcpHarness(TcpHarness.defaults());
        h.established();
    }

    /** ESTABLISHED → FIN-WAIT-1 with our FIN on the wire (seq = ISS + 1). */
    private void finWait1() {
        h.conn.shutdownOutput();
        h.expectState(TcpState.FIN_WAIT_1);
        h.expect(segment().flags(FIN_ACK).seq(h.sndData()).ack(h.peerNxt));
    }

    private void finWait2() {
        finWait1();
        h.send(segment().ack(h.sndData() + 1).window(512));
        h.expectState(TcpState.FIN_WAIT_2);
        h.expectNothing();
    }

    private void closeWait() {
        h.peerFin();
        h.expectState(TcpState.CLOSE_WAIT);
        h.expect(segment().ackOnly().ack(h.peerNxt));
        assertTrue(h.event(TcpConnection.EV_REMOTE_FIN));
    }

    private void timeWait() {
        finWait2();
        h.peerFin();
        h.expectState(TcpState.TIME_WAIT);
        h.expect(segment().ackOnly().seq(h.sndData() + 1).ack(h.peerNxt));
    }

    /** The peer's FIN sent before it saw ours: it acknowledges our data but not our FIN. */
    private void crossingFin() {
        h.send(segment().flags(FIN_ACK).seq(h.peerNxt).ack(h.sndData()).window(512));
        h.peerNxt++;
    }

    @Nested
    class FinWait1 {
        @BeforeEach
        void to() {
            finWait1();
        }

        @Test
        void ackOfFinGoesToFinWait2() {
            h.send(segment().ack(h.sndData() + 1).window(512));
            h.expectState(TcpState.FIN_WAIT_2);
        }

        @Test
        void simultaneousCloseGoesThroughClosing() {
            crossingFin(); // their FIN does not acknowledge ours: both FINs crossed
            h.expectState(TcpState.CLOSING);
            h.expect(segment().ackOnly().ack(h.peerNxt));
            h.send(segment().ack(h.sndData() + 1).seq(h.peerNxt).window(512));
            h.expectState(TcpState.TIME_WAIT);
        }

        @Test
        void finAckingOurFinGoesStraightToTimeWait() {
            h.send(segment().flags(FIN_ACK).seq(h.peerNxt).ack(h.sndData() + 1).window(512));
            h.expectState(TcpState.TIME_WAIT);
            h.expect(segment().ackOnly().ack(h.peerNxt + 1));
        }

        @Test
        void stillReceivesData() {
            h.peerData(10).peerData(10);
            h.expect(segment().ackOnly().ack(h.peerNxt));
            assertEquals(20, h.conn.readable());
        }

        @Test
        void finIsRetransmittedOnTimeout() {
            h.advanceMillis(1000);
            h.expect(segment().flags(FIN_ACK).seq(h.sndData()));
        }

        @Test
        void writeIsRefusedAfterShutdown() {
            assertEquals(-1, h.conn.write(ByteBuffer.wrap(new byte[] {1})));
        }

        @Test
        void exactResetCloses() {
            h.send(segment().rst().seq(h.peerNxt));
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_RESET));
        }
    }

    @Nested
    class FinWait2 {
        @BeforeEach
        void to() {
            finWait2();
        }

        @Test
        void peerFinGoesToTimeWait() {
            h.peerFin();
            h.expectState(TcpState.TIME_WAIT);
            h.expect(segment().ackOnly().ack(h.peerNxt));
            assertTrue(h.event(TcpConnection.EV_TIME_WAIT));
        }

        @Test
        void halfCloseStillDeliversPeerData() {
            h.peerData(500).peerData(500);
            h.expect(segment().ackOnly().ack(h.peerNxt));
            assertEquals(1000, h.conn.read(ByteBuffer.allocate(2000)));
        }

        @Test
        void halfClosedWaitsForThePeerAsLongAsItTakes() {
            assertEquals(Long.MAX_VALUE, h.conn.nextDeadline());
        }

        @Test
        void afterAFullCloseTimesOutWhenThePeerNeverCloses() {
            h.conn.close(h.now);
            h.advance(60_000_000_000L);
            h.poll();
            h.expectState(TcpState.CLOSED);
            assertEquals(1, h.counters.get(TcpCounters.FIN_WAIT_2_TIMEOUTS));
        }

        @Test
        void inWindowResetIsChallenged() {
            h.send(segment().rst().seq(h.peerNxt + 10));
            h.expect(segment().ackOnly().ack(h.peerNxt));
            h.expectState(TcpState.FIN_WAIT_2);
        }
    }

    @Nested
    class CloseWait {
        @BeforeEach
        void to() {
            closeWait();
        }

        @Test
        void halfCloseStillSendsOurData() {
            h.appWrite(100);
            h.expect(segment().flags(Tcp.ACK | Tcp.PSH).seq(h.sndData()).len(100));
            assertTrue(h.event(TcpConnection.EV_WRITABLE));
        }

        @Test
        void closeGoesToLastAckThenClosed() {
            h.conn.shutdownOutput();
            h.expectState(TcpState.LAST_ACK);
            h.expect(segment().flags(FIN_ACK).seq(h.sndData()).ack(h.peerNxt));
            h.send(segment().ack(h.sndData() + 1).seq(h.peerNxt).window(512));
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_CLOSED));
            assertTrue(h.event(TcpConnection.EV_ESTABLISHED)); // it was a real connection, closed gracefully
            assertEquals(0, h.conn.events() & TcpConnection.EV_RESET);
        }

        @Test
        void dataAfterFinIsIgnored() {
            h.send(segment().seq(h.peerNxt).ack(h.sndData()).window(512).payload("late"));
            assertEquals(0, h.conn.readable());
        }

        @Test
        void retransmittedFinIsAckedAgain() {
            h.send(segment().flags(FIN_ACK).seq(h.peerNxt - 1).ack(h.sndData()).window(512));
            h.expect(segment().ackOnly().ack(h.peerNxt));
            h.expectState(TcpState.CLOSE_WAIT);
        }

        @Test
        void exactResetCloses() {
            h.send(segment().rst().seq(h.peerNxt));
            h.expectState(TcpState.CLOSED);
        }
    }

    @Nested
    class LastAck {
        @BeforeEach
        void to() {
            closeWait();
            h.conn.shutdownOutput();
            h.expect(segment().flags(FIN_ACK));
        }

        @Test
        void finIsRetransmittedUntilAcked() {
            h.advanceMillis(1000);
            h.expect(segment().flags(FIN_ACK).seq(h.sndData()));
            h.send(segment().ack(h.sndData() + 1).seq(h.peerNxt).window(512));
            h.expectState(TcpState.CLOSED);
        }

        @Test
        void resetCloses() {
            h.send(segment().rst().seq(h.peerNxt));
            h.expectState(TcpState.CLOSED);
        }
    }

    @Nested
    class Closing {
        @BeforeEach
        void to() {
            finWait1();
            crossingFin();
            h.expect(segment().ackOnly());
            h.expectState(TcpState.CLOSING);
        }

        @Test
        void ackOfFinGoesToTimeWait() {
            h.send(segment().ack(h.sndData() + 1).seq(h.peerNxt).window(512));
            h.expectState(TcpState.TIME_WAIT);
        }

        @Test
        void resetCloses() {
            h.send(segment().rst().seq(h.peerNxt));
            h.expectState(TcpState.CLOSED);
        }
    }

    @Nested
    class TimeWait {
        @BeforeEach
        void to() {
            timeWait();
        }

        @Test
        void closesAfterTwoMsl() {
            assertEquals(h.now + TIME_WAIT, h.conn.timeWaitDeadline());
            assertEquals(h.now + TIME_WAIT, h.conn.nextDeadline());
            h.advance(TIME_WAIT - 1);
            h.expectNothing();
            h.expectState(TcpState.TIME_WAIT);
            h.advance(1);
            h.expectNothing();
            h.expectState(TcpState.CLOSED);
        }

        @Test
        void retransmittedFinIsAckedAndRestartsTheTimer() {
            h.advance(TIME_WAIT / 2);
            h.send(segment().flags(FIN_ACK).seq(h.peerNxt - 1).ack(h.sndData() + 1).window(512));
            h.expect(segment().ackOnly().seq(h.sndData() + 1).ack(h.peerNxt));
            assertEquals(h.now + TIME_WAIT, h.conn.timeWaitDeadline());
        }

        @Test
        void exposesWhatACompactTimeWaitEntryNeeds() {
            assertEquals(h.peerNxt, h.conn.rcvNxt());
            assertEquals(h.sndData() + 1, h.conn.sndNxt());
        }

        @Test
        void resetCloses() {
            h.send(segment().rst().seq(h.peerNxt));
            h.expectState(TcpState.CLOSED);
        }
    }

    @Nested
    class Closed {
        @Test
        void everythingButResetIsAnsweredWithReset() {
            h.conn.abort();
            h.expect(segment().rst());
            h.send(segment().seq(5000).ack(777).window(512).payload("x"));
            h.expect(segment().rst().seq(777));
            h.send(segment().flags(Tcp.PSH).seq(5000).payload("abc"));
            h.expect(segment().flags(Tcp.RST | Tcp.ACK).seq(0).ack(5003));
            h.send(segment().rst().seq(5000));
            h.expectNothing();
        }
    }

    @Nested
    class StatelessReplies {
        @Test
        void ownerAnswersStraySegmentsWithReset() {
            TcpSegment s = new TcpSegment();
            TcpOutput out = new TcpOutput(64, 1500);
            CapturingSink sink = new CapturingSink();
            TcpCounters counters = new TcpCounters();
            ByteBuffer b = ByteBuffer.allocate(100);
            assertEquals(io.torgate.wire.WireError.OK, buildSyn(b, s, counters));
            assertTrue(out.writeResetFor(sink, s));
            CapturingSink.Out rst = sink.packets.poll();
            assertEquals(Tcp.RST | Tcp.ACK, rst.flags());
            assertEquals(43, rst.ack());
            assertEquals(TcpHarness.REMOTE, rst.dst());
            assertEquals(TcpHarness.REMOTE_PORT, rst.dstPort());
        }

        private int buildSyn(ByteBuffer b, TcpSegment s, TcpCounters counters) {
            Tcp tcp = new Tcp().wrap(b, 0, 100);
            int hl = tcp.writeHeader(TcpHarness.REMOTE_PORT, 80, 42, 0, Tcp.SYN, 1000, null, 0);
            tcp.wrap(b, 0, hl).fillChecksum(TcpHarness.REMOTE, TcpHarness.LOCAL);
            return s.parse(b, 0, hl, TcpHarness.REMOTE, TcpHarness.LOCAL, counters);
        }
    }
}
