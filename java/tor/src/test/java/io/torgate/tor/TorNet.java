package io.torgate.tor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The lab's private Tor network ({@code test-vms/tornet.sh}) for tests tagged {@code tor}: brings it up (or reuses
 * it when it is already up; other suites share it, so tests never take it down unless they started it) and reads
 * its {@code env} variables, e.g. {@code TORNET_CLIENT_TORRC} (the fragment a client tor needs) and
 * {@code TORNET_WEB_IP}. The one copy of this helper: the gateway's tests use it through this module's test-jar.
 *
 * <p>Immutable after {@link #up()}; thread-safe.
 */
public final class TorNet {
    private final Map<String, String> env;

    private TorNet(Map<String, String> env) {
        this.env = env;
    }

    /** Brings the network up (or finds it up), bounded to four minutes. */
    public static TorNet up() throws IOException, InterruptedException {
        run(240, "up");
        Map<String, String> env = new HashMap<>();
        for (String line : run(30, "env").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
            }
        }
        return new TorNet(env);
    }

    /** True when {@code tornet.sh status} finds the network up (a test that starts it may then take it down). */
    public static boolean isUp() throws IOException, InterruptedException {
        try {
            run(10, "status");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code tornet.sh down}: only for a test that found the network down and started it. */
    public static void down() throws IOException, InterruptedException {
        run(60, "down");
    }

    /** The repository root: the first directory above the working directory holding {@code test-vms/tornet.sh}. */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("test-vms/tornet.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("test-vms/tornet.sh not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** The tor binary Debian installs. */
    public static Path torBinary() {
        return Path.of(Files.isExecutable(Path.of("/usr/bin/tor")) ? "/usr/bin/tor" : "/usr/sbin/tor");
    }

    private static String run(int timeoutSeconds, String arg) throws IOException, InterruptedException {
        Path script = repoRoot().resolve("test-vms/tornet.sh");
        Process p = new ProcessBuilder("bash", script.toString(), arg).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("tornet.sh " + arg + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("tornet.sh " + arg + " failed:\n" + text);
        }
        return text;
    }

    /** The client torrc fragment (DirAuthority lines, TestingTorNetwork, ...). */
    public String clientTorrc() throws IOException {
        return Files.readString(Path.of(get("TORNET_CLIENT_TORRC")));
    }

    /**
     * The root namespace's address on the lab link ({@code TORNET_ROOT_IF}): exits route to it, so listeners bound
     * there are stream targets that are not relay ports (TORNET.md pitfall 3).
     */
    public String rootAddress() throws IOException, InterruptedException {
        String dev = get("TORNET_ROOT_IF");
        Process p = new ProcessBuilder("ip", "-4", "-o", "addr", "show", "dev", dev).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(" inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/").matcher(out);
        if (!m.find()) {
            throw new IOException("no IPv4 address on " + dev + ": " + out);
        }
        return m.group(1);
    }

    /** A variable of {@code tornet.sh env}; fails when it is missing. */
    public String get(String key) {
        String v = env.get(key);
        if (v == null) {
            throw new IllegalStateException("tornet.sh env has no " + key);
        }
        return v;
    }
}
