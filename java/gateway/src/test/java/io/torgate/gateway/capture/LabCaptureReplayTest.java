package io.torgate.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.ConfigLoader;
import io.torgate.gateway.config.GatewayConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression fixture from the lab: {@code lab-c1-session.pcapng} is what {@code torgate capture start
 * client=10.137.0.11} wrote on the lab's running gateway during lab suite 70 (test-vms/suites/70-capture.sh keeps
 * it as .state/captures/70-c1-session.pcapng): c1's DNS queries and answers, a curl by name (mapped address
 * 10.192.0.1), a UDP datagram to port 123, a ping and a TCP ACK for no connection, each drop with its reason as the
 * packet comment and the no_flow one also recorded as received. Replayed offline, it must give the same lines
 * every time and reproduce what the gateway did.
 */
class LabCaptureReplayTest {
    static final ReplayOptions LAB = ReplayOptions.defaults().withClients(List.of(Cidr.parse("10.137.0.0/24")))
        .withGateway(List.of(Cidr.parseAddress("10.139.1.1"), Cidr.parseAddress("10.139.1.2"))).withDns(true);
    /** The lab gateway's network and DNS, as a configuration to add firewalls to. */
    private static final String LAB_CONFIG = """
        [network]
        client_ranges = ["10.137.0.0/24"]
        gateway_addresses = ["10.139.1.1", "10.139.1.2"]
        [socks]
        endpoint = "127.0.0.1:9"
        [dns]
        enabled = true
        """;

    @Test
    void replaysTheLabSessionDeterministicallyWithWhatTheGatewayDid() {
        String out = ReplayTest.replay(ReplayTest.fixture("lab-c1-session.pcapng"), LAB);
        assertEquals(List.of(
            "+0.000000 dns 10.137.0.11:60199>10.139.1.1:53 udp, 58 bytes",
            "+0.000094 dns 10.137.0.11:60199>10.139.1.1:53 udp, 58 bytes",
            "+0.010642 10.137.0.11:55620>10.192.0.1:80 CLOSED=>LISTEN",
            "+0.010642 10.137.0.11:55620>10.192.0.1:80 LISTEN=>SYN-RECEIVED",
            "+0.052116 10.137.0.11:55620>10.192.0.1:80 SYN-RECEIVED=>ESTABLISHED",
            "+0.102785 10.137.0.11:55620>10.192.0.1:80 ESTABLISHED=>FIN-WAIT-1",
            "+0.105392 10.137.0.11:55620>10.192.0.1:80 FIN-WAIT-1=>TIME-WAIT",
            "+0.305654 drop udp_port 10.137.0.11:57523>198.18.39.10:123 udp, 36 bytes",
            "+0.319069 drop icmp 10.137.0.11>198.18.39.10 proto 1, 84 bytes",
            "+1.460569 drop no_flow 10.137.0.11:40999>198.18.39.10:80 tcp, 40 bytes",
            "+60.105392 10.137.0.11:55620>10.192.0.1:80 TIME-WAIT=>CLOSED",
            "replayed 11 client packets, 0 original-server packets, 9 gateway-sent packets, 1 drop annotations, "
                // 5: no pure window-update ACK after the first read (the peer still had ~64 KiB of window)
                + "2 DNS queries (0 non-IP frames skipped); 1 flows, 5 segments sent by the stack",
            "drops: icmp=1 udp_port=1 no_flow=1"), ReplayTest.lines(out));
        assertEquals(out, ReplayTest.replay(ReplayTest.fixture("lab-c1-session.pcapng"), LAB));
    }

    @Test
    void everyDropCommentOfTheCaptureIsReproduced() throws Exception {
        List<String> comments = Tshark.fields(ReplayTest.fixture("lab-c1-session.pcapng"), "frame.comment");
        assertEquals(List.of("dropped: udp_port", "dropped: icmp", "dropped: no_flow"), comments);
        String out = ReplayTest.replay(ReplayTest.fixture("lab-c1-session.pcapng"), LAB);
        for (String c : comments) {
            assertTrue(out.contains("drop " + c.substring("dropped: ".length()) + " "), c + " in\n" + out);
        }
    }

    @Test
    void theClientsFirewallFromTheConfigurationJudgesNewFlowsAndDnsQueries() throws Exception {
        GatewayConfig c = ConfigLoader.parse("t.toml", LAB_CONFIG + """
            [firewalls.strict]
            default = "accept"
            rules = [ { action = "drop", host = "10.192.0.0/10", ports = 80, proto = "tcp" } ]
            [[clients]]
            name = "c1"
            range = "10.137.0.11"
            firewall = "strict"
            """);
        ReplayOptions o = LAB.withPolicy(c.policy());
        String out = ReplayTest.replay(ReplayTest.fixture("lab-c1-session.pcapng"), o);
        assertTrue(out.contains("+0.010642 drop firewall 10.137.0.11:55620>10.192.0.1:80 tcp, 60 bytes"), out);
        assertTrue(!out.contains("ESTABLISHED"), "the denied SYN opens no flow:\n" + out);
        assertTrue(out.contains("2 DNS queries"), out);
        assertEquals(out, ReplayTest.replay(ReplayTest.fixture("lab-c1-session.pcapng"), o));

        GatewayConfig d = ConfigLoader.parse("t.toml", LAB_CONFIG + """
            [firewalls.default]
            default = "accept"
            rules = [ { action = "drop", special = "dns" } ]
            """);
        String noDns = ReplayTest.replay(ReplayTest.fixture("lab-c1-session.pcapng"), LAB.withPolicy(d.policy()));
        assertTrue(noDns.contains("drop firewall_dns 10.137.0.11:60199>10.139.1.1:53 udp"), noDns);
        assertTrue(noDns.contains("0 DNS queries") && noDns.contains("SYN-RECEIVED=>ESTABLISHED"), noDns);
    }

    @Test
    void withoutTheDnsServiceTheQueriesAreUnserved() {
        String out = ReplayTest.replay(ReplayTest.fixture("lab-c1-session.pcapng"), LAB.withDns(false));
        assertTrue(out.contains("drops: icmp=1 udp_port=1 no_flow=1 dns_unserved=2"), out);
    }
}
