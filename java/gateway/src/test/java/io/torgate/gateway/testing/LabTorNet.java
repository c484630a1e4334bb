package io.torgate.gateway.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The lab's private Tor network for gateway tests tagged {@code tor}: {@code test-vms/tornet.sh up} (idempotent and
 * shared with other suites, so tests never take it down) and its {@code env} variables, e.g.
 * {@code TORNET_CLIENT_TORRC} (the fragment a client tor needs) and {@code TORNET_WEB_IP}.
 */
public final class LabTorNet {
    private final Map<String, String> env;

    private LabTorNet(Map<String, String> env) {
        this.env = env;
    }

    /** Brings the network up (or finds it up), bounded to four minutes. */
    public static LabTorNet up() throws IOException, InterruptedException {
        Path script = repoRoot().resolve("test-vms/tornet.sh");
        tornet(script, 240, "up");
        Map<String, String> env = new HashMap<>();
        for (String line : tornet(script, 30, "env").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
            }
        }
        return new LabTorNet(env);
    }

    /** A variable of {@code tornet.sh env}; fails when it is missing. */
    public String get(String name) {
        String v = env.get(name);
        if (v == null) {
            throw new IllegalStateException("tornet.sh env has no " + name);
        }
        return v;
    }

    /** The client torrc fragment as text, plus {@code ConfluxEnabled 0} (TORNET.md: one group, one circuit). */
    public String clientTorrc() throws IOException {
        return Files.readString(Path.of(get("TORNET_CLIENT_TORRC"))) + "\nConfluxEnabled 0\n";
    }

    /** The tor binary Debian installs. */
    public static Path torBinary() {
        return Path.of(Files.isExecutable(Path.of("/usr/bin/tor")) ? "/usr/bin/tor" : "/usr/sbin/tor");
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("test-vms/tornet.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("test-vms/tornet.sh not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    private static String tornet(Path script, int timeoutSeconds, String arg) throws IOException, InterruptedException {
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
}
