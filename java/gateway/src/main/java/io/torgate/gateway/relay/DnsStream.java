package io.torgate.gateway.relay;

import java.nio.ByteBuffer;

/**
 * DNS over one TCP connection to port 53, as the DNS service provides it (two-byte length framing, RFC 1035
 * 4.2.2 / RFC 7766). The relay attaches one to a connection in place of a SOCKS relay; see {@link DnsStreamPump}.
 * All methods but the service's own answer delivery are called on the worker thread.
 */
public interface DnsStream {
    /** Client bytes {@link #onReceive} takes now (0 while a query waits for room: the window then closes). */
    int receiveRoom();

    /** @return bytes consumed, or -1 for a frame that cannot be a query (reset the connection) */
    int onReceive(ByteBuffer src, int offset, int length);

    /** True when framed answers wait to be read. */
    boolean hasOutput();

    /** Queries not answered yet. */
    int inFlight();

    /** Moves framed answers to {@code dst[offset, offset + maxLength)}; returns bytes moved. */
    int read(ByteBuffer dst, int offset, int maxLength);

    /** The connection is gone. */
    void close();
}
