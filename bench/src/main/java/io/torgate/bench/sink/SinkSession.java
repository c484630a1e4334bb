package io.torgate.bench.sink;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * One SOCKS5 session of {@link SocksSink}: the handshake (RFC 1928 sections 3-6, RFC 1929 with any credentials),
 * a non-blocking connect to the target, then a relay in both directions with half-close carried across (so
 * HTTP/1.0-style exchanges and iperf3's end work).
 *
 * <p>Thread-safety: confined to the loop thread whose selector holds its keys.
 */
final class SinkSession {
    private static final int GREETING = 0;
    private static final int AUTH = 1;
    private static final int REQUEST = 2;
    private static final int CONNECTING = 3;
    private static final int RELAY = 4;
    private static final byte[] METHOD_NONE = {5, 0};
    private static final byte[] METHOD_USERPASS = {5, 2};
    private static final byte[] NO_METHOD = {5, (byte) 0xFF};
    private static final byte[] AUTH_OK = {1, 0};
    private static final byte[] CONNECTED = {5, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    private static final byte[] REFUSED = {5, 5, 0, 1, 0, 0, 0, 0, 0, 0};
    private static final byte[] UNSUPPORTED = {5, 7, 0, 1, 0, 0, 0, 0, 0, 0};

    private final Selector selector;
    private final SocketChannel client;
    private final BufferPool pool;
    private final ByteBuffer hs = ByteBuffer.allocate(600);
    /** Handshake answers of one parse pass, written together (see {@link #handshake()}). */
    private final ByteBuffer answers = ByteBuffer.allocate(32);
    private SocketChannel target;
    private SelectionKey clientKey;
    private SelectionKey targetKey;
    private int phase = GREETING;
    private Pipe up;
    private Pipe down;
    private boolean closed;

    /** One direction: bytes read from src wait in buf (write mode: [0, position)) until dst takes them. */
    private static final class Pipe {
        final SocketChannel src;
        final SocketChannel dst;
        final ByteBuffer buf;
        boolean eof;
        boolean shut;

        Pipe(SocketChannel src, SocketChannel dst, ByteBuffer buf) {
            this.src = src;
            this.dst = dst;
            this.buf = buf;
        }

        void read() throws IOException {
            if (!eof && buf.hasRemaining() && src.read(buf) < 0) {
                eof = true;
            }
        }

        void flush() throws IOException {
            if (buf.position() > 0) {
                buf.flip();
                dst.write(buf);
                buf.compact();
            }
            if (eof && !shut && buf.position() == 0) {
                dst.shutdownOutput();
                shut = true;
            }
        }

        boolean wantsRead() {
            return !eof && buf.hasRemaining();
        }

        boolean wantsWrite() {
            return buf.position() > 0;
        }
    }

    SinkSession(Selector selector, SocketChannel client, BufferPool pool) {
        this.selector = selector;
        this.client = client;
        this.pool = pool;
    }

    void register() throws IOException {
        clientKey = client.register(selector, SelectionKey.OP_READ, this);
    }

    void onReady(SelectionKey k) {
        try {
            if (!k.isValid()) {
                return;
            }
            if (phase < CONNECTING) {
                if (client.read(hs) < 0) {
                    throw new IOException("EOF in the SOCKS handshake");
                }
                handshake();
            } else if (phase == CONNECTING) {
                if (k == targetKey && k.isConnectable()) {
                    finishConnect();
                }
            } else {
                relay(k);
            }
        } catch (IOException | RuntimeException e) {
            close();
        } catch (OutOfMemoryError e) {
            // No direct memory left for this session's buffers: end it, the loop keeps serving the others.
            System.err.println("sink: " + e.getMessage());
            close();
        }
    }

    /**
     * Parses as far as the bytes in hs allow (a client may pipeline greeting, auth and request) and answers what one
     * pass parsed in ONE write, as tor does: tor parses every message of a read in one pass and flushes its answer
     * once per event-loop turn (proto_socks.c, connection_ap_handshake_process_socks), so a pipelining client is
     * woken once, not once per message. A lock-step client (redsocks) sends one message per read and gets one
     * answer per write, as before.
     */
    private void handshake() throws IOException {
        try {
            parse();
        } finally {
            flushAnswers();
        }
    }

    private void parse() throws IOException {
        while (phase < CONNECTING) {
            int have = hs.position();
            if (phase == GREETING) {
                if (have < 2 || have < 2 + (hs.get(1) & 0xFF)) {
                    return;
                }
                if (hs.get(0) != 5) {
                    throw new IOException("not SOCKS5");
                }
                int n = hs.get(1) & 0xFF;
                boolean none = false;
                boolean userPass = false;
                for (int i = 0; i < n; i++) {
                    none |= hs.get(2 + i) == 0;
                    userPass |= hs.get(2 + i) == 2;
                }
                if (!none && !userPass) {
                    answers.put(NO_METHOD);
                    throw new IOException("no acceptable method");
                }
                answers.put(none ? METHOD_NONE : METHOD_USERPASS);
                consume(2 + n);
                phase = none ? REQUEST : AUTH;
            } else if (phase == AUTH) {
                int ulen = have >= 2 ? hs.get(1) & 0xFF : -1;
                if (ulen < 0 || have < 3 + ulen || have < 3 + ulen + (hs.get(2 + ulen) & 0xFF)) {
                    return;
                }
                answers.put(AUTH_OK); // any credentials: they only choose a circuit in Tor
                consume(3 + ulen + (hs.get(2 + ulen) & 0xFF));
                phase = REQUEST;
            } else if (!request(have)) {
                return;
            }
        }
    }

    /** RFC 1928 section 4: returns false while the request is incomplete. */
    private boolean request(int have) throws IOException {
        if (have < 5) {
            return false;
        }
        int atyp = hs.get(3);
        int len = switch (atyp) {
            case 1 -> 4;
            case 4 -> 16;
            case 3 -> 1 + (hs.get(4) & 0xFF);
            default -> throw new IOException("bad address type " + atyp);
        };
        if (have < 4 + len + 2) {
            return false;
        }
        if (hs.get(1) != 1) {
            send(UNSUPPORTED);
            throw new IOException("only CONNECT");
        }
        byte[] raw = new byte[atyp == 3 ? len - 1 : len];
        hs.get(atyp == 3 ? 5 : 4, raw);
        InetAddress addr = atyp == 3
            ? InetAddress.getByName(new String(raw, StandardCharsets.US_ASCII)) : InetAddress.getByAddress(raw);
        int port = hs.getShort(4 + len) & 0xFFFF;
        consume(4 + len + 2);
        startConnect(new InetSocketAddress(addr, port));
        return true;
    }

    private void startConnect(InetSocketAddress dest) throws IOException {
        phase = CONNECTING;
        clientKey.interestOps(0);
        target = SocketChannel.open();
        target.configureBlocking(false);
        target.setOption(StandardSocketOptions.TCP_NODELAY, true);
        boolean done;
        try {
            done = target.connect(dest);
        } catch (IOException e) {
            send(REFUSED);
            throw e;
        }
        targetKey = target.register(selector, done ? 0 : SelectionKey.OP_CONNECT, this);
        if (done) {
            connected();
        }
    }

    private void finishConnect() throws IOException {
        try {
            target.finishConnect();
        } catch (IOException e) {
            send(REFUSED);
            throw e;
        }
        connected();
    }

    private void connected() throws IOException {
        send(CONNECTED);
        phase = RELAY;
        up = new Pipe(client, target, pool.take());
        down = new Pipe(target, client, pool.take());
        hs.flip();
        up.buf.put(hs); // bytes the client sent before our reply
        up.flush();
        interest();
    }

    private void relay(SelectionKey k) throws IOException {
        boolean fromClient = k == clientKey;
        if (k.isReadable()) {
            Pipe p = fromClient ? up : down;
            p.read();
            p.flush();
        }
        if (k.isValid() && k.isWritable()) {
            (fromClient ? down : up).flush();
        }
        if (up.shut && down.shut) {
            close();
        } else {
            interest();
        }
    }

    private void interest() {
        clientKey.interestOps((up.wantsRead() ? SelectionKey.OP_READ : 0)
            | (down.wantsWrite() ? SelectionKey.OP_WRITE : 0));
        targetKey.interestOps((down.wantsRead() ? SelectionKey.OP_READ : 0)
            | (up.wantsWrite() ? SelectionKey.OP_WRITE : 0));
    }

    /** A reply after the answers parsed so far, in the same write. */
    private void send(byte[] reply) throws IOException {
        answers.put(reply);
        flushAnswers();
    }

    /** Handshake answers are a few bytes on a fresh socket: the send buffer always takes them at once. */
    private void flushAnswers() throws IOException {
        if (answers.position() == 0) {
            return;
        }
        answers.flip();
        client.write(answers);
        boolean partial = answers.hasRemaining();
        answers.clear();
        if (partial) {
            throw new IOException("client send buffer full during the handshake");
        }
    }

    private void consume(int n) {
        hs.flip().position(n);
        hs.compact();
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (up != null) {
            pool.give(up.buf);
        }
        if (down != null) {
            pool.give(down.buf);
        }
        Io.closeQuietly(client);
        Io.closeQuietly(target);
    }
}
