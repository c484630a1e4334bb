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

    /**
     * A session for DNS over TCP from {@code client} to {@code server}:53, or null when TCP DNS is not served
     * (the connection is then relayed like any other).
     *
     * @param outputReady run on the service's thread when answers are ready (must only mark and wake)
     */
    default DnsStream openTcp(int client, int server, Runnable outputReady) {
        return null;
    }
}
