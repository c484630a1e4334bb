package io.torgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code torgate replay} as the command line runs it: options, exit codes, deterministic output. */
class ReplayCommandTest {
    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static String fixture(String name) throws Exception {
        return Paths.get(ReplayCommandTest.class.getResource("capture/" + name).toURI()).toString();
    }

    @Test
    void replaysAFixtureTheSameTwice() throws Exception {
        CliRun a = run("replay", "--clients", "10.99.0.2/32", fixture("http-session.pcap"));
        assertEquals(0, a.exit(), a.err());
        assertTrue(a.out().contains("10.99.0.2:47890>10.99.0.1:8000 CLOSED=>LISTEN"), a.out());
        assertTrue(a.out().contains("drops: none"), a.out());
        assertEquals(a.out(), run("replay", "--clients", "10.99.0.2/32", fixture("http-session.pcap")).out());
    }

    @Test
    void refusingUpstreamAndBadPacketsShowTheirReasons() throws Exception {
        CliRun refused = run("replay", "--clients=10.99.0.2/32", "--upstream=refuse", fixture("http-session.pcap"));
        assertTrue(refused.out().contains("drop socks_refused 10.99.0.2:47890>10.99.0.1:8000"), refused.out());
        CliRun bad = run("replay", "--clients", "10.99.0.0/24", "--gateway", "10.99.0.1", fixture("bad-packets.pcap"));
        assertEquals(0, bad.exit(), bad.err());
        assertTrue(bad.out().contains("drop bad_tcp_checksum "), bad.out());
    }

    @Test
    void configGivesTheClientRanges(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("t.toml");
        Files.writeString(config,
            "[network]\nclient_ranges = [\"10.99.0.2/32\"]\n[socks]\nendpoint = \"127.0.0.1:9\"\n");
        CliRun viaConfig = run("replay", "--config", config.toString(), fixture("http-session.pcap"));
        assertEquals(run("replay", "--clients", "10.99.0.2/32", fixture("http-session.pcap")).out(), viaConfig.out());
    }

    @Test
    void errorsHaveTheirExitCodes(@TempDir Path dir) throws Exception {
        assertEquals(2, run("replay", "--upstream", "maybe", fixture("http-session.pcap")).exit());
        assertEquals(2, run("replay", "--clients", "10.99.0.300/32", fixture("http-session.pcap")).exit());
        CliRun missing = run("replay", dir.resolve("none.pcap").toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.out().startsWith("error: "), missing.out());
        Path bad = dir.resolve("bad.toml");
        Files.writeString(bad, "[nope]\n");
        assertEquals(Main.EXIT_CONFIG, run("replay", "--config", bad.toString(), fixture("http-session.pcap")).exit());
    }
}
