package io.torgate.tor;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client for tor's control protocol (control-spec) over TCP ({@code ControlPort}) or a Unix socket
 * ({@code ControlSocket}): authentication ({@link ControlAuth}), PROTOCOLINFO, GETINFO, SETEVENTS, SIGNAL,
 * CLOSECIRCUIT, and asynchronous events delivered to a {@link ControlEventListener}.
 *
 * <p>Threading: a daemon reader thread owns the input side; it completes command replies in FIFO order (tor
 * answers commands in order, control-spec §1) and delivers 6xx events to the listener. Commands may be sent from
 * any thread except the reader thread; they are serialised so a command and its place in the reply queue are
 * taken atomically. Thread-safe.
 */
public final class ControlClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControlClient.class.getName());
    private static final long DEFAULT_TIMEOUT_MILLIS = 10_000;

    private final SocketChannel channel;
    private final InputStream in;
    private final ArrayDeque<CompletableFuture<ControlReply>> pending = new ArrayDeque<>();
    private final Thread reader;
    private final java.util.concurrent.CopyOnWriteArrayList<ControlEventListener> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private ControlClient(SocketChannel channel, ControlEventListener listener) {
        this.channel = channel;
        this.in = new BufferedInputStream(Channels.newInputStream(channel), 16384);
        if (listener != null) {
            listeners.add(listener);
        }
        this.reader = new Thread(this::readLoop, "tor-control-reader");
        reader.setDaemon(true);
    }

    /** Connects (blocking) to a ControlPort or ControlSocket; events go to {@code listener} (may be null). */
    public static ControlClient connect(SocketAddress address, ControlEventListener listener) throws IOException {
        SocketChannel ch = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            ch.connect(address);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        ControlClient c = new ControlClient(ch, listener);
        c.reader.start();
        return c;
    }

    /** Adds an event listener (called after those added before it). */
    public void addListener(ControlEventListener l) {
        listeners.add(java.util.Objects.requireNonNull(l));
    }

    public void removeListener(ControlEventListener l) {
        listeners.remove(l);
    }

    /** Sends one command line (without CRLF) and waits for its reply. */
    public ControlReply command(String line) throws IOException {
        return command(line, DEFAULT_TIMEOUT_MILLIS);
    }

    /** Sends one command line and waits up to {@code timeoutMillis} for its reply. */
    public ControlReply command(String line, long timeoutMillis) throws IOException {
        if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("command must be one line");
        }
        if (Thread.currentThread() == reader) {
            throw new IllegalStateException("commands cannot be sent from the event listener thread");
        }
        CompletableFuture<ControlReply> f = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                throw new IOException("control connection closed");
            }
            pending.addLast(f);
            ByteBuffer b = ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + verb(line), e);
        } catch (ExecutionException e) {
            throw new IOException("control connection failed during " + verb(line), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no reply to " + verb(line) + " within " + timeoutMillis + " ms", e);
        }
    }

    /** Like {@link #command(String)} but throws {@link ControlException} unless the reply is 2xx. */
    public ControlReply commandOk(String line) throws IOException {
        ControlReply r = command(line);
        if (!r.isOk()) {
            throw new ControlException(verb(line), r);
        }
        return r;
    }

    private static String verb(String line) {
        int sp = line.indexOf(' ');
        return sp < 0 ? line : line.substring(0, sp);
    }

    /** PROTOCOLINFO 1: auth methods, cookie file and tor version. */
    public ProtocolInfo protocolInfo() throws IOException {
        return ProtocolInfo.parse(commandOk("PROTOCOLINFO 1"));
    }

    /** GETINFO for one or more keys; values of data blocks are returned whole (multi-line). */
    public Map<String, String> getInfo(String... keys) throws IOException {
        ControlReply r = commandOk("GETINFO " + String.join(" ", keys));
        Map<String, String> out = new LinkedHashMap<>();
        for (ControlReply.Line l : r.lines()) {
            int eq = l.text().indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = l.text().substring(0, eq);
            out.put(key, l.data() != null ? l.data() : l.text().substring(eq + 1));
        }
        return out;
    }

    /** GETINFO of a single key. */
    public String getInfo(String key) throws IOException {
        String v = getInfo(new String[] {key}).get(key);
        if (v == null) {
            throw new IOException("GETINFO " + key + ": key missing from reply");
        }
        return v;
    }

    /** SETEVENTS: replaces the set of subscribed events (e.g. "STREAM", "CIRC"). */
    public void setEvents(String... events) throws IOException {
        commandOk(("SETEVENTS " + String.join(" ", events)).trim());
    }

    /** SIGNAL (NEWNYM, RELOAD, SHUTDOWN, HALT, ...). */
    public void signal(String name) throws IOException {
        commandOk("SIGNAL " + name);
    }

    /** CLOSECIRCUIT; returns false if tor says the circuit is unknown (552), e.g. it already closed. */
    public boolean closeCircuit(String circuitId) throws IOException {
        ControlReply r = command("CLOSECIRCUIT " + circuitId);
        if (r.status() == 552) {
            return false;
        }
        if (!r.isOk()) {
            throw new ControlException("CLOSECIRCUIT", r);
        }
        return true;
    }

    /** TAKEOWNERSHIP: tor exits when this connection closes (control-spec §3.23). */
    public void takeOwnership() throws IOException {
        commandOk("TAKEOWNERSHIP");
    }

    /** The circuits tor currently has, parsed from {@code GETINFO circuit-status}. */
    public List<CircuitEvent> circuitStatus() throws IOException {
        List<CircuitEvent> out = new ArrayList<>();
        for (String line : getInfo("circuit-status").split("\n")) {
            CircuitEvent c = CircuitEvent.parseStatusLine(line);
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    public boolean isOpen() {
        return !closed;
    }

    private void readLoop() {
        Throwable cause = null;
        try {
            ControlReply r;
            while ((r = ControlReplyReader.read(in)) != null) {
                dispatch(r);
            }
        } catch (IOException | RuntimeException e) {
            cause = e;
            if (!closed) {
                LOG.log(System.Logger.Level.DEBUG, "control connection ended: {0}", e.toString());
            }
        } finally {
            shutdown(cause);
        }
    }

    private void dispatch(ControlReply r) {
        if (r.status() / 100 == 6) {
            deliver(r);
            return;
        }
        CompletableFuture<ControlReply> f;
        synchronized (this) {
            f = pending.pollFirst();
        }
        if (f != null) {
            f.complete(r);
        } else {
            LOG.log(System.Logger.Level.WARNING, "unexpected control reply: {0}", r);
        }
    }

    private void deliver(ControlReply r) {
        String text = r.firstText();
        StreamEvent stream = text.startsWith("STREAM ") ? StreamEvent.parse(text) : null;
        CircuitEvent circ = text.startsWith("CIRC ") ? CircuitEvent.parseEvent(text) : null;
        for (ControlEventListener l : listeners) {
            try {
                if (stream != null) {
                    l.onStream(stream);
                } else if (circ != null) {
                    l.onCircuit(circ);
                } else {
                    l.onOther(r);
                }
            } catch (RuntimeException e) {
                // A listener bug must not kill the reader: replies to commands would never arrive.
                LOG.log(System.Logger.Level.WARNING, "control event listener failed", e);
            }
        }
    }

    private void shutdown(Throwable cause) {
        List<CompletableFuture<ControlReply>> waiting;
        synchronized (this) {
            closed = true;
            waiting = new ArrayList<>(pending);
            pending.clear();
        }
        IOException e = new IOException("control connection closed", cause);
        waiting.forEach(f -> f.completeExceptionally(e));
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
        for (ControlEventListener l : listeners) {
            try {
                l.onClosed();
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "control event listener failed on close", ex);
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
