package io.torgate.tor;

/**
 * What the gateway should do toward the client VM once the SOCKS exchange for its flow has ended.
 *
 * <p>TCP flows use {@link #PROCEED}, {@link #RST} and the {@code ICMP_*} actions (RFC 792 destination-unreachable
 * codes: net = 0, host = 1, communication administratively prohibited = 13 per RFC 1812 §5.2.7.1); DNS queries
 * answered through a RESOLVE use the {@code DNS_*} actions (RFC 1035 §4.1.1 RCODEs). The gateway may always fall
 * back to {@link #RST}: it is the only answer that never leaks anything and is always correct for TCP.
 *
 * <p>Immutable; thread-safe.
 */
public enum ClientAction {
    /** Success: complete the TCP handshake (SYN-ACK) and relay, or answer the DNS query. */
    PROCEED,
    /** Refuse the flow with a TCP reset, as a host with no listener would (RFC 9293 §3.10.7.1). */
    RST,
    /** ICMP destination unreachable, code 1 (host unreachable). */
    ICMP_UNREACHABLE_HOST,
    /** ICMP destination unreachable, code 0 (net unreachable). */
    ICMP_UNREACHABLE_NET,
    /** ICMP destination unreachable, code 13 (communication administratively prohibited). */
    ICMP_PROHIBITED,
    /** DNS answer with RCODE 3 (name error): the name does not exist. */
    DNS_NXDOMAIN,
    /** DNS answer with RCODE 2 (server failure): try again later. */
    DNS_SERVFAIL,
    /** DNS answer with RCODE 5 (refused): policy forbids the lookup. */
    DNS_REFUSED
}
