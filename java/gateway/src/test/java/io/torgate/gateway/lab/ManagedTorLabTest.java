package io.torgate.gateway.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.Gateway;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.ConfigLoader;
import io.torgate.gateway.ops.TorLink;
import io.torgate.gateway.relay.HostnameResolver;
import io.torgate.tor.ManagedTor;
import io.torgate.tor.TorNet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 5's acceptance "killing tor: the gateway refuses new flows with RST (never any other path), restarts tor
 * in managed mode, and recovers", through tun0 with real curl: the gateway runs with {@code [tor] mode =
 * "managed"} on the lab's private Tor network (its gw namespace gets a veth link to tornet's namespace, so only
 * the managed tor's own connections can go there; clients are still policy-routed into tun0 only).
 */
@Tag("tor")
@Timeout(value = 400)
class ManagedTorLabTest {
    private static final String LINK = "tgmt" + ProcessHandle.current().pid() % 100_000;

    @Test
    void killedTorMeansRstThenRestartAndRecovery() throws Exception {
        TorNet net = TorNet.up();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "tgmt");
        Path extra = dir.resolve("extra.torrc");
        Files.writeString(extra, net.clientTorrc());
        String web = "http://" + net.get("TORNET_WEB_IP") + "/";
        String config = """
            [tun]
            name = "tun0"
            [network]
            client_ranges = ["10.137.0.0/24"]
            gateway_addresses = ["10.139.1.1"]
            [socks]
            connect_timeout_ms = 30000
            [tor]
            mode = "managed"
            data_dir = "%s/data"
            run_dir = "%s/run"
            extra_torrc = "%s"
            bootstrap_timeout_ms = 120000
            restart_delay_ms = 6000
            """.formatted(dir, dir, extra);
        try (Lab lab = new Lab(config, false)) {
            linkToTornet(lab, net);
            lab.gateway = lab.gw.call(() -> Gateway.start(ConfigLoader.parse("lab.toml", config),
                HostnameResolver.NONE));
            lab.routeIntoTun();
            ManagedTor tor = lab.gateway.managedTor();
            assertNotNull(tor);
            assertTrue(fetchWithin(lab, web, 120_000), "a first fetch through the managed tor");
            TorLink.State st = lab.gateway.state().tor().state();
            assertEquals("managed", st.mode());
            assertEquals("ready", st.process());
            assertEquals(100, st.bootstrapProgress(), "ctl status reads the managed tor's bootstrap: " + st);

            long pid = tor.pid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            long deadline = System.currentTimeMillis() + 5_000;
            while (tor.isReady() && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertFalse(tor.isReady(), "tor is seen dead");
            String out = lab.client(1).sh("curl -sS --max-time 4 -o /dev/null " + web + " 2>&1; echo rc=$?");
            assertTrue(out.contains("rc=7"), "connection refused (RST) while tor is dead: " + out);
            assertTrue(lab.gateway.pipeline().drops(DropReason.TOR_NOT_READY) >= 1);
            assertEquals(0, lab.gateway.egress().refused(), "no other path was tried");

            deadline = System.currentTimeMillis() + 180_000;
            while ((tor.state() != ManagedTor.State.READY || tor.pid() == pid)
                && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            assertEquals(ManagedTor.State.READY, tor.state(), "the gateway restarted tor");
            assertTrue(fetchWithin(lab, web, 120_000), "new flows work again, no gateway restart");
            assertEquals(100, lab.gateway.state().tor().state().bootstrapProgress(),
                "the control link follows the restarted tor");
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * A veth between the lab's gw namespace and tornet's: routes to the relays and services for the gateway's own
     * sockets (its tor); deleted with the gw namespace.
     */
    private static void linkToTornet(Lab lab, TorNet net) throws Exception {
        String ns = net.get("TORNET_NS");
        lab.gw.sh("ip link add " + LINK + " type veth peer name " + LINK + "n netns " + ns
            + " && ip addr add 10.253.77.2/30 dev " + LINK + " && ip link set " + LINK + " up"
            + " && ip -n " + ns + " addr add 10.253.77.1/30 dev " + LINK + "n && ip -n " + ns + " link set "
            + LINK + "n up"
            + " && ip route add " + net.get("TORNET_RELAY_NET") + " via 10.253.77.1"
            + " && ip route add " + net.get("TORNET_SVC_NET") + " via 10.253.77.1");
    }

    private static boolean fetchWithin(Lab lab, String url, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            String code = lab.client(2).sh("curl -s --max-time 30 -o /dev/null -w '%{http_code}' " + url
                + " || true");
            if (code.startsWith("200")) {
                return true;
            }
            Thread.sleep(2_000);
        }
        return false;
    }
}
