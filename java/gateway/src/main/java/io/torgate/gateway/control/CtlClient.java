package io.torgate.gateway.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The client side of the control socket protocol ({@link ControlServer}): sends one request line, reads the status
 * line and the body until the server closes. Bounded: the whole exchange is cut after a timeout, and a reply larger
 * than {@link #MAX_REPLY_BYTES} is refused. Stateless; any thread.
 */
public final class CtlClient {
    /** Largest reply accepted (a streams table of a busy gateway is a few MiB). */
    public static final int MAX_REPLY_BYTES = 64 << 20;

    private CtlClient() {
    }

    /**
     * @param socket the control socket
     * @param request the request line, e.g. {@code "streams --json"}
     * @param timeoutMillis the whole exchange's limit
     * @return the reply (status line parsed)
     * @throws IOException when the socket cannot be reached, the exchange times out, or the reply is malformed
     */
    public static ControlReply send(Path socket, String request, long timeoutMillis) throws IOException {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("torgate-ctl-timeout").unstarted(r));
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            boolean[] timedOut = {false};
            timer.schedule(() -> {
                timedOut[0] = true;
                try {
                    ch.close();
                } catch (IOException e) {
                    // closing only to wake the blocked read; nothing else to do
                }
            }, timeoutMillis, TimeUnit.MILLISECONDS);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ByteBuffer out = StandardCharsets.UTF_8.encode(request + "\n");
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                ch.shutdownOutput();
                return parse(readAll(ch));
            } catch (IOException e) {
                if (timedOut[0]) {
                    throw new IOException("no complete reply from " + socket + " within " + timeoutMillis + " ms");
                }
                throw e;
            }
        } finally {
            timer.shutdownNow();
        }
    }

    private static byte[] readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(65536);
        while (ch.read(buf) >= 0) {
            all.write(buf.array(), 0, buf.position());
            buf.clear();
            if (all.size() > MAX_REPLY_BYTES) {
                throw new IOException("reply larger than " + MAX_REPLY_BYTES + " bytes");
            }
        }
        all.write(buf.array(), 0, buf.position());
        return all.toByteArray();
    }

    /** {@code ok\nBODY} or {@code error MESSAGE\n}. */
    static ControlReply parse(byte[] reply) throws IOException {
        String text = new String(reply, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        if (nl < 0) {
            throw new IOException("malformed reply (no status line): '" + text + "'");
        }
        String status = text.substring(0, nl);
        String body = text.substring(nl + 1);
        if ("ok".equals(status)) {
            return ControlReply.ok(body);
        }
        if (status.startsWith("error ")) {
            return new ControlReply(false, status.substring(6), body);
        }
        throw new IOException("malformed status line: '" + status + "'");
    }
}
