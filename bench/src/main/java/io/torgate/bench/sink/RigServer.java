package io.torgate.bench.sink;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The rig's target server, run in the server namespace: the far end of every measured path.
 *
 * <ul>
 *   <li>request/response port: reads {@value #MESSAGE}-byte requests and answers each with {@value #MESSAGE}
 *       bytes. A request starting with {@code 'C'} is answered and the connection closed by the server (HTTP/1.0
 *       style, so TIME_WAIT stays here and the client's ports do not run out); {@code 'R'} keeps it open.</li>
 *   <li>stream port: the first byte chooses {@code 'U'} (discard everything until EOF: upload) or {@code 'D'}
 *       (send zeros until the client goes away: download).</li>
 * </ul>
 *
 * <p>Usage: {@code RigServer --rr IP:PORT --stream IP:PORT}. Thread-safety: one pool thread owns each connection.
 */
public final class RigServer {
    static final int MESSAGE = 64;

    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(null, r, "rig-server", 256 * 1024);
        t.setDaemon(true);
        return t;
    });

    public static void main(String[] args) throws Exception {
        InetSocketAddress rr = null;
        InetSocketAddress stream = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rr" -> rr = Args.endpoint(args[++i]);
                case "--stream" -> stream = Args.endpoint(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (rr == null || stream == null) {
            throw new IllegalArgumentException("usage: RigServer --rr IP:PORT --stream IP:PORT");
        }
        RigServer s = new RigServer();
        ServerSocketChannel rrServer = bind(rr);
        ServerSocketChannel streamServer = bind(stream);
        Thread a = Thread.ofPlatform().name("accept-rr").start(() -> s.acceptLoop(rrServer, true));
        Thread b = Thread.ofPlatform().name("accept-stream").start(() -> s.acceptLoop(streamServer, false));
        System.out.println("rig-server: rr " + rr + ", stream " + stream);
        System.out.flush();
        a.join();
        b.join();
    }

    private static ServerSocketChannel bind(InetSocketAddress a) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        s.bind(a, 4096);
        return s;
    }

    private void acceptLoop(ServerSocketChannel server, boolean rr) {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                pool.execute(() -> {
                    try (c) {
                        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        if (rr) {
                            requestResponse(c);
                        } else {
                            stream(c);
                        }
                    } catch (IOException e) {
                        // the client went away: the normal end of a download
                    }
                });
            } catch (IOException e) {
                System.err.println("rig-server: accept failed: " + e);
            }
        }
    }

    private static void requestResponse(SocketChannel c) throws IOException {
        ByteBuffer req = ByteBuffer.allocate(MESSAGE);
        ByteBuffer resp = ByteBuffer.allocate(MESSAGE);
        while (true) {
            req.clear();
            while (req.hasRemaining()) {
                if (c.read(req) < 0) {
                    return;
                }
            }
            resp.clear();
            Io.writeFully(c, resp);
            if (req.get(0) == 'C') {
                return;
            }
        }
    }

    private static void stream(SocketChannel c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
        buf.limit(1);
        if (c.read(buf) < 1) {
            return;
        }
        byte mode = buf.get(0);
        buf.clear();
        if (mode == 'U') {
            while (c.read(buf) >= 0) {
                buf.clear();
            }
        } else if (mode == 'D') {
            while (true) {
                c.write(buf);
                buf.clear();
            }
        }
    }
}
