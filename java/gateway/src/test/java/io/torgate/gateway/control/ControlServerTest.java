package io.torgate.gateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket's protocol, bounds and peer-credential authorization, over a real Unix socket. */
class ControlServerTest {
    @TempDir
    Path dir;
    private ControlServer server;

    private Path start(String group, Path groupFile) throws IOException {
        Path socket = dir.resolve("ctl.sock");
        server = new ControlServer(socket, new PeerAuthorizer(group, groupFile));
        server.register("echo", "echo WORD...: repeats its arguments", r -> ControlReply.ok(
            String.join(",", r.args()) + (r.json() ? " json" : "") + "\n"));
        server.register("boom", "boom: fails", r -> {
            throw new IllegalStateException("kaputt");
        });
        server.start();
        return socket;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Sends raw bytes (no newline added), half-closes, returns everything the server said. */
    private static String raw(Path socket, byte[] request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.shutdownOutput();
            ByteBuffer in = ByteBuffer.allocate(1 << 16);
            while (ch.read(in) >= 0 && in.hasRemaining()) {
                // until the server closes
            }
            return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void answersRegisteredCommandsAndHelp() throws Exception {
        Path socket = start(null, Path.of("/etc/group"));
        ControlReply r = CtlClient.send(socket, "echo a b --json", 5_000);
        assertTrue(r.ok());
        assertEquals("a,b json\n", r.body());
        assertEquals("ok\na\n", raw(socket, "echo   a\r\n".getBytes(StandardCharsets.UTF_8)), "CRLF and blanks");
        String help = CtlClient.send(socket, "help", 5_000).body();
        assertTrue(help.contains("echo WORD...: repeats its arguments") && help.contains("help: list"), help);
    }

    @Test
    void malformedRequestsGetClearErrorsAndTheServerGoesOn() throws Exception {
        Path socket = start(null, Path.of("/etc/group"));
        assertEquals("error unknown command 'nope' (try 'help')\n", raw(socket, "nope\n".getBytes()));
        assertEquals("error bad request: empty (send a command such as 'help')\n", raw(socket, "\n".getBytes()));
        assertTrue(raw(socket, "echo \u0001x\n".getBytes()).startsWith("error bad request: control character 0x1"));
        assertEquals("error bad request: not UTF-8\n", raw(socket, new byte[] {'e', (byte) 0xC3, '\n'}));
        byte[] big = new byte[ControlRequest.MAX_BYTES + 10];
        java.util.Arrays.fill(big, (byte) 'a');
        assertEquals("error bad request: longer than 4096 bytes without a newline\n", raw(socket, big));
        assertTrue(raw(socket, ("echo" + " x".repeat(70) + "\n").getBytes())
            .startsWith("error bad request: more than"));
        ControlReply boom = CtlClient.send(socket, "boom", 5_000);
        assertFalse(boom.ok());
        assertTrue(boom.message().startsWith("internal: boom failed: java.lang.IllegalStateException: kaputt"),
            boom.message());
        assertEquals("x\n", CtlClient.send(socket, "echo x", 5_000).body(), "still serving after all that");
    }

    @Test
    void boundsConcurrentSessions() throws Exception {
        Path socket = start(null, Path.of("/etc/group"));
        CountDownLatch release = new CountDownLatch(1);
        server.register("hold", "hold", r -> {
            release.await(10, TimeUnit.SECONDS);
            return ControlReply.ok("released\n");
        });
        List<Thread> holders = new ArrayList<>();
        List<String> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < ControlServer.MAX_SESSIONS; i++) {
            holders.add(Thread.ofPlatform().start(() -> {
                try {
                    answers.add(CtlClient.send(socket, "hold", 15_000).body());
                } catch (IOException e) {
                    answers.add(e.toString());
                }
            }));
        }
        String busy = "";
        for (int i = 0; i < 100 && !busy.startsWith("error busy"); i++) {
            Thread.sleep(20);
            busy = raw(socket, "echo x\n".getBytes());
        }
        assertTrue(busy.startsWith("error busy: 4 control sessions are running"), busy);
        release.countDown();
        for (Thread t : holders) {
            t.join(15_000);
        }
        assertEquals(List.of("released\n", "released\n", "released\n", "released\n"), answers);
        assertEquals("x\n", CtlClient.send(socket, "echo x", 5_000).body());
    }

    @Test
    void aClientThatSendsNothingIsCutAfterTheRequestTimeout() throws Exception {
        Path socket = start(null, Path.of("/etc/group"));
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            long t0 = System.nanoTime();
            int n = ch.read(ByteBuffer.allocate(16)); // blocks until the server gives up on us
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(-1, n);
            assertTrue(waited >= ControlServer.REQUEST_TIMEOUT_MILLIS - 500 && waited < 15_000,
                "closed after " + waited);
        }
        assertEquals("x\n", CtlClient.send(socket, "echo x", 5_000).body());
    }

    @Test
    void socketFileIsMode0660WithTheConfiguredGroupAndReplacesAStaleFile() throws Exception {
        Files.writeString(dir.resolve("ctl.sock"), "stale");
        Path socket = start("nogroup", Path.of("/etc/group"));
        PosixFileAttributes a = Files.readAttributes(socket, PosixFileAttributes.class);
        assertEquals("rw-rw----", PosixFilePermissions.toString(a.permissions()));
        assertEquals("nogroup", a.group().getName());
        ControlServer second = new ControlServer(socket, new PeerAuthorizer(null, Path.of("/etc/group")));
        IOException e = assertThrows(IOException.class, second::start);
        assertTrue(e.getMessage().contains("in use by another process"), e.getMessage());
        server.close();
        assertFalse(Files.exists(socket), "socket file removed on close");
    }

    @Test
    void unknownGroupFailsStart() {
        Path socket = dir.resolve("ctl.sock");
        server = new ControlServer(socket, new PeerAuthorizer("no-such-group-x", Path.of("/etc/group")));
        IOException e = assertThrows(IOException.class, server::start);
        assertEquals("control.group no-such-group-x: no such group", e.getMessage());
        assertFalse(Files.exists(socket));
    }

    /** Runs a tiny client as nobody:nogroup (setpriv, /usr/bin/python3): what it printed, or its error. */
    private static String asNobody(Path socket, String... extraSetpriv) throws Exception {
        // The test suite runs as root (CI does): a missing prerequisite is a failure, never a silent skip.
        assertTrue("root".equals(System.getProperty("user.name")), "needs root to switch to nobody");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is missing");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 is missing");
        String py = "import socket,sys\n"
            + "s=socket.socket(socket.AF_UNIX)\n"
            + "try:\n s.connect(sys.argv[1])\nexcept OSError as e:\n print('connect:', e.strerror); sys.exit(0)\n"
            + "s.sendall(b'echo hi\\n'); s.shutdown(socket.SHUT_WR)\n"
            + "d=b''\nwhile True:\n c=s.recv(4096)\n if not c: break\n d+=c\n"
            + "print(d.decode(), end='')\n";
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534"));
        cmd.addAll(List.of(extraSetpriv));
        cmd.addAll(List.of("/usr/bin/python3", "-c", py, socket.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aNonMemberIsRefusedByPeerCredentials() throws Exception {
        Path socket = start(null, Path.of("/etc/group"));
        // Layer one: mode 0660 root:root keeps nobody out of connect(2) altogether.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals("connect: Permission denied\n", asNobody(socket, "--clear-groups"));
        // Layer two: with the file opened up, SO_PEERCRED still refuses nobody.
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertEquals("error refused: only root may use this control socket (no [control] group configured)\n",
            asNobody(socket, "--clear-groups"));
        assertEquals("x\n", CtlClient.send(socket, "echo x", 5_000).body(), "root is still served");
    }

    @Test
    void groupMembersAreServedByPrimaryOrSupplementaryMembership() throws Exception {
        Path groups = dir.resolve("group");
        Files.writeString(groups, "root:x:0:\nops:x:4242:alice,nobody\nnogroup:x:65534:\n");
        Path socket = start("nogroup", groups);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals("ok\nhi\n", asNobody(socket, "--clear-groups"), "primary group nogroup");
        server.close();
        Files.delete(dir.resolve("group"));
        // "users" exists on the machine (the socket's group); this fixture lists nobody as a supplementary member.
        Files.writeString(groups, "users:x:100:alice,nobody\nnogroup:x:65534:\n");
        server = new ControlServer(socket, new PeerAuthorizer("users", groups));
        server.register("echo", "echo", r -> ControlReply.ok(String.join(",", r.args()) + "\n"));
        server.start();
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertEquals("ok\nhi\n", asNobody(socket, "--clear-groups"), "listed in the group's member list");
        Files.writeString(groups, "users:x:100:alice\n");
        assertEquals("error refused: user nobody is neither root nor a member of group users\n",
            asNobody(socket, "--clear-groups"), "the group file is read at each check");
    }

    @Test
    void groupFileParsing() {
        assertEquals(List.of("a", "b"), PeerAuthorizer.members(List.of("x:x:1:", "ops:x:2:a,b"), "ops"));
        assertEquals(List.of(), PeerAuthorizer.members(List.of("ops:x:2:"), "ops"));
        assertEquals(List.of(), PeerAuthorizer.members(List.of("broken", "ops:x"), "ops"));
        PeerAuthorizer a = new PeerAuthorizer("ops", Path.of("/nonexistent"));
        assertEquals(null, a.refusal("root", "root"));
        assertEquals(null, a.refusal("bob", "ops"));
        assertEquals("user bob is neither root nor a member of group ops", a.refusal("bob", "users"));
    }
}
