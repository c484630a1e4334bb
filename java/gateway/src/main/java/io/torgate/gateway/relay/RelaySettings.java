package io.torgate.gateway.relay;

import java.net.SocketAddress;
import java.util.function.BooleanSupplier;

/**
 * What every shard's {@link RelayHandler} needs to know. Immutable.
 *
 * @param socksEndpoint Tor's SocksPort (literal address or Unix socket)
 * @param connectTimeoutNanos a held SYN waits at most this long for the SOCKS reply
 * @param mtu the TUN's MTU (our MSS is mtu - 40)
 * @param tcpBufferBytes each TCP connection's send and receive buffer, in bytes
 * @param relayBufferBytes each relay direction's buffer between the connection and the SOCKS socket
 * @param torReady whether tor can take streams now (bootstrapped and running); a new flow while it is false gets a
 *                 RST at once instead of a doomed SOCKS attempt. Called once per new flow from worker threads, so
 *                 it must be cheap and thread-safe (e.g. {@code ManagedTor::isReady}).
 * @param icmpRefusals answer a refused CONNECT with the ICMP unreachable its reply code maps to
 *                     ({@code SocksReply.tcpAction()}) instead of always a RST
 * @param preconnect sockets each worker keeps connected to {@code socksEndpoint} ahead of demand, 0 = off
 *                   ({@link SocksSocketPool})
 */
public record RelaySettings(SocketAddress socksEndpoint, long connectTimeoutNanos, int mtu, int tcpBufferBytes,
                            int relayBufferBytes, BooleanSupplier torReady, boolean icmpRefusals, int preconnect) {
    /** Without pre-connected SOCKS sockets. */
    public RelaySettings(SocketAddress socksEndpoint, long connectTimeoutNanos, int mtu, int tcpBufferBytes,
                         int relayBufferBytes, BooleanSupplier torReady, boolean icmpRefusals) {
        this(socksEndpoint, connectTimeoutNanos, mtu, tcpBufferBytes, relayBufferBytes, torReady, icmpRefusals, 0);
    }

    /** With a tor that is taken to be always ready (external tor: a dead one shows up as a SOCKS failure). */
    public RelaySettings(SocketAddress socksEndpoint, long connectTimeoutNanos, int mtu, int tcpBufferBytes,
                         int relayBufferBytes) {
        this(socksEndpoint, connectTimeoutNanos, mtu, tcpBufferBytes, relayBufferBytes, () -> true, true);
    }

    /** Bytes one flow holds: two TCP buffers and two relay buffers (what the buffer budget charges). */
    public int bytesPerFlow() {
        return 2 * tcpBufferBytes + 2 * relayBufferBytes;
    }
}
