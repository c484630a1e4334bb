package io.torgate.stack.interop;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A deterministic pseudo-random byte stream (xorshift64*), so the server's "source" service and the test client can
 * produce and check 100 MiB without storing it. Position-independent chunking: {@link #fill} continues where the
 * previous call stopped.
 *
 * <p>Ownership and thread-safety: one instance per stream, used by one thread.
 */
final class PatternStream {
    private long state;
    private long word;
    private int wordLeft;

    PatternStream(long seed) {
        reseed(seed);
    }

    /** Restarts the stream for {@code seed}. */
    void reseed(long seed) {
        state = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
        wordLeft = 0;
    }

    /** Fills {@code dst} from its position to its limit with the next bytes of the stream. */
    void fill(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            if (wordLeft == 0) {
                state ^= state >>> 12;
                state ^= state << 25;
                state ^= state >>> 27;
                word = state * 0x2545F4914F6CDD1DL;
                wordLeft = 8;
            }
            dst.put((byte) word);
            word >>>= 8;
            wordLeft--;
        }
    }

    /** SHA-256 of the first {@code length} bytes of the stream for {@code seed}. */
    static byte[] sha256(long seed, long length) {
        PatternStream p = new PatternStream(seed);
        MessageDigest md = sha256();
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        for (long left = length; left > 0; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), left));
            p.fill(chunk);
            chunk.flip();
            left -= chunk.remaining();
            md.update(chunk);
        }
        return md.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
