package io.torgate.stack.interop;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.torgate.stack.TcpConfig;
import io.torgate.tun.TunConfig;
import io.torgate.tun.TunDevice;
import io.torgate.tun.testing.NetNs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.function.Executable;

/**
 * A fresh network namespace holding a TUN device {@code tgs0} (10.77.0.1/24, MTU 1500) and the
 * {@link InteropServer} thread behind it at 10.77.0.2: kernel sockets opened in the namespace connect to
 * 10.77.0.2, the /24 route sends their packets into the TUN, and the server answers from there.
 *
 * <p>Ownership and thread-safety: created and closed by one test; {@link #connect} may be called from any thread.
 * {@link #close} stops the server, closes the TUN and deletes the namespace (killing anything left in it).
 */
final class InteropLab implements AutoCloseable {
    static final String SERVER = "10.77.0.2";
    private static final String TUN_ADDRESS = "10.77.0.1";

    final NetNs ns;
    final TunDevice tun;
    final InteropServer server;
    private final Impairment outbound;
    private final Thread thread;

    private InteropLab(NetNs ns, TunDevice tun, InteropServer server, Impairment outbound) {
        this.ns = ns;
        this.outbound = outbound;
        this.tun = tun;
        this.server = server;
        this.thread = new Thread(server, "interop-server");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * @param in impairment on the way from the kernel to the stack, or null
     * @param out impairment on the way from the stack to the kernel, or null
     */
    static InteropLab start(TcpConfig cfg, int maxFlows, Impairment in, Impairment out) throws Exception {
        NetNs ns = NetNs.create("tgstk");
        TunDevice tun = null;
        try {
            TunConfig tc = TunConfig.builder("tgs0").mtu(1500).ipv4(TUN_ADDRESS, 24).build();
            tun = ns.call(() -> TunDevice.open(tc));
            // The kernel queues packets for the TUN reader in a ring of txqueuelen (default 500) and drops beyond
            // it; 200 connections starting at once overflow that and every flow then recovers by RTO, which on a
            // loaded 2-core machine stretches the concurrency test past its bound. A gateway sizes it the same way.
            ns.sh("ip link set tgs0 txqueuelen 10000");
            return new InteropLab(ns, tun, new InteropServer(tun, cfg, maxFlows, in, out), out);
        } catch (Exception | Error e) {
            if (tun != null) {
                tun.close();
            }
            ns.close();
            throw e;
        }
    }

    /** A blocking kernel TCP socket in the namespace, connected to the server's {@code port}. */
    SocketChannel connect(int port) throws Exception {
        InetSocketAddress addr = serverAddress(port);
        return ns.call(() -> SocketChannel.open(addr));
    }

    /** The server's {@code SERVER:port}, built without any name lookup. */
    static InetSocketAddress serverAddress(int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(SERVER, new byte[] {10, 77, 0, 2}), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4-byte address is always valid", e);
        }
    }

    /**
     * Runs a test body against this lab, failing it after {@code limit} (the body's thread is interrupted, which
     * closes its blocking sockets) and when the server loop died.
     */
    void within(Duration limit, Executable body) {
        assertTimeoutPreemptively(limit, () -> {
            body.execute();
            checkServer();
        }, () -> server.describe() + (outbound == null ? "" : " outbound[" + outbound + "]")
            + (server.failure == null ? "" : " SERVER LOOP DIED: " + stackTrace(server.failure)));
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    /** Waits up to {@code millis} for {@code condition} (server statistics are published once per loop). */
    static boolean await(BooleanSupplier condition, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** Throws what ended the server loop, if anything did. */
    void checkServer() {
        Throwable t = server.failure;
        if (t != null) {
            throw new AssertionError("interop server failed: " + server.describe(), t);
        }
    }

    @Override
    public void close() {
        server.stop();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            tun.close();
            ns.close();
        }
    }
}
