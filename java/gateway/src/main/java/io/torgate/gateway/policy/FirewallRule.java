package io.torgate.gateway.policy;

import io.torgate.gateway.config.Cidr;
import io.torgate.tor.PortSet;
import java.util.Locale;

/**
 * One ordered firewall rule with Qubes semantics ({@code qvm-firewall}): an action and what it matches. Every field
 * left out matches anything; a rule matches when all its fields do.
 *
 * <ul>
 *   <li>{@code dns}: the special target: DNS (TCP/UDP 53) to one of the gateway's own addresses. Such a rule has
 *       no other field.</li>
 *   <li>{@code network}: the destination IPv4 address is in this prefix. A destination known only by name (a
 *       mapped virtual address, a SOCKS CONNECT by name) has no address and never matches a prefix.</li>
 *   <li>{@code host}: the name the client asked for (lowercase, no trailing dot): {@code example.com} matches that
 *       name only, {@code *.example.com} every name under it. Known for mapped virtual addresses and {@code .onion}
 *       (the DNS service's names) and SOCKS CONNECTs by name; a resolve-mode stream to an address has no name.</li>
 *   <li>{@code ports}: destination ports; {@code protocol}: {@link #TCP}, {@link #UDP} or {@link #ANY}.</li>
 * </ul>
 *
 * <p>Immutable; thread-safe; {@link #matches} is allocation-free.
 *
 * @param accept true for {@code accept}, false for {@code drop}
 * @param dns the {@code dns} special target
 * @param network destination prefix, or null
 * @param host destination name pattern, or null
 * @param ports destination ports, or null
 * @param protocol IP protocol number, or {@link #ANY}
 */
public record FirewallRule(boolean accept, boolean dns, Cidr network, String host, PortSet ports, int protocol) {
    public static final int ANY = 0;
    public static final int TCP = 6;
    public static final int UDP = 17;

    public FirewallRule {
        if (dns && (network != null || host != null || ports != null || protocol != ANY)) {
            throw new IllegalArgumentException("the dns special target takes no host, ports or protocol");
        }
        if (network != null && host != null) {
            throw new IllegalArgumentException("a rule has a network or a host name, not both");
        }
        if (host != null) {
            host = normalize(host);
        }
    }

    /** A rule that matches every destination. */
    public static FirewallRule any(boolean accept) {
        return new FirewallRule(accept, false, null, null, null, ANY);
    }

    /**
     * @param proto {@link #TCP} or {@link #UDP}
     * @param address destination address (ignored when {@code addressKnown} is false)
     * @param addressKnown false when the destination is known by name only
     * @param name the name the client asked for, or null
     * @param port destination port
     * @param toGatewayDns a DNS query to one of the gateway's addresses
     */
    public boolean matches(int proto, int address, boolean addressKnown, CharSequence name, int port,
                           boolean toGatewayDns) {
        if (dns) {
            return toGatewayDns;
        }
        if (protocol != ANY && protocol != proto) {
            return false;
        }
        if (ports != null && !ports.contains(port)) {
            return false;
        }
        if (network != null) {
            return addressKnown && network.contains(address);
        }
        return host == null || name != null && hostMatches(name);
    }

    private boolean hostMatches(CharSequence name) {
        int n = name.length();
        if (n > 0 && name.charAt(n - 1) == '.') {
            n--;
        }
        if (host.startsWith("*.")) {
            int suffix = host.length() - 1; // ".example.com"
            return n > suffix && regionEquals(name, n - suffix, host, 1, suffix);
        }
        return n == host.length() && regionEquals(name, 0, host, 0, n);
    }

    /** ASCII case-insensitive comparison (DNS names, RFC 4343), allocation-free. */
    private static boolean regionEquals(CharSequence a, int aFrom, String b, int bFrom, int length) {
        for (int i = 0; i < length; i++) {
            char c = a.charAt(aFrom + i);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + 32);
            }
            if (c != b.charAt(bFrom + i)) {
                return false;
            }
        }
        return true;
    }

    private static String normalize(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        String bare = h.startsWith("*.") ? h.substring(2) : h;
        if (bare.isEmpty() || bare.length() > 253 || !bare.matches("[a-z0-9_-]+(\\.[a-z0-9_-]+)*")) {
            throw new IllegalArgumentException("'" + host + "' is not a host name (example.com or *.example.com)");
        }
        return h;
    }

    @Override
    public String toString() {
        if (dns) {
            return (accept ? "accept" : "drop") + " dns";
        }
        return (accept ? "accept" : "drop")
            + (network != null ? " " + network : host != null ? " " + host : "")
            + (protocol == TCP ? " tcp" : protocol == UDP ? " udp" : "")
            + (ports != null ? " ports " + ports : "");
    }
}
