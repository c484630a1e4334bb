package io.torgate.tor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A scripted control-port server on loopback: each received command line goes to a responder that returns the
 * raw reply text (lines separated by "\n", sent with CRLF), and tests can push asynchronous event lines.
 */
final class FakeControlServer implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final Function<String, String> responder;
    final List<String> received = new CopyOnWriteArrayList<>();
    private volatile Socket socket;
    private final Thread thread;

    FakeControlServer(Function<String, String> responder) throws IOException {
        this.responder = responder;
        thread = new Thread(this::serve, "fake-control");
        thread.setDaemon(true);
        thread.start();
    }

    SocketAddress address() {
        return server.getLocalSocketAddress();
    }

    private void serve() {
        try (Socket s = server.accept()) {
            socket = s;
            BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                received.add(line);
                String reply = responder.apply(line);
                if (reply == null) {
                    s.close();
                    return;
                }
                send(reply);
            }
        } catch (IOException e) {
            // test ended
        }
    }

    /** Sends raw lines ("\n"-separated) to the connected client. */
    synchronized void send(String text) throws IOException {
        for (int i = 0; i < 100 && socket == null; i++) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        OutputStream out = socket.getOutputStream();
        out.write((text.replace("\n", "\r\n") + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        if (socket != null) {
            socket.close();
        }
    }
}
