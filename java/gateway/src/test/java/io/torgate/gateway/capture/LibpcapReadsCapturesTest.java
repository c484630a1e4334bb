package io.torgate.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

/**
 * The pcapng files {@link PcapCapture} and {@link FlightRecorder#dump} write, read by libpcap itself through pcap4j:
 * a reader that shares no code with ours ({@link PcapReader}) sees the same packets, byte for byte, with the
 * same nanosecond timestamps and original lengths.
 */
class LibpcapReadsCapturesTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void libpcap() {
        // Debian ships libpcap.so.0.8 without the unversioned name unless libpcap-dev is installed.
        for (String p : List.of("/usr/lib/x86_64-linux-gnu/libpcap.so", "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8",
            "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8")) {
            if (Files.exists(Path.of(p))) {
                System.setProperty("org.pcap4j.core.pcapLibName", p);
                return;
            }
        }
    }

    /** One packet as a reader sees it. */
    private record Packet(long nanos, int originalLength, byte[] bytes) {
    }

    private static List<Packet> ours(Path file) throws Exception {
        List<Packet> out = new ArrayList<>();
        try (PcapReader r = PcapReader.open(file)) {
            while (r.next()) {
                byte[] b = new byte[r.ipLength()];
                r.buffer().get(r.ipOffset(), b);
                out.add(new Packet(r.timestampNanos(), b.length, b)); // nothing is cut: snap length 2048
            }
        }
        return out;
    }

    private static List<Packet> libpcap(Path file) throws Exception {
        List<Packet> out = new ArrayList<>();
        try (PcapHandle h = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.NANO)) {
            while (true) {
                byte[] b;
                try {
                    b = h.getNextRawPacketEx();
                } catch (EOFException e) {
                    break;
                }
                java.sql.Timestamp t = h.getTimestamp();
                long nanos = t.getTime() / 1000 * 1_000_000_000L + t.getNanos();
                out.add(new Packet(nanos, h.getOriginalLength(), b));
            }
        }
        return out;
    }

    private static void assertSame(List<Packet> expected, List<Packet> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).nanos(), actual.get(i).nanos(), "timestamp of packet " + i);
            assertEquals(expected.get(i).originalLength(), actual.get(i).originalLength(), "length of packet " + i);
            assertArrayEquals(expected.get(i).bytes(), actual.get(i).bytes(), "bytes of packet " + i);
        }
    }

    @Test
    void libpcapReadsWhatACaptureWrote() throws Exception {
        try (PcapCapture c = new PcapCapture(CaptureOptions.defaults(dir, "lp", CaptureFilter.ALL))) {
            PcapCaptureTest.feed(c);
        }
        Path file = PcapCaptureTest.files(dir, "lp").get(0);
        List<Packet> ours = ours(file);
        assertTrue(ours.size() > 30, "the lab session and the bad packets: " + ours.size());
        assertSame(ours, libpcap(file));
    }

    @Test
    void libpcapReadsAFlightRecorderDump() throws Exception {
        FlightRecorder recorder = new FlightRecorder(4, 8, 2048);
        PcapCaptureTest.feed(recorder);
        Path dump = dir.resolve("dump.pcapng");
        assertEquals(8, recorder.dump(PcapCaptureTest.CLIENT, dump));
        List<Packet> ours = ours(dump);
        assertEquals(8, ours.size());
        assertSame(ours, libpcap(dump));
        ByteBuffer last = ByteBuffer.wrap(ours.get(7).bytes());
        assertEquals(PcapCaptureTest.CLIENT, last.getInt(12), "the newest packet is the client's own");
    }
}
