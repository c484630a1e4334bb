package io.torgate.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code [tun] queues}: "auto" or 1..64, at most the workers; absent means 1 (the single-fd path). */
class TunQueuesConfigTest {
    private static final String MINIMAL = """
        [network]
        client_ranges = ["10.137.0.0/16"]
        [socks]
        endpoint = "127.0.0.1:9050"
        """;

    private static GatewayConfig parse(String tun, int workers) throws ConfigException {
        return ConfigLoader.parse("t.toml", MINIMAL + "[tun]\n" + tun + "[pipeline]\nworkers = " + workers + "\n");
    }

    private static void assertError(String tun, int workers, String expected) {
        List<String> errors = assertThrows(ConfigException.class, () -> parse(tun, workers)).errors();
        assertTrue(errors.stream().anyMatch(e -> e.contains(expected)), "wanted '" + expected + "' in " + errors);
    }

    @Test
    void absentIsOneQueueAsInTheExample() throws Exception {
        assertEquals(1, parse("", 2).tun().queues());
        assertEquals(1, parse("", 2).tun().queueCount(2));
        assertEquals(1, ConfigLoader.load(Path.of("src/main/config/torgate.example.toml")).tun().queues());
    }

    @Test
    void autoIsOneQueuePerWorker() throws Exception {
        GatewayConfig two = parse("queues = \"auto\"\n", 2);
        assertEquals(GatewayConfig.Tun.AUTO_QUEUES, two.tun().queues());
        assertEquals(2, two.tun().queueCount(two.pipeline().workers()));
        GatewayConfig one = parse("queues = \"auto\"\n", 1);
        assertEquals(1, one.tun().queueCount(one.pipeline().workers()));
    }

    @Test
    void explicitCountUpToTheWorkers() throws Exception {
        assertEquals(2, parse("queues = 2\n", 4).tun().queueCount(4));
        assertEquals(4, parse("queues = 4\n", 4).tun().queueCount(4));
    }

    @Test
    void badValuesNameFileLineAndKey() {
        assertError("queues = 0\n", 2, "t.toml:6:1: tun.queues: must be \"auto\" or 1..64 (got 0)");
        assertError("queues = 65\n", 64, "t.toml:6:1: tun.queues: must be \"auto\" or 1..64 (got 65)");
        assertError("queues = \"many\"\n", 2, "t.toml:6:1: tun.queues: must be \"auto\" or 1..64 (got many)");
        assertError("queues = true\n", 2, "t.toml:6:1: tun.queues: must be \"auto\" or 1..64 (got true)");
        assertError("queues = 3\n", 2, "t.toml:6:1: tun.queues: must be at most pipeline.workers (2), got 3");
    }

    @Test
    void aChangedQueueCountNeedsARestart() throws Exception {
        assertTrue(!parse("queues = 2\n", 2).tun().equals(parse("queues = 1\n", 2).tun()),
            "queues is part of [tun], which a reload reports as needs_restart");
    }
}
