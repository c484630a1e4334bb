package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Checksum;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;

/**
 * The stack with a TSO sink: new data leaves as super-segments of up to 64 KiB with a partial checksum (bounded by
 * the windows, as MSS segments would be), retransmissions stay one MSS, and a super-segment from the peer is
 * acknowledged at once.
 */
class TcpOffloadTest {
    /** A sink like a TUN with TSO: records every packet with the segmentation it asked for. */
    static final class OffloadSink implements SegmentSink {
        record Packet(byte[] bytes, int transportOffset, int headerLength, int segmentPayload, boolean offloaded) {
        }

        final ArrayDeque<Packet> packets = new ArrayDeque<>();
        private final ByteBuffer buf = ByteBuffer.allocate(70_000);
        private int claimed;

        @Override
        public ByteBuffer claim(int maxLength) {
            claimed = maxLength;
            return buf.clear().position(64);
        }

        @Override
        public void commit(int length) {
            packets.add(new Packet(copy(length), 0, 0, 0, false));
        }

        @Override
        public int offloadLimit() {
            return 65535;
        }

        @Override
        public void commitOffloaded(int length, int transportOffset, int headerLength, int segmentPayload) {
            assertTrue(length <= claimed && length <= 65535, "within the claim and one IPv4 packet");
            packets.add(new Packet(copy(length), transportOffset, headerLength, segmentPayload, true));
        }

        private byte[] copy(int length) {
            byte[] b = new byte[length];
            buf.get(64, b);
            return b;
        }
    }

    private final TcpHarness h = new TcpHarness(TcpHarness.defaults().sendBuffer(256 << 10));
    private final OffloadSink sink = new OffloadSink();

    /**
     * Completes the partial checksum as the device does (one's-complement sum from csum_start to the end, with the
     * pseudo-header sum already in the field) and checks the result verifies like any received segment.
     */
    private static Tcp completeAndVerify(OffloadSink.Packet p) {
        ByteBuffer b = ByteBuffer.wrap(p.bytes());
        Ipv4 ip = new Ipv4().wrap(b, 0, b.capacity());
        assertEquals(WireError.OK, ip.checkLength());
        assertTrue(ip.verifyChecksum(), "the IPv4 header checksum is complete");
        assertEquals(ip.headerLength(), p.transportOffset(), "csum_start is the TCP header");
        Tcp tcp = new Tcp().wrap(b, ip.payloadOffset(), ip.payloadLength());
        assertEquals(WireError.OK, tcp.checkLength());
        assertFalse(tcp.verifyChecksum(ip.sourceAddress(), ip.destinationAddress()), "partial, not complete");
        tcp.checksum(Checksum.finish(Checksum.add(b, tcp.offset(), tcp.length(), 0)));
        assertTrue(tcp.verifyChecksum(ip.sourceAddress(), ip.destinationAddress()), "the completed checksum");
        assertEquals(ip.headerLength() + tcp.headerLength(), p.headerLength(), "hdr_len covers IP and TCP");
        return tcp;
    }

    @Test
    void newDataLeavesAsOneSuperSegmentCutAtTheMss() {
        h.established();
        h.appWrite(100_000);
        h.conn.poll(h.now, sink);
        OffloadSink.Packet p = sink.packets.poll();
        assertNotNull(p);
        assertTrue(p.offloaded());
        Tcp tcp = completeAndVerify(p);
        assertEquals(h.sndData(), tcp.sequenceNumber());
        // The initial congestion window (10 segments of 1460, RFC 6928) bounds it, as it would bound 10 segments.
        assertEquals(10 * 1460, tcp.payloadLength());
        assertEquals(1460, p.segmentPayload(), "the kernel cuts at the MSS");
        assertTrue(sink.packets.isEmpty(), "one packet instead of ten");
    }

    @Test
    void retransmissionAfterATimeoutIsOneMss() {
        h.established();
        h.appWrite(100_000);
        h.conn.poll(h.now, sink);
        sink.packets.clear();
        h.advanceMillis(1_100); // past the initial RTO of 1 s (RFC 6298 2.1)
        h.conn.poll(h.now, sink);
        OffloadSink.Packet p = sink.packets.poll();
        assertNotNull(p, "the head is retransmitted");
        Tcp tcp = completeAndVerify(p);
        assertEquals(h.sndData(), tcp.sequenceNumber());
        assertEquals(1460, tcp.payloadLength(), "go-back-N resends one MSS, never a super-segment of SACKed data");
    }

    @Test
    void aSegmentLargerThanTheMssIsAcceptedAndAcknowledgedAtOnce() {
        h.established();
        h.peerData(1_800); // what a GRO/TSO device hands over: beyond our MSS of 1460, within the window
        assertEquals(1_800, h.conn.readable());
        h.conn.poll(h.now, sink);
        OffloadSink.Packet p = sink.packets.poll();
        assertNotNull(p, "no delayed ACK for what stands for two segments");
        Tcp tcp = completeAndVerify(p);
        assertEquals(h.peerNxt, tcp.ackNumber());
        assertEquals(0, tcp.payloadLength());
    }

    /**
     * With timestamps every segment carries 12 option bytes, so the device cuts at 1448 (gso_size), and cwnd counts
     * in the same 1448-byte SMSS: the initial window is exactly ten segments, with no 120-byte runt at its end that
     * a window counted in 1460-byte MSS would leave.
     */
    @Test
    void withTimestampsTheSuperSegmentIsWholeSegmentsOfTheEffectiveMss() {
        TcpHarness t = new TcpHarness(TcpHarness.defaults().timestamps(true).sendBuffer(256 << 10));
        t.send(Seg.segment().syn().seq(TcpHarness.PEER_ISS).mss(1460).sackPermitted().windowScale(7).ts(100, 0));
        t.conn.accept(t.now);
        CapturingSink.Out synAck = t.expect(Seg.segment().synAck().tsEcr(100));
        t.iss = synAck.seq();
        t.send(Seg.segment().ack(t.iss + 1).window(512).ts(101, synAck.tsVal()));
        t.appWrite(100_000);
        t.conn.poll(t.now, sink);
        OffloadSink.Packet p = sink.packets.poll();
        assertNotNull(p);
        Tcp tcp = completeAndVerify(p);
        assertEquals(1448, p.segmentPayload(), "gso_size: 1460 less the timestamp option");
        assertEquals(10 * 1448, tcp.payloadLength(), "ten whole segments");
        assertTrue(sink.packets.isEmpty());
    }

    @Test
    void anMssSizedSegmentStillWaitsForTheDelayedAck() {
        h.established();
        h.peerData(1_000);
        h.conn.poll(h.now, sink);
        assertTrue(sink.packets.isEmpty(), "RFC 5681 4.2: one segment may wait for the delayed-ACK timer");
    }
}
