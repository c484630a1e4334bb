package io.torgate.bench.sink;

import java.net.InetSocketAddress;

/** Command-line parsing shared by the rig's tools. Stateless. */
final class Args {
    private Args() {
    }

    /** Parses {@code a.b.c.d:port}; a literal address never causes a name lookup. */
    static InetSocketAddress endpoint(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected IP:PORT, got " + s);
        }
        try {
            return new InetSocketAddress(java.net.InetAddress.getByName(s.substring(0, colon)),
                Integer.parseInt(s.substring(colon + 1)));
        } catch (NumberFormatException | java.net.UnknownHostException e) {
            throw new IllegalArgumentException("expected IP:PORT, got " + s, e);
        }
    }
}
