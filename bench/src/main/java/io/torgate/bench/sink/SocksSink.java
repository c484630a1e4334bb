package io.torgate.bench.sink;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark rig's SOCKS5 server (RFC 1928): accepts CONNECT with any authentication (none, or
 * username/password per RFC 1929 with any credentials, as Tor's IsolateSOCKSAuth port does) and relays to the real
 * target. It stands in for Tor's SocksPort so that the rig measures the gateway, not Tor; the rig measures it alone
 * (client to sink directly) to show it is not the bottleneck.
 *
 * <p>Design for speed on a small machine: blocking {@link SocketChannel}s on platform threads from a cached pool
 * (a thread is reused across connections, so connection rate does not pay thread creation), one direct buffer per
 * direction, TCP_NODELAY on both sockets (request/response latency), no per-byte work.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.torgate.bench.sink.SocksSink --listen IP:PORT [--listen IP:PORT]...
 * [--buffer BYTES]}. Prints {@code sink: listening on ...} once every listener is bound; runs until killed.
 *
 * <p>Thread-safety: each connection is owned by its handler thread; the two pump directions share only the sockets
 * (each direction reads one and writes the other) and the counters, which are atomic.
 */
public final class SocksSink {
    private static final System.Logger LOG = System.getLogger(SocksSink.class.getName());
    private static final int VERSION = 5;
    private static final int METHOD_NONE = 0x00;
    private static final int METHOD_USERPASS = 0x02;
    private static final int METHOD_NONE_ACCEPTABLE = 0xFF;
    private static final int CMD_CONNECT = 1;
    private static final int ATYP_IPV4 = 1;
    private static final int ATYP_DOMAIN = 3;
    private static final int ATYP_IPV6 = 4;
    private static final int REP_OK = 0;
    private static final int REP_FAILURE = 1;
    private static final int REP_REFUSED = 5;
    private static final int REP_CMD_UNSUPPORTED = 7;

    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        // 256 KiB stacks: the pumps are shallow, and 2,000 idle streams mean 4,000 threads in the footprint test.
        Thread t = new Thread(null, r, "sink", 256 * 1024);
        t.setDaemon(true);
        return t;
    });
    private final int bufferSize;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    SocksSink(int bufferSize) {
        this.bufferSize = bufferSize;
    }

    public static void main(String[] args) throws Exception {
        List<InetSocketAddress> listen = new ArrayList<>();
        int buffer = 256 * 1024;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--listen" -> listen.add(Args.endpoint(args[++i]));
                case "--buffer" -> buffer = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("usage: SocksSink --listen IP:PORT [--listen IP:PORT]... [--buffer N]");
        }
        SocksSink sink = new SocksSink(buffer);
        List<Thread> acceptors = new ArrayList<>();
        for (InetSocketAddress a : listen) {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(a, 4096);
            acceptors.add(Thread.ofPlatform().name("accept-" + a).start(() -> sink.acceptLoop(server)));
        }
        System.out.println("sink: listening on " + listen);
        System.out.flush();
        for (Thread t : acceptors) {
            t.join();
        }
    }

    private void acceptLoop(ServerSocketChannel server) {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                accepted.incrementAndGet();
                pool.execute(() -> handle(client));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "accept failed: " + e);
            }
        }
    }

    /** Handshake, connect, then relay client to target on this thread and target to client on a pool thread. */
    private void handle(SocketChannel client) {
        SocketChannel target = null;
        try {
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer io = ByteBuffer.allocate(512);
            InetSocketAddress dest = handshake(client, io);
            if (dest == null) {
                client.close();
                return;
            }
            try {
                target = SocketChannel.open(dest);
            } catch (IOException e) {
                reply(client, io, REP_REFUSED);
                throw e;
            }
            target.setOption(StandardSocketOptions.TCP_NODELAY, true);
            reply(client, io, REP_OK);
            SocketChannel t = target;
            pool.execute(() -> pump(t, client));
            pump(client, target);
        } catch (IOException | RuntimeException e) {
            failed.incrementAndGet();
            closeQuietly(client);
            closeQuietly(target);
        }
    }

    /** RFC 1928 section 3-4 (and RFC 1929 for user/pass, accepting any). Returns null for a refused request. */
    private static InetSocketAddress handshake(SocketChannel c, ByteBuffer io) throws IOException {
        readFully(c, io, 2);
        if (io.get(0) != VERSION) {
            return null;
        }
        int n = io.get(1) & 0xFF;
        readFully(c, io, n);
        int method = METHOD_NONE_ACCEPTABLE;
        for (int i = 0; i < n; i++) {
            int m = io.get(i) & 0xFF;
            if (m == METHOD_NONE) {
                method = METHOD_NONE;
                break;
            }
            if (m == METHOD_USERPASS) {
                method = METHOD_USERPASS;
            }
        }
        writeFully(c, io.clear().put((byte) VERSION).put((byte) method).flip());
        if (method == METHOD_NONE_ACCEPTABLE) {
            return null;
        }
        if (method == METHOD_USERPASS) {
            readFully(c, io, 2);
            readFully(c, io, io.get(1) & 0xFF);
            readFully(c, io, 1);
            readFully(c, io, io.get(0) & 0xFF);
            writeFully(c, io.clear().put((byte) 1).put((byte) 0).flip());
        }
        readFully(c, io, 4);
        int cmd = io.get(1);
        int atyp = io.get(3);
        InetAddress addr = switch (atyp) {
            case ATYP_IPV4 -> InetAddress.getByAddress(bytes(readFully(c, io, 4), 4));
            case ATYP_IPV6 -> InetAddress.getByAddress(bytes(readFully(c, io, 16), 16));
            case ATYP_DOMAIN -> {
                readFully(c, io, 1);
                int len = io.get(0) & 0xFF;
                yield InetAddress.getByName(new String(bytes(readFully(c, io, len), len), StandardCharsets.US_ASCII));
            }
            default -> null;
        };
        int port = readFully(c, io, 2).getShort(0) & 0xFFFF;
        if (cmd != CMD_CONNECT || addr == null) {
            reply(c, io, addr == null ? REP_FAILURE : REP_CMD_UNSUPPORTED);
            return null;
        }
        return new InetSocketAddress(addr, port);
    }

    private static void reply(SocketChannel c, ByteBuffer io, int code) throws IOException {
        io.clear().put((byte) VERSION).put((byte) code).put((byte) 0).put((byte) ATYP_IPV4).putInt(0).putShort((short) 0);
        writeFully(c, io.flip());
    }

    /** Copies until EOF, then half-closes the peer (so HTTP/1.0-style exchanges and iperf3 ends work). */
    private void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer buf = ByteBuffer.allocateDirect(bufferSize);
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
            }
            to.shutdownOutput();
            if (!from.socket().isOutputShutdown()) {
                return; // the other direction is still running and will close both
            }
        } catch (IOException e) {
            // a reset on either side ends the relay
        }
        closeQuietly(from);
        closeQuietly(to);
    }

    static ByteBuffer readFully(SocketChannel c, ByteBuffer io, int n) throws IOException {
        io.clear().limit(n);
        while (io.hasRemaining()) {
            if (c.read(io) < 0) {
                throw new IOException("EOF in SOCKS handshake");
            }
        }
        return io;
    }

    static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private static byte[] bytes(ByteBuffer io, int n) {
        byte[] b = new byte[n];
        io.get(0, b);
        return b;
    }

    static void closeQuietly(SocketChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
