package io.torgate.gateway.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.testing.TestSocksServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway's TorVM SOCKS ports on a real TUN: real {@code curl --socks5-hostname} from two client namespaces
 * to the gateway address 10.139.1.1 (ports 9050 and 9049, served by our TCP stack), fetching from an HTTP server
 * reachable only through the (test) upstream SOCKS server, whose recorded credentials show the isolation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180)
class SocksPortLabTest {
    private static final String CONFIG = """
        [tun]
        name = "tun0"
        address = "10.139.1.254/32"
        [network]
        client_ranges = ["10.137.0.0/24"]
        gateway_addresses = ["10.139.1.1", "10.137.0.1"]
        [socks]
        endpoint = "127.0.0.1:1080"
        connect_timeout_ms = 5000
        [socks_ports]
        enabled = true
        """;

    private Lab lab;

    @BeforeAll
    void setUp() throws Exception {
        lab = new Lab(CONFIG);
        lab.socks.host("web.up", Lab.UPSTREAM);
    }

    @AfterAll
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    /** curl through the gateway's SOCKS port from client {@code c}; returns the body. */
    private String curl(int c, String proxy) throws Exception {
        return lab.client(c).sh("curl -sS --fail --max-time 20 --proxy " + proxy + " http://web.up:"
            + Lab.HTTP_PORT + "/ping");
    }

    private String lastPassword(String host, int port) {
        List<TestSocksServer.Request> r = lab.socks.requests();
        TestSocksServer.Request last = r.get(r.size() - 1);
        assertEquals(host, last.host(), "the name went upstream unresolved");
        assertEquals(port, last.port());
        return last.password();
    }

    @Test
    void curlThroughPort9050And9049FromTwoClients() throws Exception {
        assertEquals("pong", curl(1, "socks5h://10.139.1.1:9050"));
        String c1 = lastPassword("web.up", Lab.HTTP_PORT);
        assertEquals("pong", curl(2, "socks5h://10.139.1.1:9050"));
        String c2 = lastPassword("web.up", Lab.HTTP_PORT);
        assertNotEquals(c1, c2, "two clients are isolated");
        assertEquals("pong", curl(1, "socks5h://alice:secret@10.139.1.1:9050"));
        String alice = lastPassword("web.up", Lab.HTTP_PORT);
        assertNotEquals(c1, alice, "the client's own credentials isolate on 9050");
        assertEquals("pong", curl(1, "socks5h://alice:secret@10.139.1.1:9050"));
        assertEquals(alice, lastPassword("web.up", Lab.HTTP_PORT), "same client and credentials share");
        assertEquals("pong", curl(1, "socks4a://10.139.1.1:9049"));
        String dest = lastPassword("web.up", Lab.HTTP_PORT);
        assertNotEquals(c1, dest, "9049 is its own isolation");
        assertEquals(0, lab.gateway.pipeline().drops(DropReason.SOCKS_BAD_REQUEST));
    }

    /**
     * TorVM clients use their gateway's own address, 10.137.0.1, which the gw namespace holds on every vif: the
     * local table moves behind rules that send what the clients address to it into tun0 as well, and tun0 accepts
     * our answers from that (local) source address.
     */
    @Test
    void curlThroughTheClientsGatewayAddress() throws Exception {
        lab.gw.sh("ip rule add lookup local priority 10 && ip rule del lookup local priority 0"
            + " && ip rule add iif vif1 to 10.137.0.1 lookup 100 priority 1"
            + " && ip rule add iif vif2 to 10.137.0.1 lookup 100 priority 2"
            + " && sysctl -qw net.ipv4.conf.tun0.accept_local=1");
        assertEquals("pong", curl(1, "socks5h://10.137.0.1:9050"));
        String c1 = lastPassword("web.up", Lab.HTTP_PORT);
        assertEquals("pong", curl(2, "socks5h://10.137.0.1:9050"));
        assertNotEquals(c1, lastPassword("web.up", Lab.HTTP_PORT), "two clients are isolated");
    }

    @Test
    void nonSocksBytesGetClosed() throws Exception {
        // Plain HTTP to the SOCKS port: not SOCKS4 or 5, so the connection is closed without a reply.
        String out = lab.client(1).sh("curl -sS --max-time 10 http://10.139.1.1:9050/ 2>&1; echo rc=$?");
        assertTrue(out.contains("rc=52"), "curl sees an empty reply (closed): " + out);
        assertTrue(lab.gateway.pipeline().drops(DropReason.SOCKS_BAD_REQUEST) >= 1);
    }
}
