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

    /**
     * Greeting, auth and CONNECT arrive before the server has answered anything (one round trip, issue 8), and the
     * exchange still ends only at the command's reply. The server here answers nothing until it holds all three
     * messages, so a lock-step client (waiting for the method before sending auth) would time out.
     */
    @Test
    void pipelinesGreetingAuthAndRequestInOneRoundTrip() throws Exception {
        ByteBuffer expected = ByteBuffer.allocate(128);
        Socks5Codec.putGreeting(expected, Socks5Codec.METHOD_USERNAME_PASSWORD);
        Socks5Codec.putAuth(expected, KEY);
        Socks5Codec.putConnectHost(expected, "example.com", 443);
        expected.flip();
        byte[] want = new byte[expected.remaining()];
        expected.get(want);
        Scripted s = scripted(want.length, new byte[] {5, 2, 1, 0, 5, 0, 0, 1, 10, 0, 0, 1, 0, 80});
        assertEquals(Socks5Client.Status.SUCCEEDED, s.client.status(), s.client.failure()::toString);
        assertArrayEquals(want, s.received);
    }

    /**
     * tor parses the whole pipelined batch in one pass and sends only its last answer (proto_socks.c overwrites
     * req->reply): the auth status, then the command's reply when the stream is open.
     */
    @Test
    void acceptsTorsCollapsedAnswers() throws Exception {
        Scripted collapsed = scripted(-1, new byte[] {1, 0}, new byte[] {5, 0, 0, 1, 10, 0, 0, 1, 0, 80});
        assertEquals(Socks5Client.Status.SUCCEEDED, collapsed.client.status(), collapsed.client.failure()::toString);
        // ... and a split of the full sequence (a server that read the greeting alone first).
        Scripted split = scripted(-1, new byte[] {5, 2}, new byte[] {1}, new byte[] {0, 5, 0, 0, 1, 10, 0, 0, 1, 0, 80});
        assertEquals(Socks5Client.Status.SUCCEEDED, split.client.status(), split.client.failure()::toString);
    }

    /**
     * A command tor refuses at once (SafeSocks: REP 2, not allowed) replaces every earlier answer; 05 02 must not be
     * taken for the method answer, and the refusal keeps its documented action.
     */
    @Test
    void torsImmediateRefusalKeepsItsReplyCode() throws Exception {
        Scripted rep2 = scripted(-1, FakeSocksServer.reply(2));
        assertEquals(Socks5Client.Failure.REPLY, rep2.client.failure(), () -> String.valueOf(rep2.client.lastError()));
        assertEquals(2, rep2.client.reply().code());
        assertEquals(ClientAction.ICMP_PROHIBITED, rep2.client.clientAction());
        Scripted late = scripted(-1, new byte[] {5, 2}, FakeSocksServer.reply(4)); // greeting alone, then the rest
        assertEquals(Socks5Client.Failure.REPLY, late.client.failure(), () -> String.valueOf(late.client.lastError()));
        assertEquals(4, late.client.reply().code());
        Scripted rep5 = scripted(-1, FakeSocksServer.reply(5)); // 05 05: no method has that number; a refusal
        assertEquals(Socks5Client.Failure.REPLY, rep5.client.failure(), () -> String.valueOf(rep5.client.lastError()));
        assertEquals(ClientAction.RST, rep5.client.clientAction());
    }

    /** What a scripted exchange saw: the client after the exchange, and the bytes the server read first. */
    private record Scripted(Socks5Client client, byte[] received) {
    }

    /**
     * A server that reads the client's pipelined batch ({@code expect} bytes, or whatever the first reads bring
     * within 200 ms when negative) before answering, then writes each answer as its own write, 20 ms apart.
     */
    private static Scripted scripted(int expect, byte[]... answers) throws Exception {
        try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            java.util.concurrent.CompletableFuture<byte[]> got = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                    try (SocketChannel peer = server.accept()) {
                        ByteBuffer in = ByteBuffer.allocate(expect > 0 ? expect : 1024);
                        if (expect > 0) {
                            while (in.hasRemaining() && peer.read(in) >= 0) {
                                // the whole batch before any answer
                            }
                        } else {
                            peer.read(in);
                            Thread.sleep(200);
                        }
                        for (byte[] a : answers) {
                            peer.write(ByteBuffer.wrap(a));
                            Thread.sleep(20);
                        }
                        peer.read(ByteBuffer.allocate(1)); // hold the connection until the client closes
                        return java.util.Arrays.copyOf(in.array(), in.position());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
            Socks5Client c = new Socks5Client();
            try (SocketChannel ch = Socks5Client.open(server.getLocalAddress())) {
                c.startConnect(ch, "example.com", 443, KEY);
                assertTrue(Socks5Blocking.drive(c, ch, 5000), "a lock-step client never sends auth: no answer");
            }
            return new Scripted(c, got.get(5, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    /** A rejected method ends the exchange there, although auth and CONNECT were already sent behind it. */
    @Test
    void pipelinedExchangeStillStopsAtTheFirstRefusal() throws Exception {
        try (FakeSocksServer s = new FakeSocksServer(seen -> FakeSocksServer.reply(0))) {
            s.methodReply = 0;
            Socks5Client c = run(s, (cl, ch) -> cl.startConnect(ch, "a", 1, KEY));
            assertEquals(Socks5Client.Failure.METHOD_REJECTED, c.failure(), "method 0 was not offered");
            assertEquals(ClientAction.RST, c.clientAction());
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
