package io.torgate.gateway.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Dns;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Untrusted bytes never escape as an exception: valid queries with random bit flips, truncations and random
 * garbage go through the engine (both modes); whatever it answers must parse and echo the query's ID.
 */
class DnsEngineRobustnessTest {
    private static final int ROUNDS = 40_000;

    @Test
    void mutatedQueriesAreAnsweredWellFormedOrDropped() {
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis);
        DnsConfig base = DnsConfig.defaults().withLimits(1e12, 1_000_000_000, 64).withMap(64, null);
        InlineDns[] engines = {
            new InlineDns(base, keys, () -> true, n -> n.hashCode() % 3 == 0 ? -1 : 0x01020304L),
            new InlineDns(base.withMode(DnsConfig.Mode.MAPPED), keys, () -> true, n -> -1)};
        byte[][] seeds = {
            DnsMessages.query(1, "web.lab.test", Dns.TYPE_A, 1232),
            DnsMessages.query(2, "1.0.192.10.in-addr.arpa", Dns.TYPE_PTR, 0),
            DnsMessages.query(3, "abc.onion", Dns.TYPE_AAAA, 4096),
            DnsMessages.query(4, "x", Dns.TYPE_ANY, 0)};
        Random rnd = new Random(7);
        ByteBuffer in = ByteBuffer.allocate(DnsRequest.MAX_QUERY);
        ByteBuffer out = ByteBuffer.allocate(DnsRequest.MAX_RESPONSE);
        Dns parsed = new Dns();
        int answered = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] q = mutate(seeds[rnd.nextInt(seeds.length)], rnd);
            in.put(0, q);
            InlineDns e = engines[i & 1];
            int len = e.answer(rnd.nextInt(4), in, 0, q.length, out, 0, System.nanoTime());
            if (len == 0) {
                continue;
            }
            answered++;
            assertEquals(WireError.OK, parsed.wrap(out, 0, len).checkLength(), "answer " + i + " parses");
            assertTrue(parsed.isResponse());
            assertEquals(ByteBuffer.wrap(q).getShort(0) & 0xFFFF, parsed.id(), "ID echoed");
        }
        assertTrue(answered > ROUNDS / 4, "most mutations still get an answer: " + answered);
    }

    private static byte[] mutate(byte[] seed, Random rnd) {
        switch (rnd.nextInt(4)) {
            case 0 -> {
                byte[] b = new byte[rnd.nextInt(64)];
                rnd.nextBytes(b);
                return b;
            }
            case 1 -> {
                return java.util.Arrays.copyOf(seed, rnd.nextInt(seed.length + 1));
            }
            default -> {
                byte[] b = seed.clone();
                for (int k = rnd.nextInt(4); k >= 0; k--) {
                    int at = 2 + rnd.nextInt(b.length - 2); // keep the ID so the echo can be checked
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
        }
    }
}
