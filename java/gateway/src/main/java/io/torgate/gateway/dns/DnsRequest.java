package io.torgate.gateway.dns;

import java.nio.ByteBuffer;

/**
 * One pre-allocated request slot: a copy of the query, where its answer goes, and room to build that answer
 * with {@link #HEADROOM} bytes in front for the IPv4 and UDP headers (or the TCP length prefix), so the reply
 * packet is built in place without another copy.
 *
 * <p>Ownership passes by hand-over: a worker takes a free slot, fills it and queues it; from then on only the
 * DNS agent touches it until it returns the slot to the free pool. The queues' locks order those accesses.
 */
final class DnsRequest {
    /** Largest query accepted: a 1500-byte MTU less the IPv4 and UDP headers is the most one datagram holds. */
    static final int MAX_QUERY = 1472;
    /** IPv4 (20) and UDP (8) headers in front of the DNS response. */
    static final int HEADROOM = 28;
    /** Largest response we build: a question, one A or PTR record, an SOA and an OPT fit in well under this. */
    static final int MAX_RESPONSE = 2048;

    final ByteBuffer query = ByteBuffer.allocate(MAX_QUERY);
    final ByteBuffer response = ByteBuffer.allocate(HEADROOM + MAX_RESPONSE);
    int queryLength;
    /** Length of the DNS response at {@link #HEADROOM}; 0 when nothing is to be sent. */
    int responseLength;
    int client;
    int clientPort;
    int server;
    int serverPort;
    /** The TCP connection to answer on, or null for UDP. */
    DnsTcpSession session;
    long receivedNanos;
    /** The client's {@link ClientLimits} entry, set when admitted. */
    int limitEntry;
    /** True while it is counted in its client's outstanding queries. */
    boolean outstanding;
    /** Between a worker claiming the slot and the agent freeing it. */
    boolean busy;
    /** Next request waiting for the same lookup. */
    DnsRequest nextWaiter;

    boolean isTcp() {
        return session != null;
    }
}
