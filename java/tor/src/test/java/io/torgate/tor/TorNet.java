package io.torgate.tor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The lab's private Tor network ({@code test-vms/tornet.sh}): brings it up (or reuses it when it is already up;
 * other suites share it, so tests never take it down) and reads its {@code env} variables.
 */
final class TorNet {
    final Map<String, String> env;

    private TorNet(Map<String, String> env) {
        this.env = env;
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("test-vms/tornet.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("test-vms/tornet.sh not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static TorNet up() throws IOException, InterruptedException {
        Path script = repoRoot().resolve("test-vms/tornet.sh");
        run(script, 240, "up");
        Map<String, String> env = new HashMap<>();
        for (String line : run(script, 30, "env").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
            }
        }
        return new TorNet(env);
    }

    private static String run(Path script, int timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "bash";
        cmd[1] = script.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("tornet.sh " + String.join(" ", args) + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("tornet.sh " + String.join(" ", args) + " failed:\n" + text);
        }
        return text;
    }

    /** The client torrc fragment (DirAuthority lines, TestingTorNetwork, ...). */
    String clientTorrc() throws IOException {
        return Files.readString(Path.of(env.get("TORNET_CLIENT_TORRC")));
    }

    /**
     * The root namespace's address on the lab link ({@code TORNET_ROOT_IF}): exits route to it, so listeners bound
     * there are stream targets that are not relay ports (TORNET.md pitfall 3).
     */
    String rootAddress() throws IOException, InterruptedException {
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

    String get(String key) {
        String v = env.get(key);
        if (v == null) {
            throw new IllegalStateException("tornet.sh env has no " + key);
        }
        return v;
    }
}
