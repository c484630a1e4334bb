package io.torgate.gateway.control;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The operator's control socket ({@code torgate ctl}): a Unix stream socket, mode 0660 with the configured group,
 * serving a registry of {@link ControlCommand}s.
 *
 * <p>Protocol (one request per connection, easy from a shell): the client sends one line {@code COMMAND [ARG...]
 * [--json]} ending in a newline (or half-closes), at most {@value ControlRequest#MAX_BYTES} bytes, within
 * {@value #REQUEST_TIMEOUT_MILLIS} ms; the server answers a status line, {@code ok} or {@code error MESSAGE}, then
 * the command's output, and closes. {@code help} lists the registered commands.
 *
 * <p>Authorization: each connection's peer credentials (SO_PEERCRED) go through a {@link PeerAuthorizer} (root or
 * the configured group); a refused peer gets {@code error refused: ...}, and the refusal is logged with its user
 * and group. The file mode is the first fence, the credential check the second.
 *
 * <p>Threads: one acceptor thread and at most {@value #MAX_SESSIONS} session threads, never a shard worker; a
 * connection beyond that gets {@code error busy}. A malformed request, an oversized one, a slow client or a
 * failing command ends only its own session.
 *
 * <p>Registering commands: {@link #register} before or after {@link #start()}, from any thread (see
 * {@link ControlCommand} for an example). Thread-safe.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger(ControlServer.class.getName());
    /** Sessions served at once; the commands are quick (a snapshot, a control-port call), so a few suffice. */
    static final int MAX_SESSIONS = 4;
    /** A client has this long to send its request line. */
    static final long REQUEST_TIMEOUT_MILLIS = 5_000;
    /** A whole session (request, command, reply) is cut after this. */
    static final long SESSION_TIMEOUT_MILLIS = 60_000;
    /** A turned-away connection (refused, busy) is closed this long after its answer. */
    static final long LINGER_MILLIS = 1_000;
    static final int MAX_LINGERING = 64;

    private record Entry(String usage, ControlCommand command) {
    }

    private final Path socket;
    private final PeerAuthorizer authorizer;
    private final Map<String, Entry> commands = new ConcurrentHashMap<>();
    private final AtomicInteger sessionIds = new AtomicInteger();
    private final AtomicInteger lingering = new AtomicInteger();
    private ServerSocketChannel server;
    private Thread acceptor;
    private ThreadPoolExecutor sessions;
    private ScheduledExecutorService deadlines;
    private volatile boolean closed;

    public ControlServer(Path socket, PeerAuthorizer authorizer) {
        this.socket = socket;
        this.authorizer = authorizer;
        register("help", "help: list the commands", r -> ControlReply.ok(help()));
    }

    /**
     * Adds (or replaces) a command.
     *
     * @param name the first word of the request, e.g. {@code "capture"}
     * @param usage one line for {@code help}, e.g. {@code "capture start|stop|status [--json]"}
     */
    public void register(String name, String usage, ControlCommand command) {
        if (!name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("command names are lowercase words: " + name);
        }
        commands.put(name, new Entry(usage, command));
    }

    /** The socket path. */
    public Path socket() {
        return socket;
    }

    /** Binds the socket (replacing a stale file, refusing when another server answers on it) and starts. */
    public synchronized void start() throws IOException {
        Files.createDirectories(socket.toAbsolutePath().getParent());
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        if (Files.exists(socket)) {
            if (answers(address)) {
                throw new IOException("control socket " + socket + " is in use by another process");
            }
            Files.delete(socket); // nobody listens: a stale socket of a process that died
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(address, 16);
            restrict();
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(socket);
            throw e;
        }
        sessions = new ThreadPoolExecutor(0, MAX_SESSIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
            r -> Thread.ofPlatform().daemon().name("torgate-control-" + sessionIds.incrementAndGet()).unstarted(r));
        deadlines = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("torgate-control-timer").unstarted(r));
        acceptor = Thread.ofPlatform().daemon().name("torgate-control").start(this::acceptLoop);
        LOG.log(Level.INFO, "control socket {0} (root{1})", socket,
            authorizer.group() == null ? " only" : " and group " + authorizer.group());
    }

    private static boolean answers(UnixDomainSocketAddress address) {
        try (SocketChannel probe = SocketChannel.open(address)) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** Mode 0660, group as configured (root's otherwise). */
    private void restrict() throws IOException {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        if (authorizer.group() != null) {
            GroupPrincipal g;
            try {
                g = FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(authorizer.group());
            } catch (IOException e) {
                throw new IOException("control.group " + authorizer.group() + ": no such group", e);
            }
            Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(g);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "control socket accept failed: {0}", e.toString());
                sleepQuietly();
                continue;
            }
            try {
                admit(ch);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "control socket: admitting a connection failed", e);
                closeQuietly(ch);
            }
        }
    }

    private void admit(SocketChannel ch) {
        String peer;
        String refusal;
        try {
            UnixDomainPrincipal p = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            peer = p.user().getName() + "/" + p.group().getName();
            refusal = authorizer.refusal(p.user().getName(), p.group().getName());
        } catch (IOException | UnsupportedOperationException e) {
            peer = "?";
            refusal = "peer credentials unavailable: " + e.getMessage();
        }
        if (refusal != null) {
            LOG.log(Level.WARNING, "control socket: refused {0}: {1}", peer, refusal);
            turnAway(ch, ControlReply.error("refused: " + refusal));
            return;
        }
        String who = peer;
        try {
            sessions.execute(() -> session(ch, who));
        } catch (RejectedExecutionException e) {
            turnAway(ch, ControlReply.error("busy: " + MAX_SESSIONS + " control sessions are running; try again"));
        }
    }

    /**
     * Answers a connection without a session: the reply, then our EOF, and the close a moment later, so a client
     * still sending its request is not reset before it reads the answer (closing a Unix socket with unread data
     * resets the peer). Lingering closes are bounded; beyond that the connection is closed at once.
     */
    private void turnAway(SocketChannel ch, ControlReply r) {
        reply(ch, r);
        try {
            ch.shutdownOutput();
            if (lingering.incrementAndGet() <= MAX_LINGERING) {
                deadlines.schedule(() -> {
                    lingering.decrementAndGet();
                    closeQuietly(ch);
                }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            lingering.decrementAndGet();
        } catch (IOException | RejectedExecutionException e) {
            LOG.log(Level.DEBUG, "control socket: turning a connection away: {0}", e.toString());
        }
        closeQuietly(ch);
    }

    private void session(SocketChannel ch, String peer) {
        ScheduledFuture<?> cut;
        ScheduledFuture<?> slow;
        try {
            cut = deadlines.schedule(() -> closeQuietly(ch), SESSION_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            slow = deadlines.schedule(() -> closeQuietly(ch), REQUEST_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            closeQuietly(ch); // the server is closing
            return;
        }
        try {
            ControlReply reply;
            try {
                String line = readLine(ch);
                slow.cancel(false);
                reply = dispatch(ControlRequest.parse(line, peer));
            } catch (ControlException e) {
                reply = ControlReply.error(e.getMessage());
            }
            reply(ch, reply);
            finish(ch);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "control session of {0} ended: {1}", peer, e.toString());
        } finally {
            slow.cancel(false);
            cut.cancel(false);
            closeQuietly(ch);
        }
    }

    /** Runs a request's command; every failure becomes an error reply. */
    ControlReply dispatch(ControlRequest request) {
        Entry e = commands.get(request.command());
        if (e == null) {
            return ControlReply.error("unknown command '" + request.command() + "' (try 'help')");
        }
        try {
            LOG.log(Level.DEBUG, "control: {0} runs {1} {2}", request.peer(), request.command(), request.args());
            ControlReply r = e.command().run(request);
            return r == null ? ControlReply.error("internal: " + request.command() + " gave no reply") : r;
        } catch (ControlException ex) {
            return ControlReply.error(ex.getMessage());
        } catch (Exception ex) {
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.log(Level.WARNING, "control command " + request.command() + " failed", ex);
            return ControlReply.error("internal: " + request.command() + " failed: " + ex);
        }
    }

    /** Reads one line (up to the newline, or to EOF), at most {@link ControlRequest#MAX_BYTES} bytes, UTF-8. */
    static String readLine(SocketChannel ch) throws IOException, ControlException {
        ByteBuffer buf = ByteBuffer.allocate(ControlRequest.MAX_BYTES);
        int end = -1;
        while (end < 0) {
            int before = buf.position();
            int n = ch.read(buf);
            if (n < 0) {
                end = buf.position();
                break;
            }
            for (int i = before; i < buf.position(); i++) {
                if (buf.get(i) == '\n') {
                    end = i;
                    break;
                }
            }
            if (end < 0 && !buf.hasRemaining()) {
                throw new ControlException("bad request: longer than " + ControlRequest.MAX_BYTES
                    + " bytes without a newline");
            }
        }
        if (end > 0 && buf.get(end - 1) == '\r') {
            end--;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(buf.flip().limit(end)).toString();
        } catch (CharacterCodingException e) {
            throw new ControlException("bad request: not UTF-8");
        }
    }

    /**
     * Our EOF, then the client's rest until its EOF (bounded by the session timer and a byte budget), so closing
     * never resets a client that has not read the reply yet.
     */
    private static void finish(SocketChannel ch) throws IOException {
        ch.shutdownOutput();
        ByteBuffer sink = ByteBuffer.allocate(4096);
        long budget = 1 << 20;
        for (int n; budget > 0 && (n = ch.read(sink.clear())) >= 0; ) {
            budget -= n;
        }
    }

    private static void reply(SocketChannel ch, ControlReply r) {
        String head = r.ok() ? "ok\n" : "error " + r.message() + "\n";
        ByteBuffer out = StandardCharsets.UTF_8.encode(head + r.body());
        try {
            while (out.hasRemaining()) {
                ch.write(out);
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "control reply not delivered: {0}", e.toString());
        }
    }

    private String help() {
        StringBuilder sb = new StringBuilder("commands (add --json for machine-readable output):\n");
        Map<String, Entry> sorted = new TreeMap<>(commands);
        sorted.forEach((name, e) -> sb.append("  ").append(e.usage()).append('\n'));
        return sb.toString();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing a control connection: {0}", e.toString());
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops accepting, ends running sessions, removes the socket file. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed || server == null) {
            closed = true;
            return;
        }
        closed = true;
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing the control socket: {0}", e.toString());
        }
        if (sessions == null) {
            return; // start failed after binding: nothing else was started
        }
        sessions.shutdownNow();
        deadlines.shutdownNow();
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
