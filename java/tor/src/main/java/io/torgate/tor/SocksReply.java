package io.torgate.tor;

/**
 * The REP field of a SOCKS5 reply (RFC 1928 §6) plus Tor's extended error codes 0xF0–0xF7 (tor's
 * socks-extensions spec, "Extended error codes", proposal 304; only sent on a {@code SocksPort} with
 * {@code ExtendedErrors}). Every code maps to one documented action toward the client, for a TCP flow
 * ({@link #tcpAction()}) and for a DNS query answered through RESOLVE/RESOLVE_PTR ({@link #dnsAction()}).
 *
 * <table>
 *   <caption>reply code → action</caption>
 *   <tr><th>code</th><th>meaning (when tor sends it)</th><th>TCP flow</th><th>DNS query</th></tr>
 *   <tr><td>0x00</td><td>succeeded</td><td>PROCEED</td><td>PROCEED</td></tr>
 *   <tr><td>0x01</td><td>general failure (END_STREAM_REASON misc, internal, destroy)</td>
 *       <td>RST</td><td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0x02</td><td>not allowed by ruleset (exit policy rejects; tor sends it for EXITPOLICY)</td>
 *       <td>ICMP_PROHIBITED</td><td>DNS_REFUSED</td></tr>
 *   <tr><td>0x03</td><td>network unreachable (NOROUTE)</td><td>ICMP_UNREACHABLE_NET</td><td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0x04</td><td>host unreachable (RESOLVEFAILED, or name not found for RESOLVE)</td>
 *       <td>ICMP_UNREACHABLE_HOST</td><td>DNS_NXDOMAIN</td></tr>
 *   <tr><td>0x05</td><td>connection refused (the exit got a RST)</td><td>RST</td><td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0x06</td><td>TTL expired (tor: timeout)</td><td>ICMP_UNREACHABLE_HOST</td><td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0x07</td><td>command not supported</td><td>RST</td><td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0x08</td><td>address type not supported</td><td>RST</td><td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0xF0</td><td>onion service descriptor can not be found</td>
 *       <td>ICMP_UNREACHABLE_HOST</td><td>DNS_NXDOMAIN</td></tr>
 *   <tr><td>0xF1</td><td>onion service descriptor is invalid</td><td>ICMP_UNREACHABLE_HOST</td>
 *       <td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0xF2</td><td>onion service introduction failed</td><td>ICMP_UNREACHABLE_HOST</td>
 *       <td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0xF3</td><td>onion service rendezvous failed</td><td>ICMP_UNREACHABLE_HOST</td>
 *       <td>DNS_SERVFAIL</td></tr>
 *   <tr><td>0xF4</td><td>onion service missing client authorization</td><td>ICMP_PROHIBITED</td>
 *       <td>DNS_REFUSED</td></tr>
 *   <tr><td>0xF5</td><td>onion service wrong client authorization</td><td>ICMP_PROHIBITED</td>
 *       <td>DNS_REFUSED</td></tr>
 *   <tr><td>0xF6</td><td>onion service invalid address</td><td>ICMP_UNREACHABLE_NET</td>
 *       <td>DNS_NXDOMAIN</td></tr>
 *   <tr><td>0xF7</td><td>onion service introduction timed out</td><td>ICMP_UNREACHABLE_HOST</td>
 *       <td>DNS_SERVFAIL</td></tr>
 *   <tr><td>other</td><td>unknown (tolerated: a newer tor may add codes)</td><td>RST</td><td>DNS_SERVFAIL</td></tr>
 * </table>
 *
 * <p>Why these choices: a refused connection looks the same as from a real host (RST); conditions that a router
 * would report (no route, no such host, policy) become the matching ICMP unreachable code so the client fails fast
 * instead of retransmitting SYNs; transient failures in DNS become SERVFAIL so resolvers retry, and only "this name
 * does not exist" answers become NXDOMAIN, which resolvers cache.
 *
 * <p>Immutable; thread-safe. {@link #of(int)} does not allocate.
 */
public enum SocksReply {
    SUCCEEDED(0x00, ClientAction.PROCEED, ClientAction.PROCEED),
    GENERAL_FAILURE(0x01, ClientAction.RST, ClientAction.DNS_SERVFAIL),
    NOT_ALLOWED(0x02, ClientAction.ICMP_PROHIBITED, ClientAction.DNS_REFUSED),
    NETWORK_UNREACHABLE(0x03, ClientAction.ICMP_UNREACHABLE_NET, ClientAction.DNS_SERVFAIL),
    HOST_UNREACHABLE(0x04, ClientAction.ICMP_UNREACHABLE_HOST, ClientAction.DNS_NXDOMAIN),
    CONNECTION_REFUSED(0x05, ClientAction.RST, ClientAction.DNS_SERVFAIL),
    TTL_EXPIRED(0x06, ClientAction.ICMP_UNREACHABLE_HOST, ClientAction.DNS_SERVFAIL),
    COMMAND_NOT_SUPPORTED(0x07, ClientAction.RST, ClientAction.DNS_SERVFAIL),
    ADDRESS_TYPE_NOT_SUPPORTED(0x08, ClientAction.RST, ClientAction.DNS_SERVFAIL),
    ONION_DESCRIPTOR_NOT_FOUND(0xF0, ClientAction.ICMP_UNREACHABLE_HOST, ClientAction.DNS_NXDOMAIN),
    ONION_DESCRIPTOR_INVALID(0xF1, ClientAction.ICMP_UNREACHABLE_HOST, ClientAction.DNS_SERVFAIL),
    ONION_INTRODUCTION_FAILED(0xF2, ClientAction.ICMP_UNREACHABLE_HOST, ClientAction.DNS_SERVFAIL),
    ONION_RENDEZVOUS_FAILED(0xF3, ClientAction.ICMP_UNREACHABLE_HOST, ClientAction.DNS_SERVFAIL),
    ONION_MISSING_CLIENT_AUTH(0xF4, ClientAction.ICMP_PROHIBITED, ClientAction.DNS_REFUSED),
    ONION_WRONG_CLIENT_AUTH(0xF5, ClientAction.ICMP_PROHIBITED, ClientAction.DNS_REFUSED),
    ONION_INVALID_ADDRESS(0xF6, ClientAction.ICMP_UNREACHABLE_NET, ClientAction.DNS_NXDOMAIN),
    ONION_INTRODUCTION_TIMED_OUT(0xF7, ClientAction.ICMP_UNREACHABLE_HOST, ClientAction.DNS_SERVFAIL),
    /** Any code not listed above; {@link #code()} is -1, the raw byte is kept by the parser. */
    UNKNOWN(-1, ClientAction.RST, ClientAction.DNS_SERVFAIL);

    private static final SocksReply[] BY_CODE = new SocksReply[256];

    static {
        java.util.Arrays.fill(BY_CODE, UNKNOWN);
        for (SocksReply r : values()) {
            if (r.code >= 0) {
                BY_CODE[r.code] = r;
            }
        }
    }

    private final int code;
    private final ClientAction tcpAction;
    private final ClientAction dnsAction;

    SocksReply(int code, ClientAction tcpAction, ClientAction dnsAction) {
        this.code = code;
        this.tcpAction = tcpAction;
        this.dnsAction = dnsAction;
    }

    /** The REP byte (0..255), or -1 for {@link #UNKNOWN}. */
    public int code() {
        return code;
    }

    /** What to do toward a client whose TCP flow got this reply to CONNECT. */
    public ClientAction tcpAction() {
        return tcpAction;
    }

    /** What to answer a client whose DNS query got this reply to RESOLVE or RESOLVE_PTR. */
    public ClientAction dnsAction() {
        return dnsAction;
    }

    /** True for Tor's extended (onion service) error codes 0xF0–0xF7. */
    public boolean isExtended() {
        return code >= 0xF0;
    }

    /** The reply for a REP byte; unknown codes (and values outside 0..255) give {@link #UNKNOWN}. */
    public static SocksReply of(int code) {
        return code >= 0 && code < 256 ? BY_CODE[code] : UNKNOWN;
    }
}
