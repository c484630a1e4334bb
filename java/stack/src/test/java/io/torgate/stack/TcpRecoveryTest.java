package io.torgate.stack;

import static io.torgate.stack.Seg.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Tcp;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Loss recovery and the idle-side timers: RTO, fast retransmit/NewReno, SACK recovery, persist, keepalive. */
class TcpRecoveryTest {
    private static final int MSS = 1460;
    private static final long SECOND = 1_000_000_000L;

    private static TcpHarness established(TcpConfig cfg) {
        TcpHarness h = new TcpHarness(cfg);
        h.established();
        return h;
    }

    /** ESTABLISHED with six full segments sent and unacknowledged (cwnd IW10 allows them all). */
    private static TcpHarness sixSegmentsInFlight(boolean sack) {
        TcpHarness h = established(TcpHarness.defaults().sack(sack).sendBuffer(16 * MSS));
        h.appWrite(6 * MSS);
        for (int i = 0; i < 6; i++) {
            h.expect(segment().seq(h.sndData() + i * MSS).len(MSS));
        }
        return h;
    }

    @Nested
    class RetransmissionTimeout {
        @Test
        void backsOffExponentiallyThenGivesUpWithReset() {
            TcpHarness h = established(TcpHarness.defaults().maxRetransmits(4));
            h.appWrite(100);
            h.expect(segment().seq(h.sndData()).len(100));
            long rto = SECOND; // RFC 6298 §2.1: 1 s before any RTT sample
            for (int i = 0; i < 4; i++) {
                assertEquals(h.now + rto, h.conn.nextDeadline());
                h.advance(rto - 1);
                h.expectNothing();
                h.advance(1);
                h.expect(segment().seq(h.sndData()).len(100));
                rto *= 2; // RFC 6298 §5.5
            }
            h.advance(rto);
            h.expect(segment().rst().seq(h.sndData() + 100));
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_TIMEOUT));
            assertEquals(4, h.counters.get(TcpCounters.RETRANSMITS));
            assertEquals(1, h.counters.get(TcpCounters.RETRY_LIMIT));
        }

        @Test
        void goesBackToUnaWithOneSegmentThenSlowStarts() {
            TcpHarness h = established(TcpHarness.defaults());
            h.appWrite(3 * MSS);
            for (int i = 0; i < 3; i++) {
                h.expect(segment().seq(h.sndData() + i * MSS).len(MSS));
            }
            h.advance(SECOND);
            h.expect(segment().seq(h.sndData()).len(MSS)); // cwnd = 1 MSS after a timeout (RFC 5681 §3.1)
            h.expectNothing();
            h.send(segment().ack(h.sndData() + MSS).window(512));
            h.expect(segment().seq(h.sndData() + MSS).len(MSS));
            h.expect(segment().seq(h.sndData() + 2 * MSS).len(MSS));
            h.expectNothing();
        }

        @Test
        void rttSampleSetsTheTimeoutAndAnAckRestartsIt() {
            TcpHarness h = established(TcpHarness.defaults());
            h.appWrite(100);
            h.expect(segment().len(100));
            h.advanceMillis(100);
            h.send(segment().ack(h.sndData() + 100).window(512));
            // RFC 6298 §2.2: SRTT = 100 ms, RTTVAR = 50 ms, RTO = max(200 ms floor, 100 + 4 × 50) = 300 ms.
            assertEquals(100_000_000L, h.conn.snd.rtt.srttNanos());
            assertEquals(Long.MAX_VALUE, h.conn.nextDeadline()); // everything acknowledged: timer off (§5.2)
            h.appWrite(100);
            h.expect(segment().len(100));
            assertEquals(h.now + 300_000_000L, h.conn.nextDeadline());
        }
    }

    @Nested
    class Regressions {
        @Test
        void headIsRetransmittedIntoAZeroWindowAndASlowReaderIsNotTimedOut() {
            TcpHarness h = established(TcpHarness.defaults().maxRetransmits(2));
            int d = h.sndData();
            h.appWrite(100);
            h.expect(segment().seq(d).len(100));
            for (int i = 0; i < 5; i++) {
                h.send(segment().ack(d).window(0)); // the data was dropped by a full receiver, which still answers
                h.advance(h.conn.nextDeadline() - h.now);
                h.expect(segment().seq(d).len(100)); // the head doubles as a window probe
            }
            h.expectState(TcpState.ESTABLISHED);
            h.send(segment().ack(d + 100).window(512));
            assertEquals(0, h.conn.unsent());
        }

        @Test
        void aZeroWindowThatReopensGetsTheHeadAtOnceWithoutBackoff() {
            TcpHarness h = established(TcpHarness.defaults().sendBuffer(16 * MSS));
            int d = h.sndData();
            h.appWrite(3 * MSS);
            for (int i = 0; i < 3; i++) {
                h.expect(segment().seq(d + i * MSS).len(MSS));
            }
            h.send(segment().ack(d + MSS).window(0)); // the receiver filled up: segments 1 and 2 were dropped
            for (int i = 0; i < 4; i++) {
                h.advance(h.conn.nextDeadline() - h.now);
                h.expect(segment().seq(d + MSS).len(MSS)); // the head, as the zero-window probe
                h.send(segment().ack(d + MSS).window(0));
            }
            assertEquals(4, h.conn.snd.rtt.backoffs());
            h.send(segment().ack(d + MSS).window(512)); // the application read: window update, no new data acked
            h.expect(segment().seq(d + MSS).len(MSS)); // resent now, not after the backed-off timeout
            assertEquals(0, h.conn.snd.rtt.backoffs());
            assertEquals(h.now + h.conn.snd.rtt.rtoNanos(), h.conn.nextDeadline());
            h.send(segment().ack(d + 2 * MSS).window(512));
            h.expect(segment().seq(d + 2 * MSS).len(MSS));
        }

        @Test
        void anAckOfNewDataEndsTheBackoff() {
            TcpHarness h = established(TcpHarness.defaults().sendBuffer(16 * MSS));
            int d = h.sndData();
            h.appWrite(2 * MSS);
            h.expect(segment().seq(d).len(MSS));
            h.expect(segment().seq(d + MSS).len(MSS));
            for (int i = 0; i < 3; i++) {
                h.advance(h.conn.nextDeadline() - h.now);
                h.expect(segment().seq(d).len(MSS));
            }
            assertEquals(3, h.conn.snd.rtt.backoffs());
            h.send(segment().ack(d + MSS).window(512)); // Karn: no RTT sample from a retransmitted segment
            assertEquals(0, h.conn.snd.rtt.backoffs(), "new data acknowledged: back-off over");
            assertEquals(h.now + SECOND, h.conn.nextDeadline(), "the un-backed-off RTO (1 s before any sample)");
        }

        @Test
        void aProbeDoesNotReplaceAnOwedAck() {
            TcpHarness h = established(TcpHarness.defaults());
            int d = h.sndData();
            h.peerData(100).advanceMillis(40);
            h.expect(segment().ackOnly().ack(TcpHarness.PEER_ISS + 101));
            h.send(segment().ack(d).window(0));
            h.appWrite(10);
            h.expectNothing();
            h.advance(SECOND); // the persist timer fires while an old duplicate arrives
            h.send(segment().seq(TcpHarness.PEER_ISS + 1).ack(d).window(0).len(100));
            h.expect(segment().ackOnly().seq(d - 1)); // the probe, which the peer will discard
            h.expect(segment().ackOnly().seq(d).ack(TcpHarness.PEER_ISS + 101)); // and the ACK it can use
        }

        @Test
        void anAckOfNewDataAlwaysCarriesTheWindow() {
            TcpHarness h = established(TcpHarness.defaults());
            int d = h.sndData();
            h.appWrite(2 * MSS);
            h.poll();
            h.send(segment().seq(TcpHarness.PEER_ISS + 201).ack(d).window(512).len(100)); // SND.WL1 := peer + 201
            h.send(segment().seq(TcpHarness.PEER_ISS + 1).ack(d + MSS).window(0)); // older SEG.SEQ, new ACK
            assertEquals(0, h.conn.snd.window);
        }

        @Test
        void bareAcksAfterATimeoutUseTheHighestSequenceSent() {
            TcpHarness h = established(TcpHarness.defaults());
            int d = h.sndData();
            h.appWrite(3 * MSS);
            h.poll();
            h.sink.packets.clear();
            h.advance(SECOND);
            h.expect(segment().seq(d).len(MSS));
            h.peerData(10).peerData(10);
            h.expect(segment().ackOnly().seq(d + 3 * MSS).len(0)); // not the rewound SND.NXT, which it has seen
        }
    }

    @Nested
    class FastRetransmit {
        @Test
        void thirdDuplicateAckRetransmitsAndAFullAckEndsRecovery() {
            TcpHarness h = sixSegmentsInFlight(false);
            int d = h.sndData();
            for (int i = 0; i < 2; i++) {
                h.send(segment().ack(d).window(512));
                h.expectNothing();
            }
            h.send(segment().ack(d).window(512));
            h.expect(segment().seq(d).len(MSS)); // RFC 5681 §3.2 step 2
            assertTrue(h.conn.snd.cc.inRecovery());
            assertEquals(1, h.counters.get(TcpCounters.FAST_RETRANSMITS));
            h.send(segment().ack(d + 6 * MSS).window(512));
            assertFalse(h.conn.snd.cc.inRecovery());
        }

        @Test
        void partialAckRetransmitsTheNextHole() {
            TcpHarness h = sixSegmentsInFlight(false);
            int d = h.sndData();
            for (int i = 0; i < 3; i++) {
                h.send(segment().ack(d).window(512));
            }
            h.expect(segment().seq(d).len(MSS));
            h.send(segment().ack(d + 2 * MSS).window(512)); // segments 1 and 3 were lost: partial ACK
            h.expect(segment().seq(d + 2 * MSS).len(MSS)); // RFC 6582 §3.2 step 3
            assertTrue(h.conn.snd.cc.inRecovery());
        }

        @Test
        void duplicateAckNeedsNoDataAndAnUnchangedWindow() {
            TcpHarness h = established(TcpHarness.defaults().sack(false).sendBuffer(16 * MSS));
            int d = h.sndData();
            h.appWrite(4 * MSS);
            h.poll();
            h.sink.packets.clear();
            h.send(segment().ack(d).window(511)); // window update, not a duplicate
            h.send(segment().ack(d).window(511).payload("x"));
            h.peerNxt++;
            h.send(segment().ack(d).window(511));
            assertEquals(1, h.conn.snd.cc.dupAcks());
        }
    }

    @Nested
    class SackRecovery {
        @Test
        void retransmitsEveryHoleTheScoreboardShows() {
            TcpHarness h = sixSegmentsInFlight(true);
            int d = h.sndData();
            // Segments 0 and 2 lost; the peer SACKs 1, then 1 and 3, then 1 and 3-5.
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 2 * MSS));
            h.send(segment().ack(d).window(512).sack(d + 3 * MSS, d + 4 * MSS).sack(d + MSS, d + 2 * MSS));
            h.expectNothing();
            h.send(segment().ack(d).window(512).sack(d + 3 * MSS, d + 6 * MSS).sack(d + MSS, d + 2 * MSS));
            h.expect(segment().seq(d).len(MSS)); // fast retransmit of the first hole
            h.expect(segment().seq(d + 2 * MSS).len(MSS)); // and the second, in the same round trip
            h.expectNothing();
            assertEquals(4 * MSS, h.conn.snd.buffer.sackedBytes());
            h.send(segment().ack(d + 6 * MSS).window(512));
            assertFalse(h.conn.snd.cc.inRecovery());
            assertEquals(0, h.conn.unsent());
        }

        /** A fast retransmission lost too: new data sent after it is SACKed, so it goes again without an RTO. */
        @Test
        void aLostFastRetransmissionIsResentWhenDataSentAfterItArrives() {
            TcpHarness h = sixSegmentsInFlight(true);
            int d = h.sndData();
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 2 * MSS));
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 3 * MSS));
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 4 * MSS));
            h.expect(segment().seq(d).len(MSS)); // fast retransmit of segment 0 ...
            h.appWrite(2 * MSS);
            h.expect(segment().seq(d + 6 * MSS).len(MSS)); // ... then new data, sent after it
            h.expect(segment().seq(d + 7 * MSS).len(MSS));
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 6 * MSS)); // only what was sent before it
            h.expectNothing();
            // Segment 6 arrives; the retransmission of 0, sent before it, did not: it was lost as well.
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 7 * MSS));
            h.expect(segment().seq(d).len(MSS));
            h.expectNothing();
            assertEquals(1, h.counters.get(TcpCounters.LOST_RETRANSMITS));
            assertEquals(0, h.counters.get(TcpCounters.RTO_EXPIRED), "repaired without waiting for the timer");
            h.send(segment().ack(d + 8 * MSS).window(512));
            assertFalse(h.conn.snd.cc.inRecovery());
            assertEquals(0, h.conn.unsent());
        }

        /**
         * RFC 8985 §6.2: evidence alone is not enough while the retransmission is younger than SRTT plus a quarter
         * (it may still be on its way, overtaken by a reordered segment); the next ACK after that age resends it.
         */
        @Test
        void aYoungRetransmissionGetsAnRttBeforeItIsDeclaredLost() {
            TcpHarness h = established(TcpHarness.defaults().sack(true).sendBuffer(16 * MSS));
            int d = h.sndData();
            h.appWrite(MSS);
            h.expect(segment().seq(d).len(MSS));
            h.advanceMillis(100);
            h.send(segment().ack(d + MSS).window(512)); // SRTT = 100 ms: a retransmission is lost after 125 ms
            int b = d + MSS;
            h.appWrite(6 * MSS);
            for (int i = 0; i < 6; i++) {
                h.expect(segment().seq(b + i * MSS).len(MSS));
            }
            h.send(segment().ack(b).window(512).sack(b + MSS, b + 2 * MSS));
            h.send(segment().ack(b).window(512).sack(b + MSS, b + 3 * MSS));
            h.send(segment().ack(b).window(512).sack(b + MSS, b + 4 * MSS));
            h.expect(segment().seq(b).len(MSS)); // fast retransmit at t0
            h.appWrite(2 * MSS);
            h.expect(segment().seq(b + 6 * MSS).len(MSS));
            h.expect(segment().seq(b + 7 * MSS).len(MSS));
            h.advanceMillis(10);
            h.send(segment().ack(b).window(512).sack(b + MSS, b + 7 * MSS));
            h.expectNothing(); // data sent after it arrived, but it is only 10 ms old
            h.advanceMillis(120);
            h.send(segment().ack(b).window(512).sack(b + MSS, b + 8 * MSS));
            h.expect(segment().seq(b).len(MSS)); // 130 ms old: lost, sent again
            assertEquals(1, h.counters.get(TcpCounters.LOST_RETRANSMITS));
        }

        /** Of two retransmissions, the later one is SACKed and the earlier is not: the earlier was lost. */
        @Test
        void aRetransmissionSentBeforeADeliveredOneIsResent() {
            TcpHarness h = sixSegmentsInFlight(true);
            int d = h.sndData();
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 2 * MSS));
            h.send(segment().ack(d).window(512).sack(d + 3 * MSS, d + 4 * MSS).sack(d + MSS, d + 2 * MSS));
            h.send(segment().ack(d).window(512).sack(d + 3 * MSS, d + 6 * MSS).sack(d + MSS, d + 2 * MSS));
            h.expect(segment().seq(d).len(MSS)); // retransmission of 0
            h.expect(segment().seq(d + 2 * MSS).len(MSS)); // then of 2
            h.expectNothing();
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 6 * MSS)); // 2 arrived, 0 did not
            h.expect(segment().seq(d).len(MSS));
            h.expectNothing();
            assertEquals(1, h.counters.get(TcpCounters.LOST_RETRANSMITS));
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 6 * MSS)); // a duplicate says nothing new
            h.expectNothing();
            h.send(segment().ack(d + 6 * MSS).window(512));
            assertFalse(h.conn.snd.cc.inRecovery());
        }

        @Test
        void sackBlocksOutsideWhatWeSentAreIgnored() {
            TcpHarness h = established(TcpHarness.defaults());
            int d = h.sndData();
            h.appWrite(MSS);
            h.poll();
            h.send(segment().ack(d).window(512).sack(d + 5000, d + 6000));
            assertEquals(0, h.conn.snd.buffer.sackedBytes());
        }

        @Test
        void timeoutForgetsTheScoreboard() {
            TcpHarness h = established(TcpHarness.defaults().sendBuffer(16 * MSS));
            int d = h.sndData();
            h.appWrite(3 * MSS);
            h.poll();
            h.send(segment().ack(d).window(512).sack(d + MSS, d + 2 * MSS));
            assertEquals(MSS, h.conn.snd.buffer.sackedBytes());
            h.sink.packets.clear();
            h.advance(SECOND);
            h.expect(segment().seq(d).len(MSS));
            assertEquals(0, h.conn.snd.buffer.sackedBytes()); // RFC 2018 §8
        }
    }

    @Nested
    class Persist {
        @Test
        void probesAZeroWindowWithBackoffUntilItOpens() {
            TcpHarness h = established(TcpHarness.defaults());
            h.send(segment().ack(h.sndData()).window(0));
            h.appWrite(100);
            h.expectNothing();
            h.advance(SECOND);
            h.expect(segment().ackOnly().seq(h.sndData() - 1).len(0));
            h.advance(SECOND);
            h.expectNothing();
            h.advance(SECOND); // second probe after 2 s
            h.expect(segment().ackOnly().seq(h.sndData() - 1).len(0));
            assertEquals(2, h.counters.get(TcpCounters.PERSIST_PROBES));
            h.send(segment().ack(h.sndData()).window(512));
            h.expect(segment().seq(h.sndData()).len(100));
        }

        @Test
        void persistsForeverWhileTheReceiverAnswers() {
            TcpHarness h = established(TcpHarness.defaults().maxRetransmits(3));
            h.send(segment().ack(h.sndData()).window(0));
            h.appWrite(100);
            h.poll();
            for (int i = 0; i < 10; i++) {
                h.advance(h.conn.nextDeadline() - h.now);
                h.expect(segment().seq(h.sndData() - 1).len(0));
                h.send(segment().ack(h.sndData()).window(0)); // RFC 1122 §4.2.2.17: still zero, still alive
            }
            h.expectState(TcpState.ESTABLISHED);
        }

        @Test
        void givesUpWhenProbesGoUnanswered() {
            TcpHarness h = established(TcpHarness.defaults().maxRetransmits(3));
            h.send(segment().ack(h.sndData()).window(0));
            h.appWrite(100);
            h.poll();
            for (int i = 0; i < 3; i++) {
                h.advance(h.conn.nextDeadline() - h.now);
                h.expect(segment().seq(h.sndData() - 1).len(0));
            }
            h.advance(h.conn.nextDeadline() - h.now);
            h.expect(segment().rst());
            assertTrue(h.event(TcpConnection.EV_TIMEOUT));
        }
    }

    @Nested
    class Keepalive {
        @Test
        void probesAfterIdleAndGivesUpAfterUnansweredProbes() {
            TcpHarness h = established(TcpHarness.defaults().keepalive(10 * SECOND, SECOND, 3));
            h.peerData(1).advanceMillis(40);
            h.expect(segment().ackOnly());
            h.advance(10 * SECOND);
            h.expect(segment().ackOnly().seq(h.sndData() - 1).len(0));
            h.send(segment().ack(h.sndData()).window(512)); // answered: idle time restarts
            h.advance(SECOND);
            h.expectNothing();
            h.advance(9 * SECOND);
            h.expect(segment().seq(h.sndData() - 1));
            for (int i = 0; i < 2; i++) {
                h.advance(SECOND);
                h.expect(segment().seq(h.sndData() - 1));
            }
            h.advance(SECOND);
            h.expect(segment().rst());
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_TIMEOUT));
            assertEquals(4, h.counters.get(TcpCounters.KEEPALIVE_PROBES)); // one answered, three not
        }

        @Test
        void noProbesWhileDataIsOutstanding() {
            TcpHarness h = established(TcpHarness.defaults().keepalive(SECOND / 2, SECOND, 1).maxRetransmits(20));
            h.peerData(1).advanceMillis(40);
            h.expect(segment().ackOnly());
            h.appWrite(100);
            h.expect(segment().len(100));
            h.advance(SECOND / 2);
            h.expectNothing(); // the retransmission timer, not keepalive, watches a busy connection
            h.advance(SECOND / 2);
            h.expect(segment().len(100)); // RTO
            assertEquals(0, h.counters.get(TcpCounters.KEEPALIVE_PROBES));
        }

        @Test
        void offByDefault() {
            TcpHarness h = established(TcpHarness.defaults());
            assertEquals(Long.MAX_VALUE, h.conn.nextDeadline());
        }
    }

    @Test
    void fullSinkKeepsWorkPending() {
        TcpHarness h = established(TcpHarness.defaults());
        h.appWrite(100);
        h.sink.full = true;
        h.poll();
        assertTrue(h.counters.get(TcpCounters.SINK_FULL) > 0);
        h.sink.full = false;
        h.expect(segment().flags(Tcp.ACK | Tcp.PSH).len(100));
    }
}
