package io.torgate.gateway.dns;

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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A SOCKS5 server on loopback that speaks tor's RESOLVE (0xF0) and RESOLVE_PTR (0xF1) extensions: it records
 * every request with its RFC 1929 credentials and answers with a scripted {@link Answer}. Each connection has
 * its own thread, so held answers ({@link #hold()}) let many lookups be in flight at once.
 */
final class FakeTorSocks implements AutoCloseable {
    static final int CMD_CONNECT = 1;
    static final int CMD_RESOLVE = 0xF0;
    static final int CMD_RESOLVE_PTR = 0xF1;

    /** One request as received. */
    record Seen(int command, String username, String password, String host, int address, int port) {
    }

    /** A scripted reply: REP code and, on success, an IPv4 address or a host name. */
    record Answer(int code, int address, String name) {
        static Answer ipv4(int a) {
            return new Answer(0, a, null);
        }

        static Answer name(String n) {
            return new Answer(0, 0, n);
        }

        static Answer fail(int code) {
            return new Answer(code, 0, null);
        }
    }

    private final ServerSocket server;
    private final Function<Seen, Answer> script;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    /** When true, requests are recorded but never answered (for timeouts). */
    volatile boolean silent;

    FakeTorSocks(Function<Seen, Answer> script) throws IOException {
        this.script = script;
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::serve, "fake-tor-socks");
        t.setDaemon(true);
        t.start();
    }

    SocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** Answers wait until {@link #release()}. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    void release() {
        gate.countDown();
    }

    long count(int command) {
        return seen.stream().filter(s -> s.command() == command).count();
    }

    /** Waits until {@code n} requests were seen. */
    boolean awaitSeen(int n, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (seen.size() < n) {
            if (System.currentTimeMillis() > end) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private void serve() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> handle(s), "fake-tor-socks-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket s) {
        try (s) {
            s.setSoTimeout(30_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            int ver = in.readUnsignedByte();
            int nMethods = in.readUnsignedByte();
            byte[] methods = in.readNBytes(nMethods);
            int method = methods.length > 0 ? methods[0] & 0xFF : 0xFF;
            out.write(new byte[] {5, (byte) method});
            String user = null;
            String pass = null;
            if (ver == 5 && method == 2) {
                in.readUnsignedByte();
                user = readString(in, in.readUnsignedByte());
                pass = readString(in, in.readUnsignedByte());
                out.write(new byte[] {1, 0});
            }
            Seen seenReq = readRequest(in, user, pass);
            seen.add(seenReq);
            if (silent) {
                in.read();
                return;
            }
            gate.await(30, TimeUnit.SECONDS);
            out.write(encode(script.apply(seenReq)));
            out.flush();
        } catch (IOException | InterruptedException e) {
            // the client went away
        }
    }

    private static Seen readRequest(DataInputStream in, String user, String pass) throws IOException {
        in.readUnsignedByte();
        int cmd = in.readUnsignedByte();
        in.readUnsignedByte();
        int atyp = in.readUnsignedByte();
        String host = null;
        int address = 0;
        if (atyp == 1) {
            address = in.readInt();
        } else if (atyp == 3) {
            host = readString(in, in.readUnsignedByte());
        } else {
            in.readNBytes(16);
        }
        int port = in.readUnsignedShort();
        return new Seen(cmd, user, pass, host, address, port);
    }

    private static String readString(InputStream in, int len) throws IOException {
        return new String(in.readNBytes(len), StandardCharsets.ISO_8859_1);
    }

    private static byte[] encode(Answer a) {
        if (a.name() != null) {
            byte[] n = a.name().getBytes(StandardCharsets.US_ASCII);
            byte[] b = new byte[7 + n.length];
            b[0] = 5;
            b[3] = 3;
            b[4] = (byte) n.length;
            System.arraycopy(n, 0, b, 5, n.length);
            return b;
        }
        int x = a.address();
        return new byte[] {5, (byte) a.code(), 0, 1, (byte) (x >>> 24), (byte) (x >>> 16), (byte) (x >>> 8),
            (byte) x, 0, 0};
    }

    @Override
    public void close() throws IOException {
        server.close();
        gate.countDown();
    }
}
