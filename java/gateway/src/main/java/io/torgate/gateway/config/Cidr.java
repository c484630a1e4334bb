package io.torgate.gateway.config;

/**
 * An IPv4 prefix, e.g. {@code 10.137.0.0/16}, with addresses as big-endian ints (as on the wire).
 * Parsing never touches the resolver: only dotted-quad literals are accepted.
 *
 * @param network the network address with host bits cleared
 * @param prefixLength 0..32
 */
public record Cidr(int network, int prefixLength) {
    public Cidr {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not in 0..32");
        }
        network &= mask(prefixLength);
    }

    /** True when {@code address} lies in this prefix. Allocation-free; any thread. */
    public boolean contains(int address) {
        return (address & mask(prefixLength)) == network;
    }

    /** True when the two prefixes share at least one address. */
    public boolean overlaps(Cidr other) {
        int shorter = Math.min(prefixLength, other.prefixLength);
        return (network & mask(shorter)) == (other.network & mask(shorter));
    }

    /** Netmask of a prefix length as an int. */
    public static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /**
     * Parses {@code a.b.c.d/n} or a bare address (a /32).
     *
     * @throws IllegalArgumentException with a message fit for a config error
     */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            return new Cidr(parseAddress(text), 32);
        }
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has no numeric prefix length");
        }
        return new Cidr(parseAddress(text.substring(0, slash)), prefix);
    }

    /**
     * Parses a dotted-quad IPv4 literal (no DNS, no octal, no shortened forms).
     *
     * @throws IllegalArgumentException when the text is not exactly four decimal octets
     */
    public static int parseAddress(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (a.b.c.d)");
        }
        int address = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (a.b.c.d)");
            }
            int octet = Integer.parseInt(p);
            if (octet > 255) {
                throw new IllegalArgumentException("'" + text + "' has an octet above 255");
            }
            address = address << 8 | octet;
        }
        return address;
    }

    /** Dotted-quad text of an address. */
    public static String format(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
    }

    @Override
    public String toString() {
        return format(network) + "/" + prefixLength;
    }
}
