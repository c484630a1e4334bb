package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Fuzz target for the gateway SOCKS port parser: any bytes, fed in two chunks split where the first byte says.
 * Invariants: no exception, replies fit the documented 16 bytes, a complete request has a printable host name,
 * and the input position never moves backwards or past the limit. Seeds:
 * src/test/resources/io/torgate/tor/SocksServerSessionFuzzTestInputs/consume.
 */
class SocksServerSessionFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void consume(byte[] data) {
        SocksServerSession s = new SocksServerSession();
        ByteBuffer out = ByteBuffer.allocate(16);
        int split = data.length == 0 ? 0 : 1 + (data[0] & 0xFF) % data.length;
        ByteBuffer in = ByteBuffer.allocate(Math.max(data.length, 1));
        in.put(data, 0, Math.min(split, data.length)).flip();
        int r = s.consume(in, out);
        if (r == SocksServerSession.NEED_MORE && split < data.length) {
            in.compact().put(data, split, data.length - split).flip();
            r = s.consume(in, out);
        }
        assertTrue(in.position() <= in.limit());
        assertTrue(r >= SocksServerSession.ERROR && r <= SocksServerSession.REQUEST, "result " + r);
        if (r == SocksServerSession.REQUEST && s.request().hasHost()) {
            assertTrue(s.request().host().chars().allMatch(c -> c > 0x20 && c < 0x7F));
        }
        if (r == SocksServerSession.REQUEST) {
            s.writeReply(out, SocksReply.of(data.length > 1 ? data[1] & 0xFF : 0), 0, 0);
        }
    }
}
