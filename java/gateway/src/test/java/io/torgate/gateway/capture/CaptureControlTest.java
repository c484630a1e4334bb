package io.torgate.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.testing.Packets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control commands drive the switch the pipeline calls, without a restart. */
class CaptureControlTest {
    @TempDir
    Path dir;

    @Test
    void startStopAndDumpThroughTheSwitch() throws Exception {
        CaptureSwitch tap = new CaptureSwitch();
        FlightRecorder recorder = new FlightRecorder(8, 16, 2048);
        try (CaptureControl control = new CaptureControl(tap, recorder, dir)) {
            assertSame(recorder, tap.target());
            byte[] before = Packets.syn("10.99.0.2", 40000, "10.99.0.1", 80);
            tap.received(ByteBuffer.wrap(before), 0, before.length);

            Path capDir = dir.resolve("cap");
            assertTrue(control.start("client=10.99.0.2 dir=received,dropped path=cap max-file=1m"
                + " max-total=4m rotate=60").startsWith("capturing to "));
            assertThrows(IllegalArgumentException.class, () -> control.start(""));
            byte[] udp = Packets.udp("10.99.0.2", 40001, "10.99.0.1", 123, new byte[4]);
            tap.dropped(ByteBuffer.wrap(udp), 0, udp.length, DropReason.UDP_PORT);
            byte[] other = Packets.syn("10.99.0.3", 40000, "10.99.0.1", 80);
            tap.received(ByteBuffer.wrap(other), 0, other.length);
            assertEquals("stopped: 1 packets written, 0 lost (ring full), 0 write errors, 0 files deleted, 0 cut short",
                control.stop());
            assertSame(recorder, tap.target());
            assertEquals(List.of("dropped: udp_port"),
                Tshark.fields(PcapCaptureTest.files(capDir, "torgate").get(0), "frame.comment"));

            Path dump = dir.resolve("dump.pcapng");
            assertEquals("dumped 2 packets of 10.99.0.2 to " + dump, control.dump("10.99.0.2", dump));
            assertEquals(List.of("\t", "123\tdropped: udp_port"), Tshark.fields(dump, "udp.dstport", "frame.comment"));
        }
        assertNull(tap.target());
    }

    @Test
    void commandLinesDispatchAndDumpToTheConfiguredDirectory() throws Exception {
        CaptureSwitch tap = new CaptureSwitch();
        FlightRecorder recorder = new FlightRecorder(8, 16, 2048);
        Path home = dir.resolve("home");
        CaptureOptions defaults = new CaptureOptions(home, "torgate", CaptureFilter.ALL, 1 << 20, 60_000_000_000L,
            4 << 20, 1024, 2048);
        try (CaptureControl control = new CaptureControl(tap, recorder, defaults)) {
            assertEquals("no capture running; recorder: 0 clients", control.command("status"));
            assertEquals("capturing to " + home.resolve("torgate-*.pcapng"), control.command("start dir=dropped"));
            assertTrue(control.command("status").startsWith("capturing to " + home + ": 0 written"));
            byte[] syn = Packets.syn("10.99.0.2", 40000, "10.99.0.1", 80);
            tap.received(ByteBuffer.wrap(syn), 0, syn.length);
            assertTrue(control.command("stop").startsWith("stopped: 0 packets written"), "dir=dropped filtered it");
            String dumped = control.command("  dump 10.99.0.2 ");
            assertTrue(dumped.matches("dumped 1 packets of 10\\.99\\.0\\.2 to " + home + "/dump-10\\.99\\.0\\.2-\\d+-1"
                + "\\.pcapng"), dumped);
            Path file = Path.of(dumped.substring(dumped.indexOf(" to ") + 4));
            assertEquals(List.of("80"), Tshark.fields(file, "tcp.dstport"));
            assertThrows(IllegalArgumentException.class, () -> control.command("restart"));
            assertThrows(IllegalArgumentException.class, () -> control.command("dump"));
            assertThrows(IllegalArgumentException.class, () -> control.command("dump a b c"));
        }
    }

    @Test
    void pathsMustStayInsideTheCaptureDirectory() throws Exception {
        CaptureSwitch tap = new CaptureSwitch();
        try (CaptureControl control = new CaptureControl(tap, new FlightRecorder(4, 4, 2048), dir.resolve("home"))) {
            for (String bad : List.of("path=../x", "path=/etc", "path=sub/../../x")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> control.start(bad));
                assertTrue(e.getMessage().contains("outside the capture directory"), e.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> control.command("dump 10.99.0.2 /etc/passwd"));
            assertThrows(IllegalArgumentException.class, () -> control.command("dump 10.99.0.2 ../x.pcapng"));
            assertEquals("dumped 0 packets of 10.99.0.2 to " + dir.resolve("home/sub/x.pcapng"),
                control.command("dump 10.99.0.2 sub/x.pcapng"));
            assertTrue(control.start("path=" + dir.resolve("home/abs")).startsWith("capturing to " + dir.resolve(
                "home/abs")), "an absolute path inside the directory is fine");
        }
    }

    @Test
    void badArgumentsAreRefusedWithAMessage() {
        CaptureControl control = new CaptureControl(new CaptureSwitch(), null, dir);
        assertThrows(IllegalArgumentException.class, () -> control.start("colour=red"));
        assertThrows(IllegalArgumentException.class, () -> control.start("max-file=10 max-total=5"));
        assertThrows(IllegalArgumentException.class, () -> control.dump("10.99.0.2", dir.resolve("x")));
        assertEquals("no capture running", control.stop());
    }
}
