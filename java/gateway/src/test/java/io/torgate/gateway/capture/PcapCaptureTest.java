package io.torgate.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.testing.Packets;
import io.torgate.wire.Tcp;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Captures real traffic (the packets of the tcpdump fixture, replayed into the tap as the pipeline would call it)
 * and checks the files with the real tshark.
 */
class PcapCaptureTest {
    static final int CLIENT = Cidr.parseAddress("10.99.0.2");
    static final DropReason[] BAD_REASONS = {DropReason.IPV6, DropReason.UDP_PORT, DropReason.SPOOFED_SOURCE,
        DropReason.FRAGMENT, DropReason.BAD_TCP_CHECKSUM, DropReason.ICMP, DropReason.NO_FLOW, null};

    @TempDir
    Path dir;

    /** Feeds the lab session (client packets received, server packets sent) and the bad packets (dropped). */
    static void feed(CaptureTap tap) throws IOException {
        try (PcapReader r = PcapReader.open(ReplayTest.fixture("http-session.pcap"))) {
            while (r.next()) {
                ByteBuffer b = r.buffer();
                if (b.getInt(r.ipOffset() + 12) == CLIENT) {
                    tap.received(b, r.ipOffset(), r.ipLength());
                } else {
                    tap.sent(b, r.ipOffset(), r.ipLength());
                }
            }
        }
        try (PcapReader r = PcapReader.open(ReplayTest.fixture("bad-packets.pcap"))) {
            for (int i = 0; r.next(); i++) {
                if (BAD_REASONS[i] != null) {
                    tap.dropped(r.buffer(), r.ipOffset(), r.ipLength(), BAD_REASONS[i]);
                }
            }
        }
    }

    CaptureOptions options(String prefix, CaptureFilter filter) {
        return CaptureOptions.defaults(dir, prefix, filter);
    }

    static List<Path> files(Path dir, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix + "-")).sorted().toList();
        }
    }

    @Test
    void flowFilterKeepsExactlyThatFlowBothWays() throws Exception {
        try (PcapCapture c = new PcapCapture(options("flow", CaptureFilter.parse("flow=10.99.0.2:47904-*:8000")))) {
            feed(c);
        }
        List<Path> files = files(dir, "flow");
        assertEquals(1, files.size());
        List<String> lines = Tshark.fields(files.get(0), "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport");
        assertEquals(12, lines.size(), lines.toString()); // frames 17-28 of the tcpdump capture
        for (String l : lines) {
            assertTrue(l.equals("10.99.0.2\t47904\t10.99.0.1\t8000")
                || l.equals("10.99.0.1\t8000\t10.99.0.2\t47904"), l);
        }
    }

    @Test
    void clientFilterWithDirectionsKeepsItsSentPacketsOnly() throws Exception {
        try (PcapCapture c = new PcapCapture(options("sent", CaptureFilter.parse("client=10.99.0.2 dir=sent")))) {
            feed(c);
        }
        List<String> lines = Tshark.fields(files(dir, "sent").get(0), "ip.dst", "frame.comment");
        assertEquals(13, lines.size()); // the server's 13 packets, each toward the client
        lines.forEach(l -> assertEquals("10.99.0.2\t", l));
    }

    @Test
    void droppedPacketsCarryTheirReasonAsPacketComment() throws Exception {
        try (PcapCapture c = new PcapCapture(options("drops", CaptureFilter.parse("dir=dropped")))) {
            feed(c);
        }
        List<String> comments = Tshark.fields(files(dir, "drops").get(0), "frame.comment");
        assertEquals(List.of("dropped: ipv6", "dropped: udp_port", "dropped: spoofed_source", "dropped: fragment",
            "dropped: bad_tcp_checksum", "dropped: icmp", "dropped: no_flow"), comments);
    }

    @Test
    void reasonFilterKeepsOnlyThoseDropsAndWireSharkSeesInboundFlags() throws Exception {
        CaptureFilter f = CaptureFilter.parse("dir=dropped reason=udp_port,icmp");
        try (PcapCapture c = new PcapCapture(options("reason", f))) {
            feed(c);
        }
        List<String> lines = Tshark.fields(files(dir, "reason").get(0), "frame.comment", "ip.proto",
            "frame.packet_flags_direction");
        assertEquals(List.of("dropped: udp_port\t17\t0x00000001", "dropped: icmp\t1\t0x00000001"), lines);
    }

    @Test
    void sizeRotationKeepsTotalUnderTheCapAndDeletesTheOldest() throws Exception {
        long maxFile = 8192;
        long cap = 4 * maxFile;
        CaptureOptions o = new CaptureOptions(dir, "rot", CaptureFilter.ALL, maxFile, Long.MAX_VALUE, cap, 1024,
            2048);
        int packets = 400;
        try (PcapCapture c = new PcapCapture(o)) {
            for (int i = 0; i < packets; i++) {
                byte[] p = Packets.tcp("10.99.0.2", 40000, "10.99.0.1", 80, Tcp.ACK, i, 0, new byte[100]);
                c.received(ByteBuffer.wrap(p), 0, p.length);
                if (i % 64 == 63) {
                    Thread.sleep(5); // let the writer keep up with a 1024-slot ring
                }
            }
            c.close();
            assertEquals(packets, c.written() + c.lost());
            assertEquals(0, c.lost());
            assertTrue(c.filesDeleted() > 0);
        }
        List<Path> files = files(dir, "rot");
        long total = 0;
        for (Path f : files) {
            total += Files.size(f);
            assertTrue(Files.size(f) <= maxFile, f + " is " + Files.size(f));
        }
        assertTrue(total <= cap, "total " + total + " > cap " + cap);
        // The newest file ends with the last packet (TCP sequence number 399); the oldest ones are gone.
        List<String> seqs = Tshark.fields(files.get(files.size() - 1), "tcp.seq_raw");
        assertEquals(String.valueOf(packets - 1), seqs.get(seqs.size() - 1));
        List<String> first = Tshark.fields(files.get(0), "tcp.seq_raw");
        assertTrue(Integer.parseInt(first.get(0)) > 0, "the oldest packets must have been deleted");
        int kept = 0;
        for (Path f : files) {
            kept += Tshark.fields(f, "tcp.seq_raw").size();
        }
        assertEquals(packets - Integer.parseInt(first.get(0)), kept, "files must hold a contiguous newest run");
    }

    @Test
    void timeRotationStartsNewFiles() throws Exception {
        CaptureOptions o = new CaptureOptions(dir, "time", CaptureFilter.ALL, 1 << 20, 30_000_000L, 1 << 24, 64, 2048);
        try (PcapCapture c = new PcapCapture(o)) {
            for (int i = 0; i < 5; i++) {
                byte[] p = Packets.syn("10.99.0.2", 40000 + i, "10.99.0.1", 80);
                c.received(ByteBuffer.wrap(p), 0, p.length);
                Thread.sleep(80);
            }
        }
        List<Path> files = files(dir, "time");
        assertTrue(files.size() >= 4, files.toString());
        int total = 0;
        for (Path f : files) {
            total += Tshark.fields(f, "tcp.srcport").size();
        }
        assertEquals(5, total);
    }

    @Test
    void fullRingLosesAndCountsInsteadOfBlocking() throws Exception {
        CaptureOptions o = new CaptureOptions(dir, "lost", CaptureFilter.ALL, 1 << 26, Long.MAX_VALUE, 1 << 27, 2,
            2048);
        byte[] p = Packets.syn("10.99.0.2", 40000, "10.99.0.1", 80);
        ByteBuffer b = ByteBuffer.allocateDirect(p.length).put(p).flip();
        int offered = 200_000;
        PcapCapture c = new PcapCapture(o);
        try (c) {
            for (int i = 0; i < offered; i++) {
                c.received(b, 0, p.length);
            }
        }
        assertTrue(c.lost() > 0, "a 2-slot ring cannot keep up");
        assertEquals(offered, c.written() + c.lost());
        assertEquals(c.written(), Tshark.fields(files(dir, "lost").get(0), "tcp.srcport").size());
    }

    @Test
    void outOfRangePacketsAreCountedNeverThrown() throws Exception {
        byte[] p = Packets.syn("10.99.0.2", 40000, "10.99.0.1", 80);
        PcapCapture c = new PcapCapture(options("range", CaptureFilter.ALL));
        FlightRecorder r = new FlightRecorder(4, 4, 128);
        try (c) {
            for (CaptureTap t : new CaptureTap[] {c, r}) {
                t.received(ByteBuffer.wrap(p), 10, p.length);
                t.sent(ByteBuffer.wrap(p), -1, p.length);
                t.dropped(ByteBuffer.wrap(p), 0, -5, DropReason.MALFORMED);
                t.received(ByteBuffer.wrap(p), 0, p.length);
            }
        }
        assertEquals(3, c.rejected());
        assertEquals(1, c.written());
        assertEquals(1, r.clients().length);
    }

    @Test
    void concurrentProducersLoseNothingWithRoom() throws Exception {
        CaptureOptions o = new CaptureOptions(dir, "mp", CaptureFilter.ALL, 1 << 26, Long.MAX_VALUE, 1 << 27, 1 << 15,
            256);
        List<Thread> threads = new ArrayList<>();
        try (PcapCapture c = new PcapCapture(o)) {
            for (int t = 0; t < 4; t++) {
                int port = 41000 + t;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 2000; i++) {
                        byte[] p = Packets.tcp("10.99.0.2", port, "10.99.0.1", 80, Tcp.ACK, i, 0, new byte[0]);
                        c.received(ByteBuffer.wrap(p), 0, p.length);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            c.close();
            assertEquals(0, c.lost());
        }
        List<String> lines = Tshark.fields(files(dir, "mp").get(0), "tcp.srcport", "tcp.seq_raw");
        assertEquals(8000, lines.size());
        int[] next = new int[4];
        try (PcapReader r = PcapReader.open(files(dir, "mp").get(0))) {
            while (r.next()) { // every copy is intact: its TCP checksum still verifies
                assertTrue(new Tcp().wrap(r.buffer(), r.ipOffset() + 20, r.ipLength() - 20)
                    .verifyChecksum(CLIENT, Cidr.parseAddress("10.99.0.1")));
            }
        }
        for (String l : lines) {
            String[] f = l.split("\t");
            int t = Integer.parseInt(f[0]) - 41000;
            assertEquals(next[t]++, Integer.parseInt(f[1]), "per-producer order and intact bytes");
        }
    }

    /**
     * A TSO super-segment as the offload path queues it (65,000 payload bytes in one packet, the TCP checksum holding
     * only the pseudo-header sum) is written whole: tshark sees its full frame, IP and TCP lengths and its sequence
     * number, the bytes read back are the packet's with the checksum completed, and the segment after it follows.
     * Before, the default 2048-byte snap length cut it (frame.cap_len 2048).
     */
    @Test
    void superSegmentsAreWrittenWhole() throws Exception {
        byte[] payload = new byte[65_000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31 + 7);
        }
        byte[] whole = Packets.tcp("10.99.0.1", 80, "10.99.0.2", 40000, Tcp.ACK | Tcp.PSH, 1_000_000, 1, payload);
        byte[] partial = whole.clone();
        new Tcp().wrap(ByteBuffer.wrap(partial), 20, partial.length - 20).fillPartialChecksum(
            Cidr.parseAddress("10.99.0.1"), CLIENT);
        byte[] next = Packets.tcp("10.99.0.1", 80, "10.99.0.2", 40000, Tcp.ACK, 1_065_000, 1, new byte[1000]);
        try (PcapCapture c = new PcapCapture(options("super", CaptureFilter.ALL))) {
            c.sent(ByteBuffer.wrap(partial), 0, partial.length);
            c.sent(ByteBuffer.wrap(next), 0, next.length);
            c.close();
            assertEquals(0, c.cut());
        }
        Path file = files(dir, "super").get(0);
        assertEquals(List.of("65040\t65040\t65040\t65000\t1000000", "1040\t1040\t1040\t1000\t1065000"),
            Tshark.fields(file, "frame.len", "frame.cap_len", "ip.len", "tcp.len", "tcp.seq_raw"));
        try (PcapReader r = PcapReader.open(file)) {
            assertTrue(r.next());
            byte[] got = new byte[r.ipLength()];
            r.buffer().get(r.ipOffset(), got);
            assertArrayEquals(whole, got, "the whole super-segment, its checksum completed");
        }
    }

    /** With every large buffer taken, a long packet is cut to a ring slot and counted; freed buffers are reused. */
    @Test
    void longPacketsAreCutOnlyWhileEveryLargeBufferIsInUse() {
        CaptureRing ring = new CaptureRing(8, 64, 1, 4000);
        byte[] big = new byte[3000];
        List<Integer> kept = new ArrayList<>();
        CaptureRing.RecordSink sink = (bytes, offset, length, originalLength, kind, nanos) -> kept.add(length);
        assertTrue(ring.offer(ByteBuffer.wrap(big), 0, big.length, 0, 1));
        assertTrue(ring.offer(ByteBuffer.wrap(big), 0, big.length, 0, 2));
        assertEquals(1, ring.cut());
        while (ring.poll(sink)) {
            kept.add(-1);
        }
        assertTrue(ring.offer(ByteBuffer.wrap(big), 0, big.length, 0, 3));
        assertTrue(ring.poll(sink));
        assertEquals(List.of(3000, -1, 64, -1, 3000), kept);
        assertEquals(1, ring.cut());
    }
}
