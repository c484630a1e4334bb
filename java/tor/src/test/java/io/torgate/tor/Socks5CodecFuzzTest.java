package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Fuzz target for the reply parsers. In a normal test run Jazzer replays the committed seed corpus
 * (src/test/resources/io/torgate/tor/Socks5CodecFuzzTestInputs/parseReply); run with {@code JAZZER_FUZZ=1} to
 * fuzz. Invariants: no exception; a result is NEED_MORE, a known error, or the consumed length, which equals
 * {@link Socks5Codec#replyLength}; every strict prefix of a complete reply gives NEED_MORE.
 */
class Socks5CodecFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void parseReply(byte[] data) {
        Socks5Reply reply = new Socks5Reply();
        ByteBuffer in = ByteBuffer.wrap(data);
        int r = Socks5Codec.parseReply(in, reply);
        if (r > 0) {
            assertEquals(r, in.position());
            assertEquals(r, Socks5Codec.replyLength(ByteBuffer.wrap(data)));
            assertTrue(reply.port() >= 0 && reply.port() <= 0xFFFF);
            for (int n = 0; n < r; n++) {
                assertEquals(Socks5Codec.NEED_MORE, Socks5Codec.parseReply(ByteBuffer.wrap(data, 0, n), reply));
            }
        } else {
            assertEquals(0, in.position());
            assertTrue(r >= Socks5Codec.ERR_BAD_CREDENTIALS, "unknown error " + r);
        }
        ByteBuffer m = ByteBuffer.wrap(data);
        int mr = Socks5Codec.parseMethodSelection(m, Socks5Codec.METHOD_USERNAME_PASSWORD);
        assertEquals(mr > 0 ? 2 : 0, m.position());
        ByteBuffer a = ByteBuffer.wrap(data);
        int ar = Socks5Codec.parseAuthReply(a);
        assertEquals(ar > 0 ? 2 : 0, a.position());
    }
}
