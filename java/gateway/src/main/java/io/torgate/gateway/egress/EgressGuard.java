package io.torgate.gateway.egress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one way the gateway opens outbound connections: only to the configured SOCKS and control endpoints, and
 * only to literal addresses or Unix sockets. Anything else (a bug, a future feature wired wrongly) is refused
 * with an {@link IOException} and counted before a socket exists, so the JVM cannot become a path around Tor.
 *
 * <p>Immutable apart from the refusal counter; thread-safe.
 */
public final class EgressGuard {
    private final Set<SocketAddress> allowed;
    private final AtomicLong refused = new AtomicLong();

    /**
     * @param allowed the endpoints the gateway may connect to (resolved literal {@link InetSocketAddress}es or
     *                {@link UnixDomainSocketAddress}es)
     * @throws IllegalArgumentException for an unresolved address or another address type
     */
    public EgressGuard(List<SocketAddress> allowed) {
        for (SocketAddress a : allowed) {
            if (!(a instanceof UnixDomainSocketAddress)
                && !(a instanceof InetSocketAddress isa && !isa.isUnresolved())) {
                throw new IllegalArgumentException("egress endpoint must be a literal address or a Unix socket: " + a);
            }
        }
        this.allowed = Set.copyOf(allowed);
    }

    /**
     * Checks an endpoint.
     *
     * @throws IOException when the gateway must not connect there
     */
    public void check(SocketAddress target) throws IOException {
        if (!allowed.contains(target)) {
            refused.incrementAndGet();
            throw new IOException("egress to " + target + " refused: only the configured SOCKS/control endpoints");
        }
    }

    /**
     * Opens a non-blocking channel to an allowed endpoint and starts connecting it. A TCP channel gets
     * TCP_NODELAY: the relay writes whatever the client's segments delivered, and Nagle's algorithm would hold a
     * small write (a request, the tail of a burst) until the previous one is ACKed, adding a round trip to
     * request/response latency (issue 8). Batching is done by the relay's buffer, not by the kernel.
     */
    public SocketChannel open(SocketAddress target) throws IOException {
        check(target);
        boolean unix = target instanceof UnixDomainSocketAddress;
        SocketChannel ch = unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            if (!unix) {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            ch.configureBlocking(false);
            ch.connect(target);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Connections refused so far. */
    public long refused() {
        return refused.get();
    }
}
