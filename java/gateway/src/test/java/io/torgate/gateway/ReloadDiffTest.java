package io.torgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.torgate.gateway.config.ConfigLoader;
import io.torgate.gateway.config.GatewayConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a reload may change live and what it reports as needing a restart. */
class ReloadDiffTest {
    private static final String BASE = """
        [network]
        client_ranges = ["10.137.0.0/16"]
        [socks]
        endpoint = "127.0.0.1:9050"
        """;

    private static GatewayConfig parse(String extra) throws Exception {
        return ConfigLoader.parse("t.toml", BASE + extra);
    }

    @Test
    void liveSectionsNeedNoRestart() throws Exception {
        GatewayConfig cur = parse("");
        GatewayConfig next = parse("""
            [limits]
            streams_per_client = 3
            new_streams_per_second_per_client = 10
            [drop]
            firewall = "reject"
            [[clients]]
            name = "a"
            range = "10.137.0.5"
            firewall = "strict"
            [firewalls.strict]
            default = "drop"
            [isolation]
            default_profile = "browser"
            """);
        assertEquals(List.of(), ReloadDiff.needsRestart(cur, next));
        assertEquals(List.of("clients", "firewalls", "isolation", "client limits"),
            ReloadDiff.policyChanges(cur.policy(), next.policy()));
    }

    @Test
    void fixedSectionsAreReportedByName() throws Exception {
        GatewayConfig cur = parse("");
        GatewayConfig next = ConfigLoader.parse("t.toml", BASE.replace("9050", "9150") + """
            [tun]
            mtu = 1400
            [pipeline]
            workers = 2
            [limits]
            streams = 10
            [drop]
            udp_port = "reject"
            [tor]
            bootstrap_timeout_ms = 5000
            """);
        assertEquals(List.of("tun", "pipeline", "socks", "tor", "limits.streams", "drop.udp_port"),
            ReloadDiff.needsRestart(cur, next));
        assertEquals(List.of(), ReloadDiff.needsRestart(cur, parse("")), "an unchanged file changes nothing");
    }
}
