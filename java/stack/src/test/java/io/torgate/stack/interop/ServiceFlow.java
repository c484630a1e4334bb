package io.torgate.stack.interop;

import io.torgate.stack.IsnGenerator;
import io.torgate.stack.TcpConfig;
import io.torgate.stack.TcpConnection;
import io.torgate.stack.TcpCounters;
import io.torgate.stack.TimerWheel;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * The application side of one flow of the interop server: a pooled {@link TcpConnection}, its timer, and one of
 * three services chosen by the destination port — echo (RFC 862: everything received is sent back), discard
 * (RFC 863: everything received is dropped, but its SHA-256 is recorded so the test can check it) and source (the
 * client sends an 8-byte big-endian length, the server answers with that many bytes of {@link PatternStream} and
 * closes).
 *
 * <p>Ownership and thread-safety: owned by the server thread; reused through the server's pool.
 */
final class ServiceFlow {
    static final int ECHO_PORT = 7;
    static final int DISCARD_PORT = 9;
    static final int SOURCE_PORT = 19;
    /** Seed of the source service's stream; the client checks against {@code PatternStream.sha256(SEED, n)}. */
    static final long SOURCE_SEED = 0x5EED_0F_70_26A7EL;

    final TcpConnection conn;
    final TimerWheel.Timer timer;
    /** Queued in the server's dirty list (needs service and poll in this loop iteration). */
    boolean dirty;
    private final ByteBuffer pending = ByteBuffer.allocate(64 * 1024);
    private final ByteBuffer request = ByteBuffer.allocate(8);
    private final MessageDigest digest = PatternStream.sha256();
    private final PatternStream pattern = new PatternStream(SOURCE_SEED);
    private int port;
    private long received;
    private long toSend;
    private boolean finished;

    ServiceFlow(TcpConfig cfg, IsnGenerator isn, TcpCounters counters) {
        conn = new TcpConnection(cfg, isn, counters);
        timer = new TimerWheel.Timer(this, 0);
    }

    static boolean isService(int port) {
        return port == ECHO_PORT || port == DISCARD_PORT || port == SOURCE_PORT;
    }

    /** Takes this pooled flow for a new 4-tuple: LISTEN, waiting for the SYN the server is about to feed. */
    void open(int localAddr, int localPort, int remoteAddr, int remotePort) {
        conn.open(localAddr, localPort, remoteAddr, remotePort);
        port = localPort;
        pending.clear().limit(0);
        request.clear();
        digest.reset();
        pattern.reseed(SOURCE_SEED);
        received = 0;
        toSend = -1;
        finished = false;
    }

    /**
     * Moves data between the connection and the service until neither side can make progress, and half-closes
     * once the service is done.
     *
     * @param results where the discard service reports the digest of a completed upload
     */
    void service(long now, InteropResults results) {
        if ((conn.events() & TcpConnection.EV_SYN) != 0) {
            conn.accept(now);
        }
        switch (port) {
            case ECHO_PORT -> echo();
            case DISCARD_PORT -> discard();
            default -> source();
        }
        int ev = conn.events();
        boolean drained = (ev & TcpConnection.EV_REMOTE_FIN) != 0 && conn.readable() == 0;
        if (finished || !drained) {
            return;
        }
        if (port == DISCARD_PORT) {
            results.uploaded(conn.remotePort(), received, digest.digest());
        }
        if (port != SOURCE_PORT && !pending.hasRemaining()) {
            conn.shutdownOutput();
            finished = true;
        }
    }

    /** Port, state and progress, for failure messages. */
    String describe() {
        return port + "<-" + conn.remotePort() + " " + conn.state() + " received=" + received + " toSend=" + toSend
                + " pending=" + pending.remaining() + " readable=" + conn.readable() + " unsent=" + conn.unsent()
                + " finished=" + finished + " events=0x" + Integer.toHexString(conn.events()) + " sender["
                + conn.describeSender(System.nanoTime()) + "]";
    }

    private void echo() {
        while (true) {
            if (pending.hasRemaining()) {
                if (conn.write(pending) <= 0) {
                    return;
                }
                continue;
            }
            pending.clear();
            int n = conn.read(pending);
            pending.flip();
            received += n;
            if (n == 0) {
                return;
            }
        }
    }

    private void discard() {
        int n;
        while ((n = conn.read(pending.clear())) > 0) {
            digest.update(pending.flip());
            received += n;
        }
        pending.limit(0);
    }

    private void source() {
        if (toSend < 0) {
            conn.read(request);
            if (request.hasRemaining()) {
                return;
            }
            toSend = request.getLong(0);
        }
        while (true) {
            if (!pending.hasRemaining()) {
                if (toSend == 0) {
                    if (!finished) {
                        conn.shutdownOutput();
                        finished = true;
                    }
                    break;
                }
                pending.clear().limit((int) Math.min(pending.capacity(), toSend));
                pattern.fill(pending);
                pending.flip();
                toSend -= pending.remaining();
            }
            if (conn.write(pending) <= 0) {
                break;
            }
        }
        // Anything sent after the request is ignored.
        while (conn.read(request.clear()) > 0) {
            received++;
        }
    }
}
