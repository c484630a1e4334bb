package io.torgate.gateway.relay;

/**
 * One stream as a shard saw it when a snapshot was taken (immutable; built on the shard's thread).
 *
 * @param id stable id for the stream's whole life: {@code serial * 64 + shard} (unique per gateway run)
 * @param client the client's address
 * @param clientPort the client's port
 * @param destination the destination address the client connected to (a virtual one in mapped DNS mode)
 * @param destinationPort the destination port
 * @param hostname the name behind a DNS-mapped destination, or null
 * @param state what the flow does: connecting, relaying, dns, socks-request, socks-upstream, socks-closing
 * @param profile the isolation profile, or null (DNS over TCP is answered locally)
 * @param isolationKey the SOCKS password sent to tor (the isolation key, 48 hex digits), or null
 * @param socksLocal our SOCKS socket's local address as tor sees it in STREAM SOURCE_ADDR ({@code a.b.c.d:port}),
 *                   or null (a Unix socket or no SOCKS connection)
 * @param ageMillis time since the client's SYN
 * @param bytesUp client → Tor bytes written to the SOCKS socket
 * @param bytesDown Tor → client bytes read from the SOCKS socket
 * @param openedNanos {@link System#nanoTime()} of the turn that took the client's SYN (before our CONNECT is sent:
 *                    {@code ctl streams} orders siblings by it against tor's events)
 */
public record StreamInfo(long id, int client, int clientPort, int destination, int destinationPort, String hostname,
                         String state, String profile, String isolationKey, String socksLocal, long ageMillis,
                         long bytesUp, long bytesDown, long openedNanos) {

    /** Number of shards an id can name: ids are {@code serial * MAX_SHARDS + shard}. */
    public static final int MAX_SHARDS = 64;

    /** The shard that owns the stream with this id. */
    public static int shardOf(long id) {
        return (int) (id % MAX_SHARDS);
    }

    /** The short id of the isolation key (its first 12 hex digits after the 16-digit client tag), or null. */
    public String isolationKeyId() {
        return isolationKey == null ? null : isolationKey.substring(16, 28);
    }
}
