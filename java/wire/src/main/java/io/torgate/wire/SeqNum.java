package io.torgate.wire;

/**
 * 32-bit TCP sequence number arithmetic (RFC 9293 §3.4, RFC 1982 serial numbers).
 *
 * <p>Sequence numbers live in a circular space of 2^32; {@code a} is "less than" {@code b} when the signed 32-bit
 * difference {@code a - b} is negative. This is only meaningful for numbers less than 2^31 apart, which TCP's
 * windows (at most 2^30 with scaling, RFC 7323 §2.3) guarantee.
 *
 * <p>Stateless, all static, allocation-free and thread-safe.
 */
public final class SeqNum {

    private SeqNum() {
    }

    /** Signed distance {@code a - b} in sequence space. */
    public static int diff(int a, int b) {
        return a - b;
    }

    /** {@code a < b} modulo 2^32. */
    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    /** {@code a <= b} modulo 2^32. */
    public static boolean le(int a, int b) {
        return a - b <= 0;
    }

    /** {@code a > b} modulo 2^32. */
    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    /** {@code a >= b} modulo 2^32. */
    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    /** The later of two sequence numbers. */
    public static int max(int a, int b) {
        return a - b >= 0 ? a : b;
    }

    /** The earlier of two sequence numbers. */
    public static int min(int a, int b) {
        return a - b <= 0 ? a : b;
    }

    /** {@code lo <= x < hi} modulo 2^32: the RFC 9293 §3.4 window test; false when the range is empty. */
    public static boolean inRange(int x, int lo, int hi) {
        return x - lo >= 0 && x - hi < 0;
    }
}
