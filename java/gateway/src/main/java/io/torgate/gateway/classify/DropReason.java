package io.torgate.gateway.classify;

/**
 * Why a packet or a flow was not served. Every drop and every refusal is counted under exactly one reason;
 * {@link #label()} is the stable lowercase name used for metrics and logs and must never change.
 *
 * <p>{@link #rejectable()} says whether a {@code reject} action (TCP RST, ICMP administratively prohibited for
 * UDP) is allowed for the class: a reply is only ever sent to a plausible, well-formed packet from a client's
 * own address, never to malformed, spoofed or ICMP/IPv6 traffic (RFC 1122 3.2.2 forbids ICMP errors about
 * ICMP errors, broadcasts and fragments other than the first; we are stricter and never answer them at all).
 */
public enum DropReason {
    /** Any IPv6 packet: IPv6 is off, like TorVM. */
    IPV6("ipv6", false),
    /** Any ICMP packet, whatever its type. */
    ICMP("icmp", false),
    /** UDP to a destination port other than 53. */
    UDP_PORT("udp_port", true),
    /** An IP protocol other than TCP, UDP and ICMP (GRE, SCTP, ESP...). */
    PROTOCOL("protocol", false),
    /** An IP fragment (MF set or non-zero offset): we never reassemble. */
    FRAGMENT("fragment", false),
    /** IPv4 options other than end-of-list/no-operation padding (source routes, record route...). */
    IP_OPTIONS("ip_options", false),
    /** The IPv4 header checksum does not verify (RFC 791). */
    BAD_IP_CHECKSUM("bad_ip_checksum", false),
    /** The TCP checksum does not verify (RFC 9293 3.1). */
    BAD_TCP_CHECKSUM("bad_tcp_checksum", false),
    /** The UDP checksum does not verify (RFC 768). */
    BAD_UDP_CHECKSUM("bad_udp_checksum", false),
    /** Truncated or inconsistent headers, bad lengths, a version nibble other than 4 or 6. */
    MALFORMED("malformed", false),
    /** The source address is outside the configured client ranges (anti-spoofing). */
    SPOOFED_SOURCE("spoofed_source", false),
    /** A broadcast, multicast or otherwise non-unicast destination (or source). */
    BROADCAST_MULTICAST("broadcast_multicast", false),
    /** To one of the gateway's own addresses on a port it does not serve. */
    TO_GATEWAY("to_gateway", true),
    /** A TCP segment other than a SYN for a flow we do not know (answered with RST per RFC 9293 3.10.7.1). */
    NO_FLOW("no_flow", false),
    /** DNS (UDP/TCP 53) while no DNS service is configured. */
    DNS_UNSERVED("dns_unserved", true),
    /** New flow refused: the client's SYNs waiting for a SOCKS reply hit the per-client cap. */
    SYN_LIMIT_CLIENT("syn_limit_client", false),
    /** New flow refused: SYNs waiting for a SOCKS reply hit the global cap. */
    SYN_LIMIT_GLOBAL("syn_limit_global", false),
    /** New flow refused: the client's concurrent streams hit the per-client cap. */
    STREAM_LIMIT_CLIENT("stream_limit_client", false),
    /** New flow refused: concurrent streams hit the global cap. */
    STREAM_LIMIT_GLOBAL("stream_limit_global", false),
    /** The SOCKS server answered CONNECT with a failure reply. */
    SOCKS_REFUSED("socks_refused", false),
    /** No SOCKS reply within the connect timeout. */
    SOCKS_TIMEOUT("socks_timeout", false),
    /** The SOCKS endpoint could not be reached or broke the protocol. */
    SOCKS_UNAVAILABLE("socks_unavailable", false),
    /** A client's request on a gateway SOCKS port (9050/9049) was malformed: answered with an error and closed. */
    SOCKS_BAD_REQUEST("socks_bad_request", false),
    /** New flow refused with RST: tor is not running or not bootstrapped (e.g. the managed tor is restarting). */
    TOR_NOT_READY("tor_not_ready", false),
    /** An established stream was reset because its SOCKS side failed or closed abruptly. */
    SOCKS_RESET("socks_reset", false),
    /** New flow refused: the destination is a virtual (DNS-mapped) address that has no name (any more). */
    UNMAPPED_VIRTUAL("unmapped_virtual", false),
    /** New flow refused: the flow table is full or the global buffer budget cannot hold another flow. */
    BUFFER_BUDGET("buffer_budget", false),
    /**
     * New flow or SOCKS-port CONNECT refused by the client's firewall (issue 9). Answered as {@code [drop] firewall}
     * says: silence, RST, or ICMP administratively prohibited.
     */
    FIREWALL("firewall", true),
    /**
     * A DNS query (UDP or TCP 53, or a RESOLVE on a gateway SOCKS port) refused by the client's firewall; answered as
     * {@code [drop] firewall} says (ICMP prohibited for UDP unless it says drop).
     */
    FIREWALL_DNS("firewall_dns", false),
    /** An established flow reset because a reloaded firewall now denies it (RST to the client, SOCKS closed). */
    FIREWALL_RESET("firewall_reset", false),
    /** New flow refused: the client's new-streams-per-second token bucket is empty. */
    STREAM_RATE_CLIENT("stream_rate_limit_client", false),
    /**
     * A DNS query dropped: the client's queries-per-second bucket is empty. Counted by the DNS service (its
     * {@code rate_limited} stat) and per client ({@code policy.ClientState}), not in the workers' counters.
     */
    DNS_RATE_CLIENT("dns_rate_limit_client", false),
    /** The stack could not take the flow (an internal inconsistency; logged). */
    INTERNAL("internal", false),
    /** An operator ended the stream ({@code torgate ctl kill}): RST to the client, SOCKS side closed. */
    KILLED("killed", false);

    private static final DropReason[] VALUES = values();

    /** Number of reasons: the size of a counter array indexed by {@link #ordinal()}. */
    public static final int COUNT = VALUES.length;

    private final String label;
    private final boolean rejectable;

    DropReason(String label, boolean rejectable) {
        this.label = label;
        this.rejectable = rejectable;
    }

    /** Stable lowercase name, e.g. {@code "udp_port"}. */
    public String label() {
        return label;
    }

    /** True when the policy may answer this class with a RST / ICMP instead of silence. */
    public boolean rejectable() {
        return rejectable;
    }

    /** The reason at an ordinal, without allocating (unlike {@code values()}). */
    public static DropReason of(int ordinal) {
        return VALUES[ordinal];
    }

    /**
     * Looks a reason up by its label.
     *
     * @return the reason, or null when no reason has that label
     */
    public static DropReason byLabel(String label) {
        for (DropReason r : VALUES) {
            if (r.label.equals(label)) {
                return r;
            }
        }
        return null;
    }
}
