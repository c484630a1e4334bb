package io.torgate.gateway.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A small, honest SOCKS5 server for tests (RFC 1928 CONNECT with IPv4 or a domain that is an IPv4 literal;
 * RFC 1929 username/password accepted and recorded): it connects to the requested target and relays bytes both
 * ways with half-close, one platform thread per direction (so the threads stay in the network namespace of the
 * thread that constructed the server). Knobs for fault tests: ports to refuse (REP 5), stalling (accept the
 * CONNECT but never read from the client), and {@link #close()} which kills every live connection.
 */
public final class TestSocksServer implements AutoCloseable {
    /** One CONNECT the server saw. */
    public record Request(String host, int port, String username, String password) {
    }

    private final ServerSocket server;
    private final UnaryOperator<InetSocketAddress> targets;
    private final Map<Integer, Integer> refusedPorts = new ConcurrentHashMap<>();
    private final Map<String, String> hosts = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger dropUnanswered = new AtomicInteger();
    private volatile boolean stall;
    private volatile java.util.concurrent.CountDownLatch uploadHold;

    /**
     * Listens on {@code bind} (in the calling thread's network namespace).
     *
     * @param targets rewrites a requested target before connecting (identity in the lab; loopback in unit tests)
     */
    public TestSocksServer(InetSocketAddress bind, UnaryOperator<InetSocketAddress> targets) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(bind, 512);
        this.targets = targets;
        Thread.ofPlatform().daemon().name("socks-accept").start(this::acceptLoop);
    }

    public SocketAddress address() {
        return server.getLocalSocketAddress();
    }

    /** A static name → IPv4 literal entry, standing in for the exit's resolver (we never use DNS here). */
    public void host(String name, String ipv4) {
        hosts.put(name, ipv4);
    }

    public void refusePort(int port) {
        refusePort(port, 5);
    }

    /** CONNECTs to {@code port} get reply code {@code rep} (e.g. 2 not allowed, 4 host unreachable, 0xF6). */
    public void refusePort(int port, int rep) {
        refusedPorts.put(port, rep);
    }

    /** When on, new connections are accepted but the client's bytes are never read. */
    public void stall(boolean on) {
        stall = on;
    }

    /** Relays started from now on read none of the client's bytes until {@code until} opens (Tor slow to take). */
    public void holdUploads(java.util.concurrent.CountDownLatch until) {
        uploadHold = until;
    }

    public List<Request> requests() {
        return requests;
    }

    /** Connections currently relaying. */
    public int active() {
        return active.get();
    }

    /**
     * The next {@code n} connections to send their first byte are closed without an answer: tor closing an idle SOCKS
     * connection just as a client starts using it.
     */
    public void dropUnanswered(int n) {
        dropUnanswered.set(n);
    }

    /** Client connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Client connections open now: idle, negotiating or relaying (the server saw no EOF on them yet). */
    public int open() {
        return open.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.incrementAndGet();
                live.add(s);
                Thread.ofPlatform().daemon().name("socks-conn").start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            java.io.PushbackInputStream first = new java.io.PushbackInputStream(client.getInputStream(), 1);
            int b = first.read();
            if (b < 0 || dropUnanswered.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return;
            }
            first.unread(b);
            DataInputStream in = new DataInputStream(first);
            OutputStream out = client.getOutputStream();
            String[] auth = negotiate(in, out);
            if (auth == null) {
                return;
            }
            int ver = in.readUnsignedByte();
            int cmd = in.readUnsignedByte();
            in.readUnsignedByte();
            int atyp = in.readUnsignedByte();
            String host;
            if (atyp == 1) {
                byte[] a = in.readNBytes(4);
                host = InetAddress.getByAddress(a).getHostAddress();
            } else if (atyp == 3) {
                host = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.US_ASCII);
            } else {
                reply(out, 8);
                return;
            }
            int port = in.readUnsignedShort();
            requests.add(new Request(host, port, auth[0], auth[1]));
            if (ver == 5 && (cmd == 0xF0 || cmd == 0xF1)) {
                answerResolve(out, cmd, host);
                return;
            }
            if (ver != 5 || cmd != 1) {
                reply(out, 7);
                return;
            }
            Integer refused = refusedPorts.get(port);
            if (refused != null) {
                reply(out, refused);
                return;
            }
            connectAndRelay(client, in, out, host, port);
        } catch (IOException | RuntimeException e) {
            // The client went away or the server is closing: nothing to report in a test server.
        } finally {
            live.remove(client);
            open.decrementAndGet();
        }
    }

    /** RFC 1928 method selection; RFC 1929 sub-negotiation when offered. Returns {user, password} or null. */
    private static String[] negotiate(DataInputStream in, OutputStream out) throws IOException {
        if (in.readUnsignedByte() != 5) {
            return null;
        }
        byte[] methods = in.readNBytes(in.readUnsignedByte());
        boolean userPass = false;
        for (byte m : methods) {
            userPass |= m == 2;
        }
        out.write(new byte[] {5, (byte) (userPass ? 2 : 0)});
        if (!userPass) {
            return new String[] {null, null};
        }
        in.readUnsignedByte();
        String user = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.US_ASCII);
        String pass = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.US_ASCII);
        out.write(new byte[] {1, 0});
        return new String[] {user, pass};
    }

    private void connectAndRelay(Socket client, InputStream in, OutputStream out, String host, int port)
        throws IOException {
        byte[] literal = parseIpv4(hosts.getOrDefault(host, host));
        if (literal == null) {
            reply(out, 4); // a test server never resolves names
            return;
        }
        InetSocketAddress target = targets.apply(new InetSocketAddress(InetAddress.getByAddress(literal), port));
        Socket upstream = new Socket();
        live.add(upstream);
        try (upstream) {
            try {
                upstream.connect(target, 5000);
            } catch (IOException e) {
                reply(out, 5);
                return;
            }
            reply(out, 0);
            active.incrementAndGet();
            try {
                Thread down = Thread.ofPlatform().daemon().name("socks-down").start(() -> copy(upstream, client));
                java.util.concurrent.CountDownLatch hold = uploadHold;
                if (hold != null) {
                    hold.await();
                }
                if (!stall) {
                    copy(client, upstream);
                } else {
                    down.join();
                }
                down.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                active.decrementAndGet();
            }
        } finally {
            live.remove(upstream);
        }
    }

    /** Copies until EOF, then half-closes the destination. */
    private static void copy(Socket from, Socket to) {
        byte[] buf = new byte[32 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closing after a failure
            }
        }
    }

    /** Tor's RESOLVE (0xF0: name → IPv4 from {@link #host}) and RESOLVE_PTR (0xF1: any address → "ptr.test"). */
    private void answerResolve(OutputStream out, int cmd, String host) throws IOException {
        if (cmd == 0xF1) {
            byte[] name = "ptr.test".getBytes(StandardCharsets.US_ASCII);
            out.write(new byte[] {5, 0, 0, 3, (byte) name.length});
            out.write(name);
            out.write(new byte[] {0, 0});
            out.flush();
            return;
        }
        byte[] literal = parseIpv4(hosts.getOrDefault(host, host));
        if (literal == null) {
            reply(out, 4);
            return;
        }
        out.write(new byte[] {5, 0, 0, 1, literal[0], literal[1], literal[2], literal[3], 0, 0});
        out.flush();
    }

    private static void reply(OutputStream out, int rep) throws IOException {
        out.write(new byte[] {5, (byte) rep, 0, 1, 0, 0, 0, 0, 0, 0});
        out.flush();
    }

    private static byte[] parseIpv4(String host) {
        String[] p = host.split("\\.");
        if (p.length != 4) {
            return null;
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            try {
                b[i] = (byte) Integer.parseInt(p[i]);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return b;
    }

    /** Stops listening and kills every live connection (as if the server process died). */
    @Override
    public void close() throws IOException {
        server.close();
        // Every socket aborts (SO_LINGER 0) before any closes: closing an upstream first wakes its copy thread, whose
        // own close of the gateway-side socket would otherwise send a FIN ahead of this loop's RST.
        for (Socket s : live) {
            try {
                s.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // already closed
            }
        }
        for (Socket s : live) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }
}
