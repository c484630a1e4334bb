package io.torgate.tor;

import java.util.BitSet;

/**
 * An immutable set of TCP ports (0..65535) with an O(1), allocation-free {@link #contains(int)}.
 *
 * <p>Immutable after construction; thread-safe.
 */
public final class PortSet {
    private final long[] bits = new long[1024];
    private final String text;

    private PortSet(String text) {
        this.text = text;
    }

    /** Parses {@code "25,110,1000-2000"}; whitespace around items is ignored. */
    public static PortSet parse(String spec) {
        PortSet s = new PortSet(spec.trim());
        for (String item : spec.split(",")) {
            String t = item.trim();
            if (t.isEmpty()) {
                continue;
            }
            int dash = t.indexOf('-');
            int lo = port(dash < 0 ? t : t.substring(0, dash));
            int hi = dash < 0 ? lo : port(t.substring(dash + 1));
            if (hi < lo) {
                throw new IllegalArgumentException("bad port range: " + t);
            }
            for (int p = lo; p <= hi; p++) {
                s.bits[p >>> 6] |= 1L << p;
            }
        }
        return s;
    }

    /** A set of the given ports. */
    public static PortSet of(int... ports) {
        StringBuilder sb = new StringBuilder();
        for (int p : ports) {
            sb.append(sb.isEmpty() ? "" : ",").append(p);
        }
        return parse(sb.toString());
    }

    private static int port(String s) {
        int p = Integer.parseInt(s.trim());
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("port out of range: " + s);
        }
        return p;
    }

    public boolean contains(int port) {
        return port >= 0 && port <= 65535 && (bits[port >>> 6] & (1L << port)) != 0;
    }

    /** Number of ports in the set. */
    public int size() {
        return BitSet.valueOf(bits).cardinality();
    }

    /** Same ports (the spelling does not matter). */
    @Override
    public boolean equals(Object o) {
        return o instanceof PortSet p && java.util.Arrays.equals(p.bits, bits);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(bits);
    }

    @Override
    public String toString() {
        return text;
    }
}
