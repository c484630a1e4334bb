package io.torgate.stack;

import static io.torgate.stack.Seg.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Tcp;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Options (RFC 7323 window scale, timestamps and PAWS; MSS clamping), active and simultaneous open, bad input. */
class TcpNegotiationTest {
    private static final int PEER = TcpHarness.PEER_ISS;

    @Nested
    class Timestamps {
        private final TcpHarness h = new TcpHarness(TcpHarness.defaults().timestamps(true).sendBuffer(64 << 10));

        private void establish() {
            h.send(segment().syn().seq(PEER).mss(1460).sackPermitted().windowScale(7).ts(100, 0));
            h.conn.accept(h.now);
            CapturingSink.Out synAck = h.expect(segment().synAck().tsEcr(100));
            h.iss = synAck.seq();
            h.advanceMillis(30);
            h.send(segment().ack(h.iss + 1).window(512).ts(101, synAck.tsVal()));
            h.expectState(TcpState.ESTABLISHED);
        }

        @Test
        void synAckEchoesAndUsesAPerConnectionOffset() {
            h.send(segment().syn().seq(PEER).ts(100, 0));
            h.conn.accept(h.now);
            CapturingSink.Out synAck = h.expect(segment().synAck().tsEcr(100));
            int expectedMs = (int) (h.now / 1_000_000L);
            assertNotEquals(expectedMs, synAck.tsVal()); // the clock is hidden behind a keyed offset
            assertEquals(new IsnGenerator(1, 2, 3, 4).timestampOffset(TcpHarness.LOCAL, 80, TcpHarness.REMOTE,
                    TcpHarness.REMOTE_PORT), synAck.tsVal() - expectedMs);
        }

        @Test
        void pawsDropsOldSegmentsAndAcks() {
            establish();
            h.send(segment().seq(PEER + 1).ack(h.iss + 1).window(512).ts(50, 0).payload("old"));
            h.expect(segment().ackOnly().ack(PEER + 1).tsEcr(101));
            assertEquals(0, h.conn.readable());
            assertEquals(1, h.counters.get(TcpCounters.PAWS_REJECTED));
            h.send(segment().seq(PEER + 1).ack(h.iss + 1).window(512).ts(102, 0).payload("new"));
            assertEquals(3, h.conn.readable());
            h.advanceMillis(40);
            h.expect(segment().ackOnly().ack(PEER + 4).tsEcr(102));
        }

        @Test
        void echoedTimestampGivesTheRtt() {
            establish();
            h.appWrite(100);
            CapturingSink.Out data = h.expect(segment().len(100));
            h.advanceMillis(30);
            h.send(segment().ack(h.iss + 101).window(512).ts(103, data.tsVal()));
            assertEquals(30_000_000L, h.conn.snd.rtt.srttNanos()); // both samples (handshake, data) are 30 ms
        }

        @Test
        void dataSegmentsShrinkToFitTheOptions() {
            establish();
            h.appWrite(3000);
            h.expect(segment().len(1448)); // 1460 − 12 bytes of timestamp option: packets stay within the MTU
        }

        /**
         * After a timeout cwnd is one SMSS, and the SMSS excludes the 12-byte timestamp option (RFC 9293 §3.7.1,
         * RFC 7323 §3.2): the head goes out as one 1448-byte segment, not as 1448 + a 12-byte runt, which is what a
         * window counted in 1460-byte MSS produced.
         */
        @Test
        void retransmissionAfterATimeoutIsOneFullSegmentWithoutARunt() {
            establish();
            h.appWrite(20_000);
            h.poll();
            h.sink.packets.clear();
            h.advanceMillis(1_100); // past the RTO (1 s floor, RFC 6298 §2.4)
            h.expect(segment().seq(h.iss + 1).len(1448));
            h.expectNothing();
            assertEquals(1448, h.conn.snd.cc.cwnd(), "the loss window is one effective SMSS");
        }

        /** The initial window is ten effective segments (RFC 6928), all full: no runt at its end. */
        @Test
        void theInitialWindowIsWholeSegments() {
            establish();
            h.appWrite(20_000);
            for (int i = 0; i < 10; i++) {
                h.expect(segment().seq(h.iss + 1 + i * 1448).len(1448));
            }
            h.expectNothing();
            assertEquals(10 * 1448, h.conn.snd.cc.cwnd(), "IW counts effective segments");
        }

        /** A peer MSS below the MTU's: the options come out of it too (RFC 6691), so IP packets stay within it. */
        @Test
        void optionsCountAgainstASmallPeerMss() {
            h.send(segment().syn().seq(PEER).mss(1000).sackPermitted().windowScale(7).ts(100, 0));
            h.conn.accept(h.now);
            CapturingSink.Out synAck = h.expect(segment().synAck().tsEcr(100));
            h.iss = synAck.seq();
            h.send(segment().ack(h.iss + 1).window(512).ts(101, synAck.tsVal()));
            h.appWrite(3000);
            h.expect(segment().len(988));
        }
    }

    @Nested
    class WindowScale {
        @Test
        void largeBufferIsAdvertisedScaled() {
            TcpHarness h = new TcpHarness(TcpHarness.defaults().receiveBuffer(256 * 1024));
            h.send(segment().syn().seq(PEER).mss(1460).windowScale(2));
            h.conn.accept(h.now);
            CapturingSink.Out synAck = h.expect(segment().synAck().windowScale(3).window(65535)); // never scaled
            h.iss = synAck.seq();
            h.send(segment().ack(h.iss + 1).window(1000));
            assertEquals(4000, h.conn.snd.window); // the peer's 1000 << 2
            h.peerData(100).peerData(100);
            h.expect(segment().ackOnly().window((256 * 1024 - 200) >> 3));
        }

        /**
         * The SYN-ACK advertises at most 65,535 bytes (unscaled, RFC 7323 §2.2) of a 1 MiB buffer. A short request
         * read by the application must not cost a pure window-update ACK: the peer still has ~64 KiB of window, and
         * the next ACK (here the delayed one) carries the full scaled window. (A peer short of window, less than two
         * segments left of what we advertised, gets the update at once on a read: TcpConnectionTest's
         * zeroWindowAnswersPersistProbesAndReopensAtOnceOnRead.)
         */
        @Test
        void readingAShortRequestSendsNoWindowUpdateUntilThePeerIsShortOfWindow() {
            TcpHarness h = new TcpHarness(TcpHarness.defaults().receiveBuffer(1 << 20));
            h.send(segment().syn().seq(PEER).mss(1460).windowScale(7));
            h.conn.accept(h.now);
            h.iss = h.expect(segment().synAck().windowScale(5).window(65535)).seq();
            h.send(segment().ack(h.iss + 1).window(1000));
            h.peerData(100);
            h.poll();
            h.expectNothing(); // one segment: its ACK is delayed
            assertEquals(100, h.conn.read(java.nio.ByteBuffer.allocate(4096)));
            h.expectNothing(); // no window update for a peer with 65,435 bytes of window left
            h.advanceMillis(40); // the delayed ACK of the odd segment carries the scaled window
            h.expect(segment().ackOnly().ack(PEER + 101).window((1 << 20) >> 5));
            h.expectNothing();
            // A peer short of window gets the update at once: Established.zeroWindowAnswersPersistProbes...
        }

        @Test
        void noScalingUnlessBothOffer() {
            TcpHarness h = new TcpHarness(TcpHarness.defaults().receiveBuffer(256 * 1024));
            h.send(segment().syn().seq(PEER).mss(1460));
            h.conn.accept(h.now);
            CapturingSink.Out synAck = h.expect(segment().synAck().windowScale(-1));
            h.iss = synAck.seq();
            h.send(segment().ack(h.iss + 1).window(1000));
            h.peerData(100).peerData(100);
            h.expect(segment().ackOnly().window(65535));
        }

        @Test
        void mssIsClampedToTheMtu() {
            TcpHarness h = new TcpHarness(TcpHarness.defaults().mtu(1280));
            h.send(segment().syn().seq(PEER).mss(9000));
            h.conn.accept(h.now);
            h.iss = h.expect(segment().synAck().mss(1240)).seq();
            h.send(segment().ack(h.iss + 1).window(65535));
            h.appWrite(3000);
            h.expect(segment().len(1240));
        }
    }

    @Nested
    class SynSent {
        private final TcpHarness h = new TcpHarness(TcpHarness.defaults());

        private CapturingSink.Out connect() {
            h.conn.connect(h.now);
            h.expectState(TcpState.SYN_SENT);
            CapturingSink.Out syn = h.expect(segment().syn().mss(1460).sackPermitted().windowScale(0));
            h.iss = syn.seq();
            return syn;
        }

        @Test
        void synAckEstablishes() {
            connect();
            h.send(segment().synAck().seq(PEER).ack(h.iss + 1).mss(1400).windowScale(1).window(2000));
            h.expectState(TcpState.ESTABLISHED);
            h.expect(segment().ackOnly().seq(h.iss + 1).ack(PEER + 1));
            assertEquals(2000, h.conn.snd.window);
        }

        @Test
        void simultaneousOpenGoesThroughSynReceived() {
            connect();
            h.send(segment().syn().seq(PEER).mss(1400));
            h.expectState(TcpState.SYN_RECEIVED);
            h.expect(segment().synAck().seq(h.iss).ack(PEER + 1));
            h.send(segment().ack(h.iss + 1).window(2000));
            h.expectState(TcpState.ESTABLISHED);
        }

        @Test
        void resetWithAcceptableAckRefusesTheConnection() {
            connect();
            h.send(segment().flags(Tcp.RST | Tcp.ACK).seq(0).ack(h.iss + 1));
            h.expectState(TcpState.CLOSED);
            assertTrue(h.event(TcpConnection.EV_RESET));
        }

        @Test
        void badAckIsResetAndResetWithoutAckIgnored() {
            connect();
            h.send(segment().ack(h.iss + 50).seq(PEER));
            h.expect(segment().rst().seq(h.iss + 50));
            h.send(segment().rst().seq(PEER));
            h.expectState(TcpState.SYN_SENT);
        }

        @Test
        void synIsRetransmittedThenGivesUp() {
            connect();
            long rto = 1_000_000_000L;
            for (int i = 0; i < 5; i++) {
                h.advance(rto);
                h.expect(segment().syn().seq(h.iss));
                rto *= 2;
            }
            h.advance(rto);
            h.expectNothing();
            h.expectState(TcpState.CLOSED);
        }
    }

    @Nested
    class BadInput {
        private final TcpHarness h = new TcpHarness(TcpHarness.defaults());
        private final TcpSegment s = new TcpSegment();

        @Test
        void eachMalformedSegmentIsCountedByReason() {
            ByteBuffer b = ByteBuffer.allocate(64);
            Tcp tcp = new Tcp().wrap(b, 0, 64);
            int hl = tcp.writeHeader(1, 2, 3, 4, Tcp.ACK, 5, null, 0);
            tcp.wrap(b, 0, hl).fillChecksum(TcpHarness.REMOTE, TcpHarness.LOCAL);
            assertEquals(WireError.OK, parse(b, hl));
            assertEquals(WireError.TRUNCATED, parse(b, 12));
            b.put(12, (byte) 0x30);
            assertEquals(WireError.BAD_DATA_OFFSET, parse(b, hl));
            b.put(12, (byte) 0x50);
            b.put(17, (byte) (b.get(17) + 1));
            assertEquals(WireError.BAD_CHECKSUM, parse(b, hl));
            // A zero-length option, with a correct checksum: rejected as bad_option.
            b.put(12, (byte) 0x60).putInt(20, 0x0200_0000);
            tcp.wrap(b, 0, 24).fillChecksum(TcpHarness.REMOTE, TcpHarness.LOCAL);
            assertEquals(WireError.BAD_OPTION, parse(b, 24));
            b.putInt(20, 0x0208_0000); // MSS option running past the header
            tcp.wrap(b, 0, 24).fillChecksum(TcpHarness.REMOTE, TcpHarness.LOCAL);
            assertEquals(WireError.BAD_OPTION, parse(b, 24));
            assertEquals(1, h.counters.wireErrors(WireError.TRUNCATED));
            assertEquals(1, h.counters.wireErrors(WireError.BAD_DATA_OFFSET));
            assertEquals(1, h.counters.wireErrors(WireError.BAD_CHECKSUM));
            assertEquals(2, h.counters.wireErrors(WireError.BAD_OPTION));
            assertEquals("bad_option", TcpCounters.name(-WireError.BAD_OPTION));
            assertEquals("challenge_acks", TcpCounters.name(TcpCounters.CHALLENGE_ACKS));
        }

        private int parse(ByteBuffer b, int len) {
            return s.parse(b, 0, len, TcpHarness.REMOTE, TcpHarness.LOCAL, h.counters);
        }
    }

    @Test
    void isnsAreKeyedPerTupleAndAdvanceWithTime() {
        IsnGenerator g = new IsnGenerator(1, 2, 3, 4);
        int a = g.isn(1, 80, 2, 40000, 0);
        assertEquals(a, g.isn(1, 80, 2, 40000, 0));
        assertNotEquals(a, g.isn(1, 80, 2, 40001, 0));
        assertNotEquals(a, new IsnGenerator(5, 2, 3, 4).isn(1, 80, 2, 40000, 0));
        assertEquals(a + 250, g.isn(1, 80, 2, 40000, 250 * 4096L)); // RFC 6528: M ticks every ~4 µs
        assertNotEquals(g.timestampOffset(1, 80, 2, 40000), g.timestampOffset(1, 80, 2, 40001));
    }

    @Test
    void sipHashMatchesTheReferenceVector() {
        // SipHash-2-4 paper, Appendix A key 00..0f; vectors.h entry for the 16-byte message 00..0f.
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        assertEquals(0x3f2acc7f57c29bdbL, IsnGenerator.sipHash(k0, k1, k0, k1));
    }
}
