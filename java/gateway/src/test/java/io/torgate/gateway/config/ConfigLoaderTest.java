package io.torgate.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private static final String MINIMAL = """
        [network]
        client_ranges = ["10.137.0.0/16"]
        [socks]
        endpoint = "127.0.0.1:9050"
        """;

    private static List<String> errors(String toml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse("t.toml", toml)).errors();
    }

    private static void assertError(String toml, String expected) {
        List<String> errors = errors(toml);
        assertTrue(errors.stream().anyMatch(e -> e.contains(expected)), "wanted '" + expected + "' in " + errors);
    }

    @Test
    void loadsTheCommentedExampleConfig() throws Exception {
        GatewayConfig c = ConfigLoader.load(Path.of("src/main/config/torgate.example.toml"));
        assertEquals("tun0", c.tun().name());
        assertEquals(1500, c.tun().mtu());
        assertEquals(List.of(Cidr.parse("10.137.0.0/16")), c.network().clientRanges());
        assertEquals(2, c.network().gatewayAddresses().size());
        assertEquals(IdleKind.BLOCK, c.pipeline().idle());
        assertEquals(TunReaderKind.DEFAULT, c.pipeline().tunReader());
        assertEquals(new InetSocketAddress("127.0.0.1", 9050), c.socks().endpoint());
        assertEquals(2, c.socks().preconnect());
        assertEquals(64, c.limits().synsInFlightPerClient());
        assertTrue(!c.drops().rejects(DropReason.UDP_PORT));
        assertEquals(new GatewayConfig.SocksPorts(false, 9050, 9049), c.socksPorts());
        assertEquals(GatewayConfig.Tor.EXTERNAL, c.tor());
        assertEquals(GatewayConfig.Capture.DEFAULT, c.capture());
        assertEquals(new GatewayConfig.Control(Path.of("/run/torgate/control.sock"), null), c.control());
        assertEquals(GatewayConfig.Metrics.NONE, c.metrics());
        assertEquals(List.of("work", "research"), c.policy().clients().stream().map(p -> p.name()).toList());
        assertEquals(4, c.policy().clientFor(Cidr.parseAddress("10.137.0.17")).firewall().rules().size());
        assertEquals("research", c.policy().isolation().profileFor(Cidr.parseAddress("10.137.0.5"), 443).name());
        assertEquals(50, c.limits().perClient().dnsQueriesPerSecond());
        assertEquals(DropPolicy.Action.PROHIBIT, c.policy().firewallAnswer());
    }

    @Test
    void captureSection() throws Exception {
        assertEquals(GatewayConfig.Capture.DEFAULT, ConfigLoader.parse("t.toml", MINIMAL).capture());
        GatewayConfig c = ConfigLoader.parse("t.toml", MINIMAL + "[capture]\ndirectory = \"/tmp/cap\"\n"
            + "max_file_bytes = 1048576\nrotate_seconds = 60\nmax_total_bytes = 4194304\n"
            + "flight_recorder_packets = 128\nflight_recorder_clients = 8\n");
        assertEquals(new GatewayConfig.Capture(Path.of("/tmp/cap"), 1 << 20, 60, 4 << 20, 128, 8), c.capture());
        assertError(MINIMAL + "[capture]\nmax_file_bytes = 2097152\nmax_total_bytes = 1048576\n",
            "capture.max_total_bytes: must be at least max_file_bytes");
        assertError(MINIMAL + "[capture]\ndirectory = \"cap\"\n", "capture.directory: must be an absolute path");
        assertError(MINIMAL + "[capture]\nring = 1\n", "capture.ring: unknown key");
    }

    @Test
    void controlSocketMetricsAndExternalControlPort() throws Exception {
        GatewayConfig c = ConfigLoader.parse("t.toml", MINIMAL + "[control]\nsocket = \"/run/tg/ctl.sock\"\n"
            + "group = \"torgate\"\n[metrics]\nlisten = \"127.0.0.1:9469\"\n"
            + "[tor]\ncontrol = \"unix:/run/tor/control\"\n");
        assertEquals(new GatewayConfig.Control(Path.of("/run/tg/ctl.sock"), "torgate"), c.control());
        assertEquals(new InetSocketAddress("127.0.0.1", 9469), c.metrics().listen());
        assertEquals(java.net.UnixDomainSocketAddress.of("/run/tor/control"), c.tor().control());
        assertTrue(!ConfigLoader.parse("t.toml", MINIMAL).control().enabled());
        assertTrue(!ConfigLoader.parse("t.toml", MINIMAL).metrics().enabled());
        assertError(MINIMAL + "[metrics]\nlisten = \"10.137.0.1:9469\"\n",
            "t.toml:6:1: metrics.listen: must be a loopback address");
        assertError(MINIMAL + "[metrics]\nlisten = \"unix:/x\"\n", "metrics.listen: must be \"127.0.0.1:PORT\"");
        assertError(MINIMAL + "[control]\nsocket = \"ctl.sock\"\n", "t.toml:6:1: control.socket: must be an absolute");
        assertError(MINIMAL + "[control]\ngroup = \"Bad Group\"\n", "control.group: must be a Unix group name");
        assertError(MINIMAL + "[control]\nsockett = \"/x\"\n", "control.sockett: unknown key");
    }

    @Test
    void socksPortsAndManagedTor() throws Exception {
        GatewayConfig c = ConfigLoader.parse("t.toml", MINIMAL + "[socks_ports]\nenabled = true\n"
            + "destination_port = 9100\n");
        assertEquals(new GatewayConfig.SocksPorts(true, 9050, 9100), c.socksPorts());
        assertTrue(c.socks().icmpRefusals());
        assertTrue(!ConfigLoader.parse("t.toml", MINIMAL + "icmp_refusals = false\n").socks().icmpRefusals());
        assertTrue(!c.tor().managed());
        GatewayConfig m = ConfigLoader.parse("t.toml", "[network]\nclient_ranges = [\"10.137.0.0/16\"]\n"
            + "[tor]\nmode = \"managed\"\nrun_dir = \"/run/tg\"\nextra_torrc = \"/etc/tg/extra\"\n");
        assertTrue(m.tor().managed());
        assertEquals(Path.of("/run/tg"), m.tor().runDir());
        assertEquals(Path.of("/etc/tg/extra"), m.tor().extraTorrc());
        assertEquals(null, m.socks().endpoint());
        assertError(MINIMAL + "[tor]\nmode = \"managed\"\n", "socks.endpoint: must be left out");
        assertError(MINIMAL + "[tor]\nmode = \"auto\"\n", "t.toml:6:1: tor.mode: must be \"external\" or");
        assertError(MINIMAL + "[tor]\nextra_torrc = \"x\"\n", "tor.extra_torrc: must be an absolute path");
        assertError(MINIMAL + "[socks_ports]\nclient_auth_port = 9049\n", "socks_ports.destination_port: must differ");
        assertError(MINIMAL + "[socks_ports]\nport = 1\n", "socks_ports.port: unknown key");
    }

    @Test
    void defaultsAndUnixEndpointAndReject() throws Exception {
        GatewayConfig c = ConfigLoader.parse("t.toml", MINIMAL.replace("127.0.0.1:9050", "unix:/run/tor/socks")
            + "[drop]\nudp_port = \"reject\"\n[pipeline]\nworkers = 2\nidle = \"backoff\"\n"
            + "tun_reader = \"worker\"\n");
        assertEquals(UnixDomainSocketAddress.of("/run/tor/socks"), c.socks().endpoint());
        assertTrue(c.drops().rejects(DropReason.UDP_PORT));
        assertTrue(!c.dns().enabled());
        assertEquals(2, c.pipeline().workers());
        GatewayConfig d = ConfigLoader.parse("t.toml", MINIMAL + "[dns]\nenabled = true\nmode = \"mapped\"\n"
            + "map_file = \"/var/lib/torgate/map\"\n");
        assertTrue(d.dns().enabled() && d.dns().mapped());
        assertEquals(Path.of("/var/lib/torgate/map"), d.dns().mapFile());
        assertEquals(IdleKind.BACKOFF, c.pipeline().idle());
        assertEquals(TunReaderKind.WORKER, c.pipeline().tunReader());
        assertEquals(TunReaderKind.THREAD, ConfigLoader.parse("t.toml",
            MINIMAL + "[pipeline]\ntun_reader = \"thread\"\n").pipeline().tunReader());
    }

    @Test
    void preconnectDefaultsToTwoPerWorkerAndZeroTurnsItOff() throws Exception {
        assertEquals(2, ConfigLoader.parse("t.toml", MINIMAL).socks().preconnect());
        assertEquals(0, ConfigLoader.parse("t.toml", MINIMAL + "preconnect = 0\n").socks().preconnect());
        assertEquals(8, ConfigLoader.parse("t.toml", MINIMAL + "preconnect = 8\n").socks().preconnect());
        assertError(MINIMAL + "preconnect = 65\n", "preconnect");
        assertError(MINIMAL + "preconnect = -1\n", "preconnect");
    }

    @Test
    void errorsNameFileLineAndKey() {
        assertError(MINIMAL + "[pipeline]\nworkers = 0\n", "t.toml:6:1: pipeline.workers: must be 1..64 (got 0)");
        assertError(MINIMAL + "[pipeline]\nworkerz = 2\n", "t.toml:6:1: pipeline.workerz: unknown key");
        assertError(MINIMAL + "[pipeline]\ntun_reader = \"both\"\n",
            "pipeline.tun_reader: must be worker or thread (got 'both')");
        assertError(MINIMAL + "[pipeline]\nring_size = 1000\n", "t.toml:6:1: pipeline.ring_size: must be a power");
        assertError(MINIMAL + "[tun]\nmtu = \"big\"\n", "t.toml:6:1: tun.mtu: must be an integer");
        assertError(MINIMAL + "[bogus]\n", "t.toml:5:1: bogus: unknown section");
        assertError(MINIMAL + "[drop]\nicmp = \"reject\"\n", "t.toml:6:1: drop.icmp: can only be \"drop\"");
        assertError(MINIMAL + "[drop]\nnope = \"drop\"\n", "drop.nope: unknown drop class");
        assertError(MINIMAL.replace("10.137.0.0/16", "10.137.0.0/40"), "t.toml:2:1: network.client_ranges: element 0");
        assertError(MINIMAL.replace("\"10.137.0.0/16\"", "\"10.137.0.0/16\", \"10.137.5.0/24\""), "overlaps");
        assertError(MINIMAL.replace("127.0.0.1:9050", "tor.example:9050"), "socks.endpoint: 'tor.example'");
        assertError("[network]\nclient_ranges = [\n", "t.toml:3:1: syntax:");
        assertError("[network]\nclient_ranges = []\n", "socks.endpoint: is required");
        assertError(MINIMAL + "[dns]\nmode = \"fast\"\n", "t.toml:6:1: dns.mode: must be \"resolve\" or \"mapped\"");
        assertError(MINIMAL + "[dns]\nenabled = 1\n", "t.toml:6:1: dns.enabled: must be true or false");
    }
}
