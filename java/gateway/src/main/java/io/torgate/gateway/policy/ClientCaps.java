package io.torgate.gateway.policy;

/**
 * Per-client limits (issue 9): one client's SYNs waiting for a SOCKS reply, its open streams, its new streams per
 * second and its DNS queries per second (token buckets of rate and depth). Immutable; thread-safe.
 *
 * @param synsInFlight SYNs of the client waiting for a SOCKS reply
 * @param streams open streams of the client (SYNs in flight included)
 * @param newStreamsPerSecond rate of new streams; 0 means unlimited
 * @param newStreamsBurst depth of that bucket
 * @param dnsQueriesPerSecond rate of DNS queries (UDP and TCP); must be positive
 * @param dnsBurst depth of that bucket
 */
public record ClientCaps(int synsInFlight, int streams, int newStreamsPerSecond, int newStreamsBurst,
                         int dnsQueriesPerSecond, int dnsBurst) {
    /** The {@code [limits]} defaults: 64 SYNs, 1024 streams, no stream rate, 50 DNS queries/s, burst 100. */
    public static final ClientCaps DEFAULTS = new ClientCaps(64, 1024, 0, 1, 50, 100);

    public ClientCaps {
        if (synsInFlight < 1 || streams < 1 || newStreamsPerSecond < 0 || newStreamsBurst < 1
            || dnsQueriesPerSecond < 1 || dnsBurst < 1) {
            throw new IllegalArgumentException("invalid client caps " + this);
        }
    }

    /** Only the SYN and stream caps changed (the old tests' constructor of {@code FlowLimits}). */
    public ClientCaps withFlows(int syns, int openStreams) {
        return new ClientCaps(syns, openStreams, newStreamsPerSecond, newStreamsBurst, dnsQueriesPerSecond, dnsBurst);
    }
}
