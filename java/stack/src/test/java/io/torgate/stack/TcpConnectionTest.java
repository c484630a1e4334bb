package io.torgate.stack;

import static io.torgate.stack.Seg.segment;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Tcp;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Packet-level tests of the handshake and the ESTABLISHED data path, one nested class per state. */
class TcpConnectionTest {
    private static final int PEER = TcpHarness.PEER_ISS;

    private TcpHarness h;

    @BeforeEach
    void setUp() {
        h = new TcpHarness(TcpHarness.defaults());
    }

    /** Pooled connections: the congestion state object is reset per handshake, for the new SMSS, never re-made. */
    @Test
    void aReopenedConnectionReusesItsCongestionStateWithTheNewMss() {
        h.established();
        CongestionControl first = h.conn.snd.cc;
        assertEquals(1460, first.mss());
        h.conn.abort();
        h.poll();
        h.sink.packets.clear();
        h.conn.open(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT);
        int peerIss = PEER + 1_000_000;
        h.send(segment().syn().seq(peerIss).mss(536).sackPermitted().windowScale(7).window(64240));
        h.conn.accept(h.now);
        CapturingSink.Out synAck = h.expect(segment().synAck().ack(peerIss + 1));
        h.send(segment().seq(peerIss + 1).ack(synAck.seq() + 1).window(512));
        h.expectState(TcpState.ESTABLISHED);
        assertTrue(first == h.conn.snd.cc, "the same object, reset");
        assertEquals(536, first.mss());
        assertEquals(10 * 536, first.cwnd());
    }

    @Nested
    class Listen {
        @Test
        void holdsSynUntilTheOwnerDecides() {
            h.synHeld();
            h.expectState(TcpState.LISTEN);
            h.advanceMillis(5_000);
            h.expectNothing(); // no SYN-ACK while the owner waits for Tor
        }

        @Test
        void absorbsDuplicateSyns() {
            h.synHeld();
            h.send(segment().syn().seq(PEER).mss(1460));
            h.send(segment().syn().seq(PEER).mss(1460));
            h.expectNothing();
            assertEquals(2, h.counters.get(TcpCounters.DUPLICATE_SYNS));
            h.conn.accept(h.now);
            h.expect(segment().synAck().ack(PEER + 1));
            h.expectNothing(); // exactly one SYN-ACK
        }

        @Test
        void acceptSendsSynAckWithOurOptions() {
            h.synHeld();
            h.conn.accept(h.now);
            h.expect(segment().synAck().ack(PEER + 1).mss(1460).sackPermitted().windowScale(0).window(8192));
            h.expectState(TcpState.SYN_RECEIVED);
        }

        @Test
        void refuseSendsResetAndCloses() {
            h.synHeld();
            h.conn.refuse();
            h.expect(segment().flags(Tcp.RST | Tcp.ACK).seq(0).ack(PEER + 1));
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_CLOSED | TcpConnection.EV_RESET));
        }

        @Test
        void ackWithoutSynIsAnsweredByReset() {
            h.send(segment().ack(5555).seq(PEER + 1));
            h.expect(segment().rst().seq(5555));
            h.expectState(TcpState.LISTEN);
        }

        @Test
        void resetIsIgnoredUnlessItCancelsTheHeldSyn() {
            h.send(segment().rst().seq(PEER));
            h.expectNothing();
            h.expectState(TcpState.LISTEN);
            h.synHeld();
            h.send(segment().rst().seq(PEER + 1));
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_RESET));
            h.expectNothing();
        }

        @Test
        void withoutPeerOptionsFallsBackToDefaults() {
            h.send(segment().syn().seq(PEER).window(1000));
            h.conn.accept(h.now);
            // No window scale, no SACK offered back; MSS still announced (RFC 9293 §3.7.1).
            CapturingSink.Out synAck = h.expect(segment().synAck().ack(PEER + 1).mss(1460).windowScale(-1));
            assertFalse(synAck.sackPermitted());
            h.iss = synAck.seq();
            h.send(segment().ack(h.iss + 1).window(1000));
            h.appWrite(1200);
            // 536 bytes per segment (RFC 9293 §3.7.1 default MSS) and the 1000-byte unscaled window.
            h.expect(segment().ackOnly().seq(h.sndData()).len(536));
            h.expectNothing(); // 464 more would fit, but that runt is below half the window (sender SWS)
            h.send(segment().ack(h.sndData() + 536).window(1000));
            h.expect(segment().ackOnly().seq(h.sndData() + 536).len(536));
            h.expect(segment().flags(Tcp.ACK | Tcp.PSH).seq(h.sndData() + 1072).len(128));
            h.expectNothing();
        }
    }

    @Nested
    class SynReceived {
        @BeforeEach
        void to() {
            h.synReceived();
        }

        @Test
        void ackCompletesTheHandshake() {
            h.send(segment().ack(h.iss + 1).window(512));
            h.expectState(TcpState.ESTABLISHED);
            assertTrue(h.event(TcpConnection.EV_ESTABLISHED | TcpConnection.EV_WRITABLE));
        }

        @Test
        void duplicateSynRetransmitsSynAck() {
            h.send(segment().syn().seq(PEER).mss(1460));
            h.expect(segment().synAck().seq(h.iss).ack(PEER + 1));
            h.expectState(TcpState.SYN_RECEIVED);
        }

        @Test
        void synAckIsRetransmittedWithBackoffThenGivesUp() {
            long rto = 1_000_000_000L;
            for (int i = 0; i < 5; i++) {
                h.advance(rto - 1);
                h.expectNothing();
                h.advance(1);
                h.expect(segment().synAck().seq(h.iss));
                rto *= 2;
            }
            h.advance(rto);
            h.poll();
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_TIMEOUT));
        }

        @Test
        void unacceptableAckIsReset() {
            h.send(segment().ack(h.iss + 100).window(512));
            h.expect(segment().rst().seq(h.iss + 100));
            h.expectState(TcpState.SYN_RECEIVED);
        }

        @Test
        void resetAtRcvNxtCloses() {
            h.send(segment().rst().seq(PEER + 1));
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_RESET));
        }

        @Test
        void resetInWindowGetsChallengeAck() {
            h.send(segment().rst().seq(PEER + 100));
            h.expectState(TcpState.SYN_RECEIVED);
            h.expect(segment().ackOnly().ack(PEER + 1));
        }

        @Test
        void finInSynReceivedGoesToCloseWait() {
            h.send(segment().flags(Tcp.ACK | Tcp.FIN).ack(h.iss + 1).window(512));
            h.expectState(TcpState.CLOSE_WAIT);
            h.expect(segment().ackOnly().ack(PEER + 2));
        }

        @Test
        void closeBeforeEstablishedSendsFinAfterTheAck() {
            h.conn.shutdownOutput();
            h.expectState(TcpState.SYN_RECEIVED);
            h.send(segment().ack(h.iss + 1).window(512));
            h.expectState(TcpState.FIN_WAIT_1);
            h.expect(segment().flags(Tcp.FIN | Tcp.ACK).seq(h.iss + 1));
        }
    }

    @Nested
    class Established {
        @BeforeEach
        void to() {
            h.established();
        }

        @Test
        void inOrderDataIsDelayedAckedThenReadable() {
            h.peerData(100);
            h.expectNothing(); // delayed ACK
            assertTrue(h.event(TcpConnection.EV_READABLE));
            h.advanceMillis(40);
            h.expect(segment().ackOnly().ack(PEER + 101).window(8192 - 100));
            ByteBuffer dst = ByteBuffer.allocate(1000);
            assertEquals(100, h.conn.read(dst));
            assertFalse(h.event(TcpConnection.EV_READABLE));
        }

        @Test
        void everySecondSegmentIsAckedAtOnce() {
            h.peerData(100).peerData(100);
            h.expect(segment().ackOnly().ack(PEER + 201));
        }

        @Test
        void outOfOrderDataIsAckedAtOnceWithSack() {
            h.send(segment().seq(PEER + 101).ack(h.sndData()).window(512).len(100));
            h.expect(segment().ackOnly().ack(PEER + 1).sack(PEER + 101, PEER + 201));
            h.send(segment().seq(PEER + 1).ack(h.sndData()).window(512).len(100));
            // The hole is filled: cumulative ACK at once, no more SACK blocks.
            h.expect(segment().ackOnly().ack(PEER + 201).noSack());
        }

        @Test
        void finBeyondAHoleIsTakenWhenTheHoleFills() {
            h.send(segment().flags(Tcp.ACK | Tcp.FIN).seq(PEER + 101).ack(h.sndData()).window(512).len(100));
            h.expect(segment().ackOnly().ack(PEER + 1).sack(PEER + 101, PEER + 201));
            h.expectState(TcpState.ESTABLISHED);
            h.send(segment().seq(PEER + 1).ack(h.sndData()).window(512).len(100));
            h.expectState(TcpState.CLOSE_WAIT);
            h.expect(segment().ackOnly().ack(PEER + 202)); // data and the FIN, without a retransmission
            assertEquals(200, h.conn.readable());
        }

        @Test
        void duplicateDataIsAckedAtOnce() {
            h.peerData(100);
            h.advanceMillis(40);
            h.expect(segment().ack(PEER + 101));
            h.send(segment().seq(PEER + 1).ack(h.sndData()).window(512).len(100));
            h.expect(segment().ackOnly().ack(PEER + 101));
        }

        @Test
        void sendsDataInMssSegmentsAndStopsAtTheWindow() {
            h.appWrite(4000);
            h.expect(segment().ackOnly().seq(h.sndData()).len(1460));
            h.expect(segment().ackOnly().seq(h.sndData() + 1460).len(1460));
            h.expect(segment().flags(Tcp.ACK | Tcp.PSH).seq(h.sndData() + 2920).len(1080));
            h.expectNothing();
            h.send(segment().ack(h.sndData() + 4000).window(512));
            assertEquals(0, h.conn.unsent());
            h.expectNothing();
        }

        @Test
        void respectsThePeersScaledWindow() {
            h.send(segment().ack(h.sndData()).window(8)); // 8 << 7 = 1024 bytes
            h.appWrite(3000);
            h.expect(segment().seq(h.sndData()).len(1024));
            h.expectNothing();
        }

        @Test
        void payloadBytesAreTheApplicationsBytes() {
            byte[] msg = "hello, tor".getBytes();
            assertEquals(msg.length, h.conn.write(ByteBuffer.wrap(msg)));
            CapturingSink.Out out = h.expect(segment().flags(Tcp.ACK | Tcp.PSH).seq(h.sndData()).ack(PEER + 1));
            assertArrayEquals(msg, out.payload());
        }

        @Test
        void windowShrinksToZeroWhenTheApplicationDoesNotRead() {
            for (int i = 0; i < 8; i++) {
                h.peerData(1024);
                h.poll();
            }
            h.sink.packets.clear();
            assertEquals(0, h.conn.rcv.window());
            h.send(segment().seq(h.peerNxt).ack(h.sndData()).window(512).len(100));
            h.expect(segment().ackOnly().ack(h.peerNxt).window(0)); // nothing beyond the window is taken
            assertEquals(8192, h.conn.readable());
        }

        @Test
        void readingAfterAZeroWindowSendsAWindowUpdate() {
            for (int i = 0; i < 8; i++) {
                h.peerData(1024);
                h.poll();
            }
            h.sink.packets.clear();
            h.conn.read(ByteBuffer.allocate(100));
            h.expectNothing(); // 100 bytes is less than min(MSS, buffer / 2): no update (receiver SWS)
            h.conn.read(ByteBuffer.allocate(4000));
            h.expect(segment().ackOnly().ack(h.peerNxt).window(4100));
        }

        /**
         * Issue 4's backpressure end to end at the segment level: the application stops reading, the advertised
         * window field reaches exactly 0, the peer's persist probes (a byte at RCV.NXT and the seq-1 form Linux
         * sends) are answered with window 0 and their byte is not taken, and the first read that frees a full
         * segment's worth sends the window update at once, with no timer involved (RFC 9293 §3.8.6.2.2, §3.8.6.1).
         */
        @Test
        void zeroWindowAnswersPersistProbesAndReopensAtOnceOnRead() {
            int field = -1;
            for (int i = 0; i < 8; i++) {
                h.peerData(1024);
                h.poll();
                for (CapturingSink.Out out : h.sink.packets) {
                    assertTrue(out.window() < field || field < 0, "the window only shrinks while nobody reads");
                    field = out.window();
                }
                h.sink.packets.clear();
                h.advanceMillis(40); // the delayed ACK of an odd segment
                h.poll();
                for (CapturingSink.Out out : h.sink.packets) {
                    field = out.window();
                }
                h.sink.packets.clear();
            }
            assertEquals(0, field, "the last ACK advertised exactly zero");
            assertEquals(0, h.conn.rcv.windowField(false));
            for (int probe = 0; probe < 3; probe++) {
                h.advance(1_000_000_000L << probe); // the peer's persist timer backs off; we only answer
                h.send(segment().seq(h.peerNxt).ack(h.sndData()).window(512).len(1));
                h.expect(segment().ackOnly().ack(h.peerNxt).window(0));
                h.send(segment().seq(h.peerNxt - 1).ack(h.sndData()).window(512));
                h.expect(segment().ackOnly().ack(h.peerNxt).window(0));
                h.expectNothing();
            }
            assertEquals(8192, h.conn.readable(), "no probe byte was taken into a full buffer");
            ByteBuffer app = ByteBuffer.allocate(2048);
            assertEquals(2048, h.conn.read(app));
            h.expect(segment().ackOnly().ack(h.peerNxt).window(2048)); // same instant: no delayed-ACK wait
            h.expectNothing();
            h.peerData(1024);
            assertEquals(1024 + 6144, h.conn.readable(), "the reopened window takes data again");
        }

        @Test
        void inWindowSynGetsChallengeAck() {
            h.send(segment().syn().seq(PEER + 50));
            h.expect(segment().ackOnly().seq(h.sndData()).ack(PEER + 1));
            h.expectState(TcpState.ESTABLISHED);
            assertEquals(1, h.counters.get(TcpCounters.CHALLENGE_ACKS));
        }

        @Test
        void exactResetCloses() {
            h.send(segment().rst().seq(PEER + 1));
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_RESET));
            h.expectNothing();
        }

        @Test
        void inWindowResetGetsChallengeAck() {
            h.send(segment().rst().seq(PEER + 2));
            h.expect(segment().ackOnly().ack(PEER + 1));
            h.expectState(TcpState.ESTABLISHED);
        }

        @Test
        void outOfWindowResetIsDropped() {
            h.send(segment().rst().seq(PEER + 100_000));
            h.expectNothing();
            h.expectState(TcpState.ESTABLISHED);
        }

        @Test
        void challengeAcksAreRateLimited() {
            for (int i = 0; i < 15; i++) {
                h.send(segment().rst().seq(PEER + 2 + i));
                h.poll();
            }
            assertEquals(10, h.sink.packets.size());
            assertEquals(5, h.counters.get(TcpCounters.CHALLENGE_ACKS_LIMITED));
            h.sink.packets.clear();
            h.advanceMillis(1000);
            h.send(segment().rst().seq(PEER + 2));
            h.expect(segment().ackOnly());
        }

        @Test
        void blindDataInjectionWithAnOldAckIsChallenged() {
            // RFC 5961 §5.2: data whose ACK lies below SND.UNA − MAX.SND.WND is not taken.
            h.send(segment().seq(PEER + 1).ack(h.sndData() - 200_000).window(512).payload("evil"));
            h.expect(segment().ackOnly().ack(PEER + 1));
            assertEquals(0, h.conn.readable());
            h.send(segment().seq(PEER + 1).ack(h.sndData() + 5).window(512).payload("evil"));
            h.expect(segment().ackOnly().ack(PEER + 1)); // acknowledges data we never sent: challenged too
            assertEquals(0, h.conn.readable());
            assertEquals(2, h.counters.get(TcpCounters.BAD_ACK));
        }

        @Test
        void segmentWithoutAckIsDropped() {
            h.send(segment().flags(Tcp.PSH).seq(PEER + 1).payload("x"));
            h.expectNothing();
            assertEquals(0, h.conn.readable());
            assertEquals(1, h.counters.get(TcpCounters.NO_ACK_FLAG));
        }

        @Test
        void abortSendsReset() {
            h.appWrite(10);
            h.poll();
            h.sink.packets.clear();
            h.conn.abort();
            h.expect(segment().rst().seq(h.sndData() + 10));
            h.expectState(TcpState.CLOSED);
        }
    }
}
