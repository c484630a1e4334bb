package io.torgate.gateway.relay;

import java.net.SocketAddress;

/**
 * What every shard's {@link RelayHandler} needs to know. Immutable.
 *
 * @param socksEndpoint Tor's SocksPort (literal address or Unix socket)
 * @param connectTimeoutNanos a held SYN waits at most this long for the SOCKS reply
 * @param mtu the TUN's MTU (our MSS is mtu - 40)
 * @param tcpBufferBytes each TCP connection's send and receive buffer, in bytes
 * @param relayBufferBytes each relay direction's buffer between the connection and the SOCKS socket
 */
public record RelaySettings(SocketAddress socksEndpoint, long connectTimeoutNanos, int mtu, int tcpBufferBytes,
                            int relayBufferBytes) {
    /** Bytes one flow holds: two TCP buffers and two relay buffers (what the buffer budget charges). */
    public int bytesPerFlow() {
        return 2 * tcpBufferBytes + 2 * relayBufferBytes;
    }
}
