package io.torgate.tor;

/**
 * A named IPv4 client address or CIDR block, e.g. {@code work 10.137.0.16/28}.
 *
 * <p>Immutable; thread-safe.
 *
 * @param name         a label for logs and the control socket
 * @param network      network address, big-endian int (host bits are cleared)
 * @param prefixLength 0..32
 */
public record ClientMatch(String name, int network, int prefixLength) {
    public ClientMatch {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be 0..32");
        }
        network &= mask(prefixLength);
    }

    /** Parses {@code "a.b.c.d"} or {@code "a.b.c.d/len"} without any DNS lookup. */
    public static ClientMatch parse(String name, String cidr) {
        int slash = cidr.indexOf('/');
        int addr = parseIpv4(slash < 0 ? cidr : cidr.substring(0, slash));
        int len = slash < 0 ? 32 : Integer.parseInt(cidr.substring(slash + 1).trim());
        return new ClientMatch(name, addr, len);
    }

    /** Dotted-quad IPv4 to a big-endian int; never resolves names. */
    public static int parseIpv4(String s) {
        String[] parts = s.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + s);
        }
        int a = 0;
        for (String p : parts) {
            int v = Integer.parseInt(p);
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + s);
            }
            a = a << 8 | v;
        }
        return a;
    }

    private static int mask(int len) {
        return len == 0 ? 0 : -1 << (32 - len);
    }

    public boolean matches(int address) {
        return (address & mask(prefixLength)) == network;
    }
}
