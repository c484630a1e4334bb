package io.torgate.tor;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * Blocking convenience over {@link Socks5Client} for tests and tools (never the gateway's shard workers): drives
 * one exchange with a private {@link Selector} until it finishes or a deadline passes.
 *
 * <p>Stateless; thread-safe (each call uses its own selector; the client and channel belong to the caller).
 */
public final class Socks5Blocking {
    private Socks5Blocking() {
    }

    /**
     * Drives a started exchange to its end. Returns true if it finished, false on timeout (the exchange is then
     * still in progress and the caller should close the channel). On return the channel is still non-blocking and
     * no longer registered with any selector.
     */
    public static boolean drive(Socks5Client client, SocketChannel channel, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        try (Selector selector = Selector.open()) {
            SelectionKey sk = null;
            int interest;
            while ((interest = client.advance()) != 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return false;
                }
                if (sk == null) {
                    sk = channel.register(selector, interest);
                } else {
                    sk.interestOps(interest);
                }
                selector.select(left);
                selector.selectedKeys().clear();
            }
            if (sk != null) {
                sk.cancel();
                selector.selectNow(); // deregisters the cancelled key so the channel may become blocking again
            }
            return true;
        }
    }

    /**
     * Opens a channel to {@code proxy}, CONNECTs to {@code host:port} through it with {@code key} (may be null) and
     * returns the channel switched to blocking mode, ready for stream data.
     *
     * @throws Socks5Exception with the client's outcome if the exchange failed or timed out
     */
    public static SocketChannel connect(SocketAddress proxy, String host, int port, IsolationKey key,
                                        long timeoutMillis) throws IOException {
        SocketChannel ch = Socks5Client.open(proxy);
        Socks5Client client = new Socks5Client();
        client.startConnect(ch, host, port, key);
        boolean ok = false;
        try {
            if (!drive(client, ch, timeoutMillis)) {
                throw new Socks5Exception(client, "SOCKS exchange timed out after " + timeoutMillis + " ms");
            }
            if (client.status() != Socks5Client.Status.SUCCEEDED) {
                throw new Socks5Exception(client, "SOCKS CONNECT to " + host + ":" + port + " failed");
            }
            ch.configureBlocking(true);
            ok = true;
            return ch;
        } finally {
            if (!ok) {
                ch.close();
            }
        }
    }
}
