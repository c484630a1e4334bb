package io.torgate.gateway.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.testing.TestSocksServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** The gateway on a real TUN between client namespaces and a real SOCKS5 server: curl, drops, faults. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayLabTest {
    private static final String CONFIG = """
        [tun]
        name = "tun0"
        address = "10.139.1.254/32"
        [network]
        client_ranges = ["10.137.0.0/24"]
        gateway_addresses = ["10.139.1.1"]
        [pipeline]
        workers = 2
        [socks]
        endpoint = "127.0.0.1:1080"
        connect_timeout_ms = 5000
        [limits]
        buffer_bytes = 268435456
        [dns]
        enabled = true
        mode = "mapped"
        """;
    private static final String[] SIZES = {"1k", "64k", "1m", "10m"};

    private Lab lab;
    private final java.util.Map<String, String> sha = new java.util.HashMap<>();

    @BeforeAll
    void setUp() throws Exception {
        lab = new Lab(CONFIG);
        Random random = new Random(42);
        for (String s : SIZES) {
            int n = Integer.parseInt(s.substring(0, s.length() - 1)) << (s.endsWith("k") ? 10 : 20);
            byte[] body = new byte[n];
            random.nextBytes(body);
            Files.write(lab.files.resolve(s), body);
            sha.put(s, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));
        }
    }

    @AfterAll
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    private static String url(String file) {
        return "http://" + Lab.UPSTREAM + ":" + Lab.HTTP_PORT + "/" + file;
    }

    private Pipeline pipeline() {
        return lab.gateway.pipeline();
    }

    @Test
    @Order(1)
    void curlFetchesAreShaExactFromTwoClients() throws Exception {
        for (int c = 1; c <= 2; c++) {
            for (String s : SIZES) {
                String out = lab.client(c).sh("curl -sS --fail --max-time 300 " + url(s) + " | sha256sum");
                assertEquals(sha.get(s), out.split(" ")[0], "client " + c + " " + s);
            }
        }
        assertTrue(lab.socks.requests().size() >= 2 * SIZES.length);
        assertNotEquals(lab.socks.requests().get(0).password(), lab.socks.requests().get(SIZES.length).password(),
            "two clients never share isolation credentials");
    }

    @Test
    @Order(2)
    void fiveHundredConcurrentConnectionsCompleteWithoutErrors() throws Exception {
        StringBuilder urls = new StringBuilder();
        for (int i = 0; i < 250; i++) {
            urls.append(' ').append(url("64k"));
        }
        Process[] runs = new Process[2];
        for (int c = 1; c <= 2; c++) {
            // In parallel mode curl pads its -w output with a progress line (spaces, CR): strip them, count 200s.
            // Errors go to a file, so no pipe can fill while the test waits.
            runs[c - 1] = lab.client(c).exec("sh", "-c", "curl -s -Z --parallel-max 50 --max-time 120 -o /dev/null"
                + " -w '\\n%{http_code}\\n'" + urls + " 2>" + lab.files.resolve("err" + c)
                + " | tr -d ' \\r' | grep -cx 200");
        }
        for (int c = 1; c <= 2; c++) {
            Process p = runs[c - 1];
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "curl finished");
            String ok = new String(p.getInputStream().readAllBytes()).trim();
            assertEquals("250", ok, "HTTP 200s of client " + c + "; errors: "
                + Files.readString(lab.files.resolve("err" + c)));
        }
    }

    @Test
    @Order(3)
    void dropsReachNothingUpstreamAndAreCounted() throws Exception {
        Path capture = lab.files.resolve("up.pcap");
        // Connections of the earlier tests may still be closing through the SOCKS server (FIN exchanges with the
        // HTTP server): wait until the upstream has no connection but listeners and TIME-WAITs, so that whatever
        // the capture sees comes from this test.
        long quiet = System.nanoTime() + 15_000_000_000L;
        while (!lab.up.sh("ss -Htan state all exclude listening exclude time-wait").isBlank()
                && System.nanoTime() < quiet) {
            Thread.sleep(100);
        }
        Process tcpdump = lab.up.exec("tcpdump", "-i", "eth0", "-n", "-U", "-w", capture.toString(), "not", "arp");
        Thread.sleep(500);
        long icmp = pipeline().drops(DropReason.ICMP);
        long udp = pipeline().drops(DropReason.UDP_PORT);
        long fragment = pipeline().drops(DropReason.FRAGMENT);
        long spoofed = pipeline().drops(DropReason.SPOOFED_SOURCE);
        long refused = pipeline().drops(DropReason.SOCKS_REFUSED);
        var c1 = lab.client(1);
        c1.sh("ping -c 2 -W 1 " + Lab.UPSTREAM + " || true");
        c1.sh("/usr/bin/python3 -c \"import socket; s = socket.socket(2, 2); [s.sendto(b'hi', ('" + Lab.UPSTREAM
            + "', p)) for p in (123, 443)]\"");
        c1.sh("ping -c 1 -W 1 -s 3000 " + Lab.UPSTREAM + " || true");
        c1.sh("ip addr add 10.99.0.5/32 dev eth0 && (curl -sS --max-time 2 --interface 10.99.0.5 " + url("1k")
            + " || true) && ip addr del 10.99.0.5/32 dev eth0");
        lab.socks.refusePort(25);
        long t0 = System.nanoTime();
        String rc = c1.sh("curl -sS --max-time 10 http://" + Lab.UPSTREAM + ":25/ >/dev/null 2>&1; echo $?");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("7", rc.trim(), "curl: connection refused (RST)");
        assertTrue(millis < 3_000, "refused fast, took " + millis + " ms");
        Thread.sleep(300);
        tcpdump.destroy();
        tcpdump.waitFor(5, TimeUnit.SECONDS);
        assertEquals(icmp + 2, pipeline().drops(DropReason.ICMP));
        assertEquals(udp + 2, pipeline().drops(DropReason.UDP_PORT));
        assertTrue(pipeline().drops(DropReason.FRAGMENT) >= fragment + 2, "a 3000-byte ping is 3 fragments");
        assertTrue(pipeline().drops(DropReason.SPOOFED_SOURCE) > spoofed);
        assertEquals(refused + 1, pipeline().drops(DropReason.SOCKS_REFUSED));
        String seen = lab.up.sh("tcpdump -n -r " + capture + " 2>/dev/null | head -20");
        assertEquals("", seen.trim(), "packets reached the upstream namespace");
    }

    @Test
    @Order(4)
    void stalledSocksSideGivesZeroWindowNotGrowth() throws Exception {
        lab.socks.stall(true);
        try {
            // Write 64 MiB without reading; the sender must block once our window and its socket buffer are full.
            String script = "import socket,time\n"
                + "s=socket.create_connection(('" + Lab.UPSTREAM + "'," + Lab.HTTP_PORT + "),timeout=5)\n"
                + "s.setblocking(False)\nsent=0\nchunk=b'x'*65536\nend=time.time()+4\n"
                + "while time.time()<end and sent<(64<<20):\n"
                + "  try: sent+=s.send(chunk)\n"
                + "  except BlockingIOError: time.sleep(0.05)\n"
                + "print(sent)\n";
            Files.writeString(lab.files.resolve("stall.py"), script);
            long sent = Long.parseLong(lab.client(1).sh("/usr/bin/python3 " + lab.files.resolve("stall.py")).trim());
            assertTrue(sent < (16 << 20), "the client could push " + sent + " bytes into a stalled stream");
            assertTrue(lab.gateway.budget().used() <= lab.gateway.budget().max());
        } finally {
            lab.socks.stall(false);
        }
    }

    @Test
    @Order(6)
    void slowReaderKeepsBudgetBoundedAndCompletes() throws Exception {
        Process slow = lab.client(2).exec("sh", "-c", "curl -sS --fail --max-time 60 --limit-rate 1M " + url("10m")
            + " | sha256sum");
        long peak = 0;
        while (slow.isAlive()) {
            peak = Math.max(peak, lab.gateway.budget().used());
            assertTrue(lab.gateway.budget().used() <= lab.gateway.budget().max());
            Thread.sleep(100);
        }
        assertEquals(sha.get("10m"), new String(slow.getInputStream().readAllBytes()).split(" ")[0]);
        assertTrue(peak > 0 && peak <= 4 * 1024 * 1024, "one flow holds its fixed buffers only: " + peak);
    }

    @Test
    @Order(5)
    void mappedDnsNameIsAnsweredLocallyAndCarriedToTheExit() throws Exception {
        lab.socks.host("web.lab.test", Lab.UPSTREAM);
        String address = lab.client(1).sh("dig +short +time=2 +tries=2 @10.139.1.1 web.lab.test").trim();
        assertTrue(address.startsWith("10."), "a virtual address from 10.192.0.0/10: " + address);
        int second = Integer.parseInt(address.split("\\.")[1]);
        assertTrue(second >= 192, address);
        assertEquals(address, lab.client(2).sh("dig +tcp +short +time=2 +tries=2 @10.139.1.1 web.lab.test").trim(),
            "DNS over TCP (RFC 7766) from another client: the same mapping");
        String sum = lab.client(1).sh("curl -sS --fail --max-time 30 http://web.lab.test:" + Lab.HTTP_PORT
            + "/64k | sha256sum");
        assertEquals(sha.get("64k"), sum.split(" ")[0]);
        TestSocksServer.Request last = lab.socks.requests().get(lab.socks.requests().size() - 1);
        assertEquals("web.lab.test", last.host(), "the CONNECT carries the name, not the virtual address");
        assertEquals(0, pipeline().drops(DropReason.DNS_UNSERVED));
    }

    @Test
    @Order(7)
    void killingSocksResetsClientsAndRestartRecovers() throws Exception {
        Process download = lab.client(1).exec("sh", "-c", "curl -sS --max-time 60 -o /dev/null "
            + url("trickle") + "; echo rc=$?"); // paced by the server: curl waits in read(), sees a RST at once
        Thread.sleep(1_500);
        long resets = pipeline().drops(DropReason.SOCKS_RESET);
        lab.socks.close();
        assertTrue(download.waitFor(10, TimeUnit.SECONDS), "the client connection ends at once");
        String out = new String(download.getInputStream().readAllBytes());
        assertTrue(out.contains("rc=56"), "curl saw a reset (56: recv failure): " + out);
        assertTrue(pipeline().drops(DropReason.SOCKS_RESET) > resets, "the reset is counted as socks_reset");
        lab.restartSocks();
        String sum = lab.client(1).sh("curl -sS --fail --max-time 30 " + url("1m") + " | sha256sum");
        assertEquals(sha.get("1m"), sum.split(" ")[0]);
    }
}
