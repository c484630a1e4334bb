package io.torgate.gateway.relay;

import java.nio.ByteBuffer;

/**
 * Where a worker hands a UDP DNS query (the DNS service's {@code submitUdp}); the answer goes back to the TUN
 * without the worker. Implementations copy the payload before returning and are thread-safe.
 */
@FunctionalInterface
public interface DnsQueries {
    /** No DNS service: queries are never handed over (the classifier counts them as {@code dns_unserved}). */
    DnsQueries NONE = (client, clientPort, server, serverPort, buf, offset, length) -> false;

    /**
     * @return false when the query was dropped (and counted by the service)
     */
    boolean submitUdp(int client, int clientPort, int server, int serverPort, ByteBuffer buf, int offset,
                      int length);
}
