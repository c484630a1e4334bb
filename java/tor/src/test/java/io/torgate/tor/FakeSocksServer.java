package io.torgate.tor;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

/**
 * A scripted SOCKS5 server on loopback (TCP) or a Unix socket for client tests: it answers the greeting with the
 * first offered method, accepts any credentials unless told otherwise, records what it received, and answers the
 * request with bytes chosen by a function of the request. One connection at a time, on its own thread.
 */
final class FakeSocksServer implements AutoCloseable {
    /** What the server saw in one exchange. */
    record Seen(int method, String username, String password, int command, int addressType, String host,
                int address, int port) {
    }

    private final ServerSocketChannel server;
    private final Thread thread;
    private final Function<Seen, byte[]> responder;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final Path unixPath;
    volatile int methodReply = -1;
    volatile int authStatus = 0;
    volatile boolean closeAfterReply;

    FakeSocksServer(Function<Seen, byte[]> responder) throws IOException {
        this(responder, null);
    }

    FakeSocksServer(Function<Seen, byte[]> responder, Path unixPath) throws IOException {
        this.responder = responder;
        this.unixPath = unixPath;
        if (unixPath != null) {
            Files.deleteIfExists(unixPath);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(unixPath));
        } else {
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        }
        thread = new Thread(this::serve, "fake-socks");
        thread.setDaemon(true);
        thread.start();
    }

    /** A reply with the given REP byte and an IPv4 zero bound address (tor's 10-byte failure form). */
    static byte[] reply(int code) {
        return new byte[] {5, (byte) code, 0, 1, 0, 0, 0, 0, 0, 0};
    }

    SocketAddress address() throws IOException {
        return server.getLocalAddress();
    }

    Seen take() throws InterruptedException {
        return seen.poll(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                handle(ch);
            } catch (IOException e) {
                // closed or client went away: accept the next one
            }
        }
    }

    private void handle(SocketChannel ch) throws IOException {
        DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
        OutputStream out = Channels.newOutputStream(ch);
        if (in.readUnsignedByte() != 5) {
            return;
        }
        byte[] methods = in.readNBytes(in.readUnsignedByte());
        int method = methodReply >= 0 ? methodReply : methods[0] & 0xFF;
        out.write(new byte[] {5, (byte) method});
        String user = null;
        String pass = null;
        if (method == 2) {
            in.readUnsignedByte();
            user = new String(in.readNBytes(in.readUnsignedByte()), java.nio.charset.StandardCharsets.ISO_8859_1);
            pass = new String(in.readNBytes(in.readUnsignedByte()), java.nio.charset.StandardCharsets.ISO_8859_1);
            out.write(new byte[] {1, (byte) authStatus});
            if (authStatus != 0) {
                seen.add(new Seen(method, user, pass, -1, -1, null, 0, 0));
                return;
            }
        } else if (method == 0xFF) {
            return;
        }
        in.readUnsignedByte();
        int cmd = in.readUnsignedByte();
        in.readUnsignedByte();
        int atyp = in.readUnsignedByte();
        String host = null;
        int addr = 0;
        if (atyp == 3) {
            host = new String(in.readNBytes(in.readUnsignedByte()), java.nio.charset.StandardCharsets.ISO_8859_1);
        } else {
            addr = in.readInt();
        }
        int port = in.readUnsignedShort();
        Seen s = new Seen(method, user, pass, cmd, atyp, host, addr, port);
        seen.add(s);
        out.write(responder.apply(s));
        out.flush();
        if (closeAfterReply) {
            return;
        }
        // Keep the connection until the client closes, so it sees data rather than EOF.
        while (in.read() >= 0) {
            // drain
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        if (unixPath != null) {
            Files.deleteIfExists(unixPath);
        }
    }
}
