package io.torgate.stack;

import java.security.SecureRandom;

/**
 * Initial sequence numbers per RFC 6528 §3: {@code ISN = M + F(localip, localport, remoteip, remoteport, key)},
 * where M is a 4 µs clock and F is SipHash-2-4 keyed with a per-process random secret, so an off-path attacker
 * can neither predict our ISNs nor learn anything across 4-tuples. The same construction with an independent key
 * gives each connection its random timestamp offset (RFC 7323 §5.4 and Appendix A: per-connection offsets keep
 * TSval from revealing uptime or linking connections).
 *
 * <p>Ownership and thread-safety: immutable after construction; share one instance per process. No allocation.
 */
public final class IsnGenerator {
    private final long isnK0;
    private final long isnK1;
    private final long tsK0;
    private final long tsK1;

    /** Keys from {@link SecureRandom}: the normal per-process secret. */
    public IsnGenerator() {
        this(new SecureRandom());
    }

    private IsnGenerator(SecureRandom random) {
        this(random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong());
    }

    /** Fixed keys, for tests and reproducible runs only. */
    public IsnGenerator(long isnK0, long isnK1, long tsK0, long tsK1) {
        this.isnK0 = isnK0;
        this.isnK1 = isnK1;
        this.tsK0 = tsK0;
        this.tsK1 = tsK1;
    }

    /**
     * The ISN for a connection from our side {@code local} to {@code remote} at time {@code nowNanos}.
     * M ticks every 4 µs (RFC 6528 §3, as RFC 793 specified), so new incarnations of a tuple move forward.
     */
    public int isn(int localAddr, int localPort, int remoteAddr, int remotePort, long nowNanos) {
        int m = (int) (nowNanos >>> 12); // 4096 ns ≈ 4 µs per tick
        return m + (int) sipHash(isnK0, isnK1, tuple(localAddr, localPort, remoteAddr), remotePort);
    }

    /** The per-connection TSval offset (RFC 7323 §5.4). */
    public int timestampOffset(int localAddr, int localPort, int remoteAddr, int remotePort) {
        return (int) sipHash(tsK0, tsK1, tuple(localAddr, localPort, remoteAddr), remotePort);
    }

    private static long tuple(int localAddr, int localPort, int remoteAddr) {
        return (long) localAddr << 32 | (localPort & 0xFFFFL) << 16 ^ (remoteAddr & 0xFFFFFFFFL) * 0x9E37_79B9L;
    }

    /**
     * SipHash-2-4 (Aumasson and Bernstein, 2012) of a 16-byte message given as two little-endian 64-bit words:
     * two compression rounds per word (then the length block), four finalization rounds. Locals only.
     */
    static long sipHash(long k0, long k1, long m0, long m1) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        for (int block = 0; block < 3; block++) {
            long w = block == 0 ? m0 : block == 1 ? m1 : 16L << 56; // last block: message length 16 in the top byte
            v3 ^= w;
            for (int r = 0; r < 2; r++) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= w;
        }
        v2 ^= 0xff;
        for (int r = 0; r < 4; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
