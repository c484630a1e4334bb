package io.torgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.tor.TorNet;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 5's bad-input acceptance at the command line: {@code torgate run} with {@code [tor] mode = "managed"} and
 * an extra torrc that tor rejects stops start-up with tor's own message and the configuration exit code, before
 * any TUN is opened (tor is verified first). Needs the installed tor binary, no network.
 */
@Tag("tor")
@Timeout(value = 60)
class ManagedTorStartTest {
    @Test
    void extraTorrcSyntaxErrorStopsStartWithTorsMessage(@TempDir Path dir) throws Exception {
        Path extra = dir.resolve("extra.torrc");
        Files.writeString(extra, "NoSuchOption 1\n");
        Path config = dir.resolve("torgate.toml");
        Files.writeString(config, """
            [tun]
            name = "tgbadtor0"
            [network]
            client_ranges = ["10.137.0.0/24"]
            [tor]
            mode = "managed"
            tor_binary = "%s"
            data_dir = "%s/data"
            run_dir = "%s/run"
            extra_torrc = "%s"
            """.formatted(TorNet.torBinary(), dir, dir, extra));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = new CommandLine(new Main()).execute("run", "--config", config.toString());
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_CONFIG, rc, text);
        assertTrue(text.contains("tor rejected its configuration") && text.contains("NoSuchOption"), text);
        assertTrue(Files.notExists(Path.of("/sys/class/net/tgbadtor0")), "no TUN was opened");
    }
}
