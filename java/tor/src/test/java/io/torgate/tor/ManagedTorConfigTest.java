package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated torrc and the verify-config gate, against the installed tor (no network needed). */
@org.junit.jupiter.api.Tag("tor")
class ManagedTorConfigTest {
    static final Path TOR = TorNet.torBinary();

    @Test
    void rendersRequiredLinesThenExtra(@TempDir Path dir) {
        Torrc t = new Torrc(TOR, dir.resolve("data"), dir.resolve("run"), "Bridge 192.0.2.1:443");
        String text = t.render(1234);
        List<String> lines = text.lines().toList();
        String socks = "SocksPort unix:" + dir.resolve("run/socks.sock") + " IsolateSOCKSAuth ExtendedErrors";
        assertTrue(lines.contains(socks));
        assertTrue(lines.contains("ControlSocket " + dir.resolve("run/control.sock")));
        assertTrue(lines.contains("CookieAuthentication 1"));
        assertTrue(lines.contains("DataDirectory " + dir.resolve("data")));
        assertTrue(lines.contains("__OwningControllerProcess 1234"));
        assertTrue(lines.contains("ConfluxEnabled 0"), "conflux off: its legs do not share isolation fields");
        assertEquals("Bridge 192.0.2.1:443", lines.get(lines.size() - 1), "extra torrc is appended last");
    }

    @Test
    void acceptsValidConfig(@TempDir Path dir) throws Exception {
        Torrc t = new Torrc(TOR, dir.resolve("data"), dir.resolve("run"), "DisableNetwork 1\n");
        t.write(ProcessHandle.current().pid());
        t.verify(30_000);
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("run"))));
    }

    /**
     * The generated torrc turns conflux off and this tor accepts it; the anti-test shows tor really parses the
     * option here (a value it does not know is refused), so an unknown option would not pass silently.
     */
    @Test
    void confluxIsOffAndTorAcceptsIt(@TempDir Path dir) throws Exception {
        Torrc t = new Torrc(TOR, dir.resolve("data"), dir.resolve("run"), "DisableNetwork 1\n");
        t.write(ProcessHandle.current().pid());
        assertTrue(Files.readAllLines(t.file()).contains(Torrc.CONFLUX_OFF));
        t.verify(30_000);
        Torrc bad = new Torrc(TOR, dir.resolve("data"), dir.resolve("run"), "ConfluxEnabled 2\n");
        bad.write(ProcessHandle.current().pid());
        TorConfigException e = assertThrows(TorConfigException.class, () -> bad.verify(30_000));
        assertTrue(e.torOutput().contains("ConfluxEnabled"), e.torOutput());
    }

    /** The packaged defaults ({@code deploy/defaults/torrc.defaults}) turn conflux off and tor accepts the file. */
    @Test
    void deployDefaultsTurnConfluxOffAndTorAcceptsThem(@TempDir Path dir) throws Exception {
        Path defaults = TorNet.repoRoot().resolve("deploy/defaults/torrc.defaults");
        assertTrue(Files.readAllLines(defaults).contains(Torrc.CONFLUX_OFF), defaults + " has no " + Torrc.CONFLUX_OFF);
        Path empty = Files.writeString(dir.resolve("torrc"), "");
        Process p = new ProcessBuilder(TOR.toString(), "--verify-config", "--defaults-torrc", defaults.toString(),
            "-f", empty.toString(), "--DataDirectory", dir.resolve("data").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "tor --verify-config finishes");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Configuration was valid"), out);
    }

    @Test
    void syntaxErrorInExtraTorrcStopsStartWithTorsMessage(@TempDir Path dir) {
        Torrc t = new Torrc(TOR, dir.resolve("data"), dir.resolve("run"), "SocksPort 9050\nNoSuchOption 1\n");
        List<ManagedTor.State> states = new ArrayList<>();
        ManagedTor tor = new ManagedTor(ManagedTor.Settings.defaults(t));
        tor.addStateListener(states::add);
        TorConfigException e = assertThrows(TorConfigException.class, tor::start);
        assertTrue(e.torOutput().contains("NoSuchOption"), e.torOutput());
        assertTrue(e.getMessage().contains("Unknown option"), e.getMessage());
        assertEquals(List.of(ManagedTor.State.STARTING, ManagedTor.State.FAILED), states);
        assertEquals(-1, tor.pid());
        tor.close();
    }

    @Test
    void parsesBootstrapPhase() {
        BootstrapStatus b = BootstrapStatus.parse("NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"");
        assertTrue(b.done());
        assertEquals("done", b.tag());
        assertEquals("Done", b.summary());
        assertEquals(-1, BootstrapStatus.parse("garbage").progress());
    }
}
