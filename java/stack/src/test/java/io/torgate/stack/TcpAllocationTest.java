package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Ipv4;
import io.torgate.wire.WireError;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * No allocation per segment in steady state: two connections exchange data through direct buffers (every packet
 * parsed through the checked path) while the thread's allocation counter is watched.
 */
class TcpAllocationTest {

    /** Parses each packet it receives and hands it straight to the peer connection. */
    private static final class Wire implements SegmentSink {
        private final ByteBuffer buf = ByteBuffer.allocateDirect(2048);
        private final Ipv4 ip = new Ipv4();
        private final TcpSegment seg = new TcpSegment();
        private final TcpCounters counters;
        TcpConnection to;
        long now;

        Wire(TcpCounters counters) {
            this.counters = counters;
        }

        @Override
        public ByteBuffer claim(int maxLength) {
            return buf.clear();
        }

        @Override
        public void commit(int length) {
            ip.wrap(buf, 0, length);
            if (ip.checkLength() == WireError.OK && seg.parse(buf, ip.payloadOffset(), ip.payloadLength(),
                    ip.sourceAddress(), ip.destinationAddress(), counters) == WireError.OK) {
                to.onSegment(seg, now);
            }
        }
    }

    @Test
    void steadyStateDataTransferAllocatesNothing() {
        TcpCounters counters = new TcpCounters();
        TcpConfig cfg = new TcpConfig();
        IsnGenerator isn = new IsnGenerator(1, 2, 3, 4);
        TcpConnection client = new TcpConnection(cfg, isn, counters);
        TcpConnection server = new TcpConnection(cfg, isn, counters);
        client.open(TcpLink.CLIENT, 40000, TcpLink.SERVER, 80);
        server.open(TcpLink.SERVER, 80, TcpLink.CLIENT, 40000);
        Wire toServer = new Wire(counters);
        Wire toClient = new Wire(counters);
        toServer.to = server;
        toClient.to = client;
        ByteBuffer out = ByteBuffer.allocateDirect(1448);
        ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        long[] now = {1_000_000_000L};
        client.connect(now[0]);
        Runnable step = () -> {
            now[0] += 10_000;
            toServer.now = now[0];
            toClient.now = now[0];
            client.write(out.clear());
            client.poll(now[0], toServer);
            if ((server.events() & TcpConnection.EV_SYN) != 0) {
                server.accept(now[0]);
            }
            server.read(in.clear());
            server.write(out.clear()); // and data the other way
            server.poll(now[0], toClient);
            client.read(in.clear());
            client.poll(now[0], toServer);
        };
        for (int i = 0; i < 50_000; i++) {
            step.run(); // warm-up: handshake, slow start, JIT
        }
        assertEquals(TcpState.ESTABLISHED, server.state());
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        long segmentsBefore = counters.get(TcpCounters.SEGMENTS_IN);
        for (int i = 0; i < 50_000; i++) {
            step.run();
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        long segments = counters.get(TcpCounters.SEGMENTS_IN) - segmentsBefore;
        assertTrue(segments >= 100_000, "segments exchanged: " + segments);
        assertEquals(0, counters.get(TcpCounters.RETRANSMITS));
        // The counter itself may allocate a few bytes; anything per segment would be megabytes here.
        assertTrue(allocated < 16 * 1024, allocated + " bytes allocated for " + segments + " segments");
    }
}
