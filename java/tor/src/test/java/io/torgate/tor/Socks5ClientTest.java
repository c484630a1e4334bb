package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class Socks5ClientTest {
    private static final IsolationKey KEY = new IsolationKey(1, 2, 3);

    private static Socks5Client run(FakeSocksServer server, java.util.function.BiConsumer<Socks5Client,
            SocketChannel> start) throws IOException {
        Socks5Client c = new Socks5Client();
        try (SocketChannel ch = Socks5Client.open(server.address())) {
            start.accept(c, ch);
            assertTrue(Socks5Blocking.drive(c, ch, 5000));
        }
        return c;
    }

    @Test
    void connectsByHostNameWithIsolationCredentials() throws Exception {
        try (FakeSocksServer s = new FakeSocksServer(seen -> new byte[] {5, 0, 0, 1, 10, 0, 0, 1, 0, 80, 'h', 'i'})) {
            Socks5Client c = new Socks5Client();
            try (SocketChannel ch = Socks5Client.open(s.address())) {
                c.startConnect(ch, "example.com", 443, KEY);
                assertTrue(Socks5Blocking.drive(c, ch, 5000));
                assertEquals(Socks5Client.Status.SUCCEEDED, c.status());
                assertEquals(ClientAction.PROCEED, c.clientAction());
                // The client must not have consumed the stream data that followed the reply.
                ByteBuffer data = ByteBuffer.allocate(2);
                ch.configureBlocking(true);
                while (data.hasRemaining()) {
                    ch.read(data);
                }
                assertArrayEquals(new byte[] {'h', 'i'}, data.array());
            }
            FakeSocksServer.Seen seen = s.take();
            assertEquals(2, seen.method());
            assertEquals(IsolationKey.USERNAME, seen.username());
            assertEquals(KEY.password(), seen.password());
            assertEquals(Socks5Codec.CMD_CONNECT, seen.command());
            assertEquals(3, seen.addressType());
            assertEquals("example.com", seen.host());
            assertEquals(443, seen.port());
        }
    }

    @Test
    void connectsByIpv4WithoutCredentials() throws Exception {
        try (FakeSocksServer s = new FakeSocksServer(seen -> FakeSocksServer.reply(0))) {
            Socks5Client c = run(s, (cl, ch) -> cl.startConnect(ch, 0x01020304, 25, null));
            assertEquals(Socks5Client.Status.SUCCEEDED, c.status());
            FakeSocksServer.Seen seen = s.take();
            assertEquals(0, seen.method());
            assertNull(seen.username());
            assertEquals(0x01020304, seen.address());
            assertEquals(25, seen.port());
        }
    }

    @Test
    void resolvesOverUnixSocket(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        byte[] answer = {5, 0, 0, 1, (byte) 192, 0, 2, 7, 0, 0};
        try (FakeSocksServer s = new FakeSocksServer(seen -> answer, dir.resolve("socks.sock"))) {
            Socks5Client c = new Socks5Client();
            try (SocketChannel ch = Socks5Client.open(UnixDomainSocketAddress.of(dir.resolve("socks.sock")))) {
                c.startResolve(ch, "www.example.org", KEY);
                assertTrue(Socks5Blocking.drive(c, ch, 5000));
            }
            assertEquals(Socks5Client.Status.SUCCEEDED, c.status());
            assertEquals(0xC0000207, c.reply().ipv4());
            assertEquals(Socks5Codec.CMD_RESOLVE, s.take().command());
        }
    }

    @Test
    void resolvesPtr() throws Exception {
        byte[] name = "ptr.example".getBytes();
        ByteBuffer answer = ByteBuffer.allocate(7 + name.length).put(new byte[] {5, 0, 0, 3, (byte) name.length})
                .put(name).putShort((short) 0);
        try (FakeSocksServer s = new FakeSocksServer(seen -> answer.array())) {
            Socks5Client c = run(s, (cl, ch) -> cl.startResolvePtr(ch, 0x7f000001, KEY));
            assertEquals("ptr.example", c.reply().domain());
            FakeSocksServer.Seen seen = s.take();
            assertEquals(Socks5Codec.CMD_RESOLVE_PTR, seen.command());
            assertEquals(0x7f000001, seen.address());
        }
    }

    /** Every extended (and a few standard) reply codes from a server end in their documented action. */
    @ParameterizedTest
    @CsvSource({
        "0xF0, ICMP_UNREACHABLE_HOST, DNS_NXDOMAIN", "0xF1, ICMP_UNREACHABLE_HOST, DNS_SERVFAIL",
        "0xF2, ICMP_UNREACHABLE_HOST, DNS_SERVFAIL", "0xF3, ICMP_UNREACHABLE_HOST, DNS_SERVFAIL",
        "0xF4, ICMP_PROHIBITED, DNS_REFUSED", "0xF5, ICMP_PROHIBITED, DNS_REFUSED",
        "0xF6, ICMP_UNREACHABLE_NET, DNS_NXDOMAIN", "0xF7, ICMP_UNREACHABLE_HOST, DNS_SERVFAIL",
        "0xF8, RST, DNS_SERVFAIL", "0x01, RST, DNS_SERVFAIL", "0x02, ICMP_PROHIBITED, DNS_REFUSED",
        "0x04, ICMP_UNREACHABLE_HOST, DNS_NXDOMAIN", "0x05, RST, DNS_SERVFAIL",
        "0x06, ICMP_UNREACHABLE_HOST, DNS_SERVFAIL"
    })
    void mapsServerReplyCodeToAction(String code, ClientAction tcp, ClientAction dns) throws Exception {
        int rep = Integer.decode(code);
        try (FakeSocksServer s = new FakeSocksServer(seen -> FakeSocksServer.reply(rep))) {
            Socks5Client c = run(s, (cl, ch) -> cl.startConnect(ch, "x.onion", 80, KEY));
            assertEquals(Socks5Client.Failure.REPLY, c.failure());
            assertEquals(rep, c.reply().code());
            assertEquals(tcp, c.clientAction());
            Socks5Client r = run(s, (cl, ch) -> cl.startResolve(ch, "x.onion", KEY));
            assertEquals(dns, r.clientAction());
        }
    }

    @Test
    void reportsAuthRejectionAndMethodRejection() throws Exception {
        try (FakeSocksServer s = new FakeSocksServer(seen -> FakeSocksServer.reply(0))) {
            s.authStatus = 1;
            assertEquals(Socks5Client.Failure.AUTH_REJECTED,
                    run(s, (cl, ch) -> cl.startConnect(ch, "a", 1, KEY)).failure());
            s.authStatus = 0;
            s.methodReply = 0xFF;
            Socks5Client c = run(s, (cl, ch) -> cl.startConnect(ch, "a", 1, KEY));
            assertEquals(Socks5Client.Failure.METHOD_REJECTED, c.failure());
            assertEquals(ClientAction.RST, c.clientAction());
        }
    }

    @Test
    void reportsProtocolErrorAndEarlyClose() throws Exception {
        try (FakeSocksServer s = new FakeSocksServer(seen -> new byte[] {5, 0, 0, 9, 0, 0, 0, 0, 0, 0})) {
            assertEquals(Socks5Client.Failure.PROTOCOL_ERROR,
                    run(s, (cl, ch) -> cl.startConnect(ch, "a", 1, KEY)).failure());
        }
        try (FakeSocksServer s = new FakeSocksServer(seen -> new byte[] {5, 0, 0})) {
            Socks5Client c = new Socks5Client();
            try (SocketChannel ch = Socks5Client.open(s.address())) {
                c.startConnect(ch, "a", 1, KEY);
                assertEquals(false, Socks5Blocking.drive(c, ch, 300), "partial reply must keep waiting");
                assertEquals(Socks5Client.Status.IN_PROGRESS, c.status());
            }
            s.closeAfterReply = true;
            assertEquals(Socks5Client.Failure.CLOSED, run(s, (cl, ch) -> cl.startConnect(ch, "a", 1, KEY)).failure());
        }
    }

    @Test
    void refusedConnectionGivesRst() throws Exception {
        int port;
        try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Socks5Client c = new Socks5Client();
        try (SocketChannel ch = Socks5Client.open(new InetSocketAddress("127.0.0.1", port))) {
            c.startConnect(ch, "a", 1, KEY);
            assertTrue(Socks5Blocking.drive(c, ch, 5000));
        } catch (java.net.ConnectException immediate) {
            return; // the kernel may refuse synchronously on loopback: also a correct outcome
        }
        assertEquals(Socks5Client.Failure.IO_ERROR, c.failure());
        assertEquals(ClientAction.RST, c.clientAction());
    }

    @Test
    void badHostNameFailsWithoutSendingRequest() throws Exception {
        try (FakeSocksServer s = new FakeSocksServer(seen -> FakeSocksServer.reply(0))) {
            Socks5Client c = run(s, (cl, ch) -> cl.startConnect(ch, "bad host", 1, KEY));
            assertEquals(Socks5Client.Failure.BAD_REQUEST, c.failure());
        }
    }

    @Test
    void missingUnixSocketFailsToOpen(@org.junit.jupiter.api.io.TempDir Path dir) {
        assertTrue(!Files.exists(dir.resolve("none")));
        org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> Socks5Client.open(UnixDomainSocketAddress.of(dir.resolve("none"))));
    }
}
