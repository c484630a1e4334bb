package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pipelined client's answer parsing over every way the server's bytes can be cut into reads: one byte per
 * read, and every split into two reads. Each case is one of the answer sequences a server may send to the batch
 * (greeting, RFC 1929 auth, command): tor, which parses the whole batch in one pass and answers only the last
 * message it handled (proto_socks.c overwrites req->reply), and a server that answers each message in turn.
 *
 * <p>The reads are exact, not hoped for: the test writes the next piece only after {@link Socks5Client#advance()}
 * has consumed everything before it, and waits (selector, bounded) until that piece is readable before advancing.
 * Session 3's pipelined client failed here: a reply whose body came after its header made the next
 * {@code advance()} re-read the header with the body already in the buffer (position past the limit: IO_ERROR),
 * which is what made SocksPortTest's RESOLVE_PTR flaky.
 */
class Socks5ClientSplitTest {
    private static final IsolationKey KEY = new IsolationKey(7, 8, 9);
    private static final byte[] DATA = {'h', 'i'};

    /** A command and the answer sequence a server sends to it, with the outcome it must give. */
    record Case(String name, int command, boolean credentials, byte[] answers, int rep) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static byte[] cat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(1024);
        for (byte[] p : parts) {
            b.put(p);
        }
        byte[] r = new byte[b.position()];
        b.flip().get(r);
        return r;
    }

    private static final byte[] METHOD_AUTH = {5, 2};
    private static final byte[] METHOD_NONE = {5, 0};
    private static final byte[] AUTH_OK = {1, 0};
    private static final byte[] OK_IPV4 = {5, 0, 0, 1, 10, 0, 0, 1, 0, 80};
    private static final byte[] PTR = cat(new byte[] {5, 0, 0, 3, 8}, "ptr.test".getBytes(), new byte[] {0, 0});

    private static byte[] refusal(int rep) {
        return new byte[] {5, (byte) rep, 0, 1, 0, 0, 0, 0, 0, 0};
    }

    static List<Case> cases() {
        return List.of(
            new Case("tor: auth status, then success", Socks5Codec.CMD_CONNECT, true, cat(AUTH_OK, OK_IPV4), 0),
            new Case("every answer in turn, success", Socks5Codec.CMD_CONNECT, true,
                cat(METHOD_AUTH, AUTH_OK, OK_IPV4), 0),
            new Case("tor: immediate refusal REP 2 only", Socks5Codec.CMD_CONNECT, true, refusal(2), 2),
            new Case("tor: method, then refusal REP 2", Socks5Codec.CMD_CONNECT, true, cat(METHOD_AUTH, refusal(2)),
                2),
            new Case("tor: method, then refusal REP 4", Socks5Codec.CMD_CONNECT, true, cat(METHOD_AUTH, refusal(4)),
                4),
            new Case("tor: auth status, then refusal REP 5", Socks5Codec.CMD_CONNECT, true,
                cat(AUTH_OK, refusal(5)), 5),
            new Case("every answer in turn, refusal REP 4", Socks5Codec.CMD_CONNECT, true,
                cat(METHOD_AUTH, AUTH_OK, refusal(4)), 4),
            new Case("no credentials: method, then success", Socks5Codec.CMD_CONNECT, false,
                cat(METHOD_NONE, OK_IPV4), 0),
            new Case("no credentials: immediate refusal REP 4", Socks5Codec.CMD_CONNECT, false, refusal(4), 4),
            new Case("tor: RESOLVE_PTR, auth status, then a name", Socks5Codec.CMD_RESOLVE_PTR, true,
                cat(AUTH_OK, PTR), 0),
            new Case("RESOLVE_PTR, every answer in turn", Socks5Codec.CMD_RESOLVE_PTR, true,
                cat(METHOD_AUTH, AUTH_OK, PTR), 0),
            new Case("tor: RESOLVE, auth status, then an address", Socks5Codec.CMD_RESOLVE, true,
                cat(AUTH_OK, OK_IPV4), 0));
    }

    /** Each case cut into one-byte reads, and into two reads at every split point. */
    static Stream<Arguments> splits() {
        List<Arguments> all = new ArrayList<>();
        for (Case c : cases()) {
            int n = c.answers().length;
            int[] bytes = new int[n];
            java.util.Arrays.fill(bytes, 1);
            all.add(Arguments.of(c, "1-byte reads", bytes));
            for (int k = 1; k < n; k++) {
                all.add(Arguments.of(c, "split at " + k, new int[] {k, n - k}));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("splits")
    void parsesEverySplit(Case c, String how, int[] pieces) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open();
             Selector selector = Selector.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            Socks5Client client = new Socks5Client();
            try (SocketChannel ch = Socks5Client.open(server.getLocalAddress());
                 SocketChannel peer = server.accept()) {
                start(client, ch, c);
                SelectionKey key = ch.register(selector, 0);
                int interest = advanceUntilRead(client, key, selector);
                assertEquals(SelectionKey.OP_READ, interest, "the whole batch is sent, then the client reads");
                readBatch(peer, c);
                byte[] stream = c.rep() == 0 ? cat(c.answers(), DATA) : c.answers();
                int at = 0;
                for (int i = 0; i < pieces.length; i++) {
                    peer.write(ByteBuffer.wrap(stream, at, pieces[i]));
                    at += pieces[i];
                    waitReadable(key, selector);
                    interest = client.advance();
                    if (i < pieces.length - 1) {
                        assertEquals(Socks5Client.Status.IN_PROGRESS, client.status(),
                            () -> "done before the answer is whole: " + client.failure() + " "
                                + client.lastError());
                        assertEquals(SelectionKey.OP_READ, interest);
                    }
                }
                if (at < stream.length) {
                    peer.write(ByteBuffer.wrap(stream, at, stream.length - at)); // the stream data after a success
                }
                assertEquals(0, interest, "finished at the last byte of the answer");
                if (c.rep() == 0) {
                    assertEquals(Socks5Client.Status.SUCCEEDED, client.status(),
                        () -> client.failure() + " " + client.lastError());
                    if (c.command() == Socks5Codec.CMD_RESOLVE_PTR) {
                        assertEquals("ptr.test", client.reply().domain().toString());
                    } else {
                        assertEquals(80, client.reply().port());
                    }
                    assertStreamDataUnread(ch, key, selector);
                } else {
                    assertEquals(Socks5Client.Failure.REPLY, client.failure(), () -> String.valueOf(
                        client.lastError()));
                    assertEquals(c.rep(), client.reply().code());
                }
            }
        }
    }

    private static void start(Socks5Client client, SocketChannel ch, Case c) {
        IsolationKey key = c.credentials() ? KEY : null;
        switch (c.command()) {
            case Socks5Codec.CMD_RESOLVE -> client.startResolve(ch, "example.com", key);
            case Socks5Codec.CMD_RESOLVE_PTR -> client.startResolvePtr(ch, 0x0a000001, key);
            default -> client.startConnect(ch, "example.com", 80, key);
        }
    }

    /** Advances through connect and the one write; returns the interest the client then waits for. */
    private static int advanceUntilRead(Socks5Client client, SelectionKey key, Selector selector)
        throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        int interest;
        while ((interest = client.advance()) != SelectionKey.OP_READ && interest != 0) {
            assertTrue(System.nanoTime() < deadline, "connect and write within 10 s");
            key.interestOps(interest);
            selector.select(1000);
            selector.selectedKeys().clear();
        }
        return interest;
    }

    /** The server reads the whole pipelined batch before it answers anything. */
    private static void readBatch(SocketChannel peer, Case c) throws IOException {
        ByteBuffer expected = ByteBuffer.allocate(1024);
        Socks5Codec.putGreeting(expected, c.credentials() ? Socks5Codec.METHOD_USERNAME_PASSWORD
            : Socks5Codec.METHOD_NO_AUTH);
        if (c.credentials()) {
            Socks5Codec.putAuth(expected, KEY);
        }
        switch (c.command()) {
            case Socks5Codec.CMD_RESOLVE -> Socks5Codec.putResolve(expected, "example.com");
            case Socks5Codec.CMD_RESOLVE_PTR -> Socks5Codec.putResolvePtr(expected, 0x0a000001);
            default -> Socks5Codec.putConnectHost(expected, "example.com", 80);
        }
        expected.flip();
        ByteBuffer got = ByteBuffer.allocate(expected.remaining());
        while (got.hasRemaining()) {
            if (peer.read(got) < 0) {
                break;
            }
        }
        assertEquals(expected, got.flip(), "greeting, auth and command, all before any answer");
    }

    /** Waits (bounded) until the client's channel has bytes to read. */
    private static void waitReadable(SelectionKey key, Selector selector) throws IOException {
        key.interestOps(SelectionKey.OP_READ);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (selector.select(1000) == 0) {
            assertTrue(System.nanoTime() < deadline, "the written piece arrives within 10 s");
        }
        selector.selectedKeys().clear();
        key.interestOps(0);
    }

    /** The bytes after a successful reply are still in the channel: the client read exactly the reply. */
    private static void assertStreamDataUnread(SocketChannel ch, SelectionKey key, Selector selector)
        throws IOException {
        ByteBuffer data = ByteBuffer.allocate(DATA.length);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (data.hasRemaining()) {
            waitReadable(key, selector);
            assertTrue(ch.read(data) >= 0, "stream data, not EOF");
            assertTrue(System.nanoTime() < deadline);
        }
        assertArrayEquals(DATA, data.array());
    }
}
