package io.torgate.tor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A TCP listener that accepts connections and holds them open until closed: a stream target for real-tor tests. */
final class HoldServer implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    HoldServer(String bindAddress) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByAddress(ipv4Bytes(bindAddress)), 0));
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    accepted.add(server.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "hold-server");
        t.setDaemon(true);
        t.start();
    }

    private static byte[] ipv4Bytes(String s) {
        int a = ClientMatch.parseIpv4(s);
        return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : accepted) {
            s.close();
        }
    }
}
