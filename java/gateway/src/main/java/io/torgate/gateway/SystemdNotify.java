package io.torgate.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

/**
 * The sd_notify protocol (systemd.service Type=notify, sd_notify(3)): newline-separated KEY=VALUE datagrams to
 * the AF_UNIX socket named by {@code $NOTIFY_SOCKET} ({@code @name} = abstract namespace). The JDK has no
 * AF_UNIX datagram sockets, hence jnr-unixsocket. Without {@code $NOTIFY_SOCKET} (not under systemd) every
 * method does nothing. Owns its channel and its watchdog thread; {@link #close()} ends both.
 * Thread-safety: all methods may be called from any thread (sends are serialized on this object).
 */
public final class SystemdNotify implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SystemdNotify.class.getName());

    private final UnixDatagramChannel channel;
    private final UnixSocketAddress target;
    private final long watchdogMicros;
    private volatile Thread watchdog;

    private SystemdNotify(UnixDatagramChannel channel, UnixSocketAddress target, long watchdogMicros) {
        this.channel = channel;
        this.target = target;
        this.watchdogMicros = watchdogMicros;
    }

    /** From the process environment; a disabled instance when NOTIFY_SOCKET is unset or unusable. */
    public static SystemdNotify fromEnvironment() {
        return to(System.getenv("NOTIFY_SOCKET"), watchdogMicros());
    }

    /** For a given socket (a path, or {@code @name} in the abstract namespace) and WatchdogSec in µs (0: none). */
    static SystemdNotify to(String socket, long watchdogMicros) {
        if (socket == null || socket.isEmpty()) {
            return new SystemdNotify(null, null, 0);
        }
        String path = socket.charAt(0) == '@' ? '\0' + socket.substring(1) : socket;
        try {
            return new SystemdNotify(UnixDatagramChannel.open(), new UnixSocketAddress(path), watchdogMicros);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET " + socket + " unusable: " + e);
            return new SystemdNotify(null, null, 0);
        }
    }

    /** WATCHDOG_USEC when it is meant for this process (WATCHDOG_PID absent or ours), else 0 (no watchdog). */
    private static long watchdogMicros() {
        String usec = System.getenv("WATCHDOG_USEC");
        String pid = System.getenv("WATCHDOG_PID");
        if (usec == null || (pid != null && !pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(usec.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public boolean enabled() {
        return channel != null;
    }

    /** READY=1: the service is up (tun0 open, workers running); systemd then runs ExecStartPost. */
    public void ready(String status) {
        send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid() + "\n");
    }

    /** STOPPING=1 at the start of an orderly shutdown. */
    public void stopping() {
        send("STOPPING=1\n");
    }

    /**
     * Starts a daemon thread sending WATCHDOG=1 every half WatchdogSec (the interval sd_watchdog_enabled(3)
     * recommends) while {@code healthy} says so; a hung or unhealthy gateway stops pinging and systemd kills it.
     * Does nothing when the unit has no WatchdogSec.
     */
    public void startWatchdog(BooleanSupplier healthy) {
        if (!enabled() || watchdogMicros == 0 || watchdog != null) {
            return;
        }
        long periodMillis = Math.max(1, watchdogMicros / 2000);
        watchdog = Thread.ofPlatform().daemon().name("torgate-watchdog").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    if (healthy.getAsBoolean()) {
                        send("WATCHDOG=1\n");
                    }
                    Thread.sleep(periodMillis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private synchronized void send(String message) {
        if (channel == null) {
            return;
        }
        try {
            channel.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), target);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "sd_notify failed: " + e);
        }
    }

    @Override
    public void close() {
        Thread t = watchdog;
        if (t != null) {
            t.interrupt();
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the notify socket: " + e);
            }
        }
    }
}
