package io.torgate.tor;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Runs tor as a child process: writes the {@link Torrc}, checks it with {@code tor --verify-config}, starts tor,
 * authenticates on its ControlSocket (cookie), takes ownership (tor exits if our control connection closes, and
 * {@code __OwningControllerProcess} covers the time before), follows bootstrap to 100%, and restarts tor with
 * exponential back-off whenever it dies until {@link #close()}.
 *
 * <p>Lifecycle: {@link #start()} once (blocking until bootstrapped or failed), then a watchdog thread owns
 * restarts; {@link #close()} stops everything. State changes are reported to state listeners on the thread that
 * causes them. Thread-safe.
 */
public final class ManagedTor implements TorService {
    private static final System.Logger LOG = System.getLogger(ManagedTor.class.getName());

    /** Where the managed tor is in its life. */
    public enum State { STOPPED, STARTING, READY, RESTARTING, FAILED }

    /**
     * @param torrc             what to run
     * @param bootstrapMillis   how long a start may take to reach bootstrap 100%
     * @param minBackoffMillis  first delay before a restart
     * @param maxBackoffMillis  longest delay between restarts
     */
    public record Settings(Torrc torrc, long bootstrapMillis, long minBackoffMillis, long maxBackoffMillis) {
        public static Settings defaults(Torrc torrc) {
            return new Settings(torrc, 120_000, 1_000, 60_000);
        }
    }

    private final Settings settings;
    private final ControlSubscriptions subscriptions = new ControlSubscriptions();
    private final List<Consumer<State>> stateListeners = new CopyOnWriteArrayList<>();
    private volatile Process process;
    private volatile ControlClient control;
    private volatile State state = State.STOPPED;
    private volatile boolean closing;
    private volatile int restarts;
    private Thread watchdog;

    public ManagedTor(Settings settings) {
        this.settings = settings;
    }

    public void addStateListener(Consumer<State> l) {
        stateListeners.add(l);
    }

    /**
     * Starts tor and waits for bootstrap. Throws {@link TorConfigException} (tor's message) if the configuration is
     * rejected, or an IOException if tor dies or does not bootstrap in time; tor is stopped again in both cases.
     */
    public synchronized void start() throws IOException {
        if (watchdog != null) {
            throw new IllegalStateException("already started");
        }
        setState(State.STARTING);
        Torrc torrc = settings.torrc();
        try {
            torrc.write(ProcessHandle.current().pid());
            torrc.verify(30_000);
            launch();
            awaitBootstrap();
        } catch (IOException | RuntimeException e) {
            stopProcess();
            setState(State.FAILED);
            throw e;
        }
        setState(State.READY);
        watchdog = new Thread(this::watch, "tor-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private void launch() throws IOException {
        Torrc t = settings.torrc();
        Files.deleteIfExists(t.controlSocket());
        Files.deleteIfExists(t.socksSocket());
        Path log = t.runDir().resolve("tor.log");
        Process p = new ProcessBuilder(t.torBinary().toString(), "-f", t.file().toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        process = p;
        LOG.log(System.Logger.Level.INFO, "started tor pid {0}", p.pid());
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.exists(t.controlSocket())) {
            if (!p.isAlive()) {
                throw new IOException("tor exited with status " + p.exitValue() + " during start-up:\n" + tail(log));
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("tor did not open its ControlSocket within 30 s:\n" + tail(log));
            }
            sleep(50);
        }
        control = subscriptions.open(UnixDomainSocketAddress.of(t.controlSocket()), null, true);
    }

    private void awaitBootstrap() throws IOException {
        long deadline = System.currentTimeMillis() + settings.bootstrapMillis();
        int last = -1;
        while (true) {
            if (!process.isAlive()) {
                Path log = settings.torrc().runDir().resolve("tor.log");
                throw new IOException("tor exited during bootstrap:\n" + tail(log));
            }
            BootstrapStatus b = BootstrapStatus.parse(control.getInfo("status/bootstrap-phase"));
            if (b.progress() != last) {
                LOG.log(System.Logger.Level.INFO, "tor bootstrap {0}% {1}", b.progress(), b.summary());
                last = b.progress();
            }
            if (b.done()) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("tor did not bootstrap within " + settings.bootstrapMillis() + " ms: " + b);
            }
            sleep(200);
        }
    }

    /** Watchdog: waits for tor to exit and restarts it with exponential back-off until closed. */
    private void watch() {
        long backoff = settings.minBackoffMillis();
        while (!closing) {
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                continue; // close() interrupts us; the loop condition decides
            }
            if (closing) {
                break;
            }
            LOG.log(System.Logger.Level.WARNING, "tor exited with status {0}; restarting in {1} ms",
                    process.exitValue(), backoff);
            setState(State.RESTARTING);
            closeControl();
            if (!sleep(backoff)) {
                continue;
            }
            try {
                launch();
                awaitBootstrap();
                restarts++;
                backoff = settings.minBackoffMillis();
                setState(State.READY);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "tor restart failed: {0}", e.getMessage());
                stopProcess();
                backoff = Math.min(backoff * 2, settings.maxBackoffMillis());
            }
        }
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void setState(State s) {
        state = s;
        for (Consumer<State> l : stateListeners) {
            try {
                l.accept(s);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "tor state listener failed", e);
            }
        }
    }

    public State state() {
        return state;
    }

    /** How many times the watchdog restarted tor successfully. */
    public int restarts() {
        return restarts;
    }

    /** The running tor's pid, or -1. */
    public long pid() {
        Process p = process;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    @Override
    public SocketAddress socksAddress() {
        return UnixDomainSocketAddress.of(settings.torrc().socksSocket());
    }

    @Override
    public ControlClient control() throws IOException {
        ControlClient c = control;
        if (c == null || !c.isOpen()) {
            throw new IOException("tor control connection is down (state " + state + ")");
        }
        return c;
    }

    @Override
    public boolean isReady() {
        Process p = process;
        return state == State.READY && p != null && p.isAlive();
    }

    @Override
    public void addControlListener(ControlEventListener l) {
        subscriptions.addListener(l, control);
    }

    @Override
    public void setEvents(String... names) throws IOException {
        subscriptions.setEvents(names, control());
    }

    private void closeControl() {
        ControlClient c = control;
        control = null;
        if (c != null) {
            c.close();
        }
    }

    private void stopProcess() {
        closeControl(); // TAKEOWNERSHIP: tor shuts down when this connection closes
        Process p = process;
        if (p == null) {
            return;
        }
        try {
            if (!p.waitFor(3, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroy();
                if (!p.waitFor(3, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(3, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing = true;
        Thread w;
        synchronized (this) {
            w = watchdog;
        }
        if (w != null) {
            w.interrupt();
            try {
                w.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopProcess();
        setState(State.STOPPED);
    }
}
