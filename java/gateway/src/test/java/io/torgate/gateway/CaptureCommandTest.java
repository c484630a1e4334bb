package io.torgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.capture.CaptureControl;
import io.torgate.gateway.capture.CaptureSwitch;
import io.torgate.gateway.capture.FlightRecorder;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.control.ControlServer;
import io.torgate.gateway.control.PeerAuthorizer;
import io.torgate.gateway.testing.Packets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code torgate capture ...} and {@code torgate ctl capture ...} against a real control socket serving the
 * {@code capture} command of a {@link CaptureControl}: start, status, stop, dump, and errors with their exit codes.
 */
class CaptureCommandTest {
    @TempDir
    Path dir;
    private ControlServer server;
    private CaptureControl control;
    private final CaptureSwitch tap = new CaptureSwitch();

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path startServer() throws Exception {
        control = new CaptureControl(tap, new FlightRecorder(4, 8, 2048), dir.resolve("cap"));
        Path socket = dir.resolve("ctl.sock");
        server = new ControlServer(socket, new PeerAuthorizer(null, Path.of("/etc/group")));
        control.register(server);
        server.start();
        return socket;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (control != null) {
            control.close();
        }
    }

    @Test
    void startStatusStopAndDumpThroughTheSocket() throws Exception {
        String socket = startServer().toString();
        CliRun status = run("capture", "--socket", socket, "status");
        assertEquals(0, status.exit(), status.err());
        assertEquals("no capture running; recorder: 0 clients\n", status.out());
        CliRun start = run("capture", "--socket", socket, "start", "client=10.99.0.2", "dir=dropped", "path=s1");
        assertEquals("capturing to " + dir.resolve("cap/s1/torgate-*.pcapng") + "\n", start.out());
        byte[] udp = Packets.udp("10.99.0.2", 40001, "10.99.0.1", 123, new byte[4]);
        tap.dropped(ByteBuffer.wrap(udp), 0, udp.length, DropReason.UDP_PORT);
        CliRun again = run("ctl", "--socket", socket, "capture", "start");
        assertEquals(1, again.exit(), "a second capture is refused");
        assertTrue(again.err().contains("a capture is already running"), again.err());
        CliRun stopped = run("capture", "--socket", socket, "stop");
        assertTrue(stopped.out().startsWith("stopped: 1 packets written, 0 lost"), stopped.out());
        try (var files = Files.list(dir.resolve("cap/s1"))) {
            assertEquals(1, files.count());
        }
        CliRun dump = run("capture", "--socket", socket, "dump", "10.99.0.2", "last.pcapng");
        assertEquals("dumped 1 packets of 10.99.0.2 to " + dir.resolve("cap/last.pcapng") + "\n", dump.out());
    }

    @Test
    void operatorErrorsAndAnUnreachableSocket() throws Exception {
        String socket = startServer().toString();
        CliRun bad = run("capture", "--socket", socket, "start", "colour=red");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("unknown capture filter 'colour=red'"), bad.err());
        CliRun outside = run("capture", "--socket", socket, "dump", "10.99.0.2", "/etc/x");
        assertEquals(1, outside.exit());
        assertTrue(outside.err().contains("outside the capture directory"), outside.err());
        assertEquals(2, run("capture", "--socket", socket).exit(), "no subcommand: usage");
        assertEquals(Main.EXIT_UNAVAILABLE, run("capture", "--socket", dir.resolve("none.sock").toString(), "status")
            .exit());
    }
}
