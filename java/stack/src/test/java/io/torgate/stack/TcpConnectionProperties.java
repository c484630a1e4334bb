package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Whole-connection properties over random paths, buffer sizes and application read patterns. */
class TcpConnectionProperties {

    /**
     * Every window the server advertises (checked on each packet inside {@link TcpLink}) fits its free receive
     * buffer, whatever the loss, duplication, reordering and read pattern; and the streams still arrive byte-exact.
     */
    @Property(tries = 10_000)
    void advertisedWindowNeverExceedsFreeBuffer(@ForAll long seed,
                                                @ForAll @IntRange(min = 0, max = 15) int loss,
                                                @ForAll @IntRange(min = 0, max = 10) int dup,
                                                @ForAll @IntRange(min = 0, max = 40) int reorder,
                                                @ForAll @IntRange(min = 5, max = 100) int readPct,
                                                @ForAll @IntRange(min = 0, max = 6) int bufferShift,
                                                @ForAll @IntRange(min = 0, max = 12_000) int up,
                                                @ForAll @IntRange(min = 0, max = 3_000) int down,
                                                @ForAll boolean options) {
        TcpConfig cfg = new TcpConfig().mtu(576).receiveBuffer(1024 << bufferShift).sendBuffer(2048)
                .sack(options).timestamps(options).windowScaling(options);
        Random r = new Random(seed);
        byte[] a = new byte[up];
        byte[] b = new byte[down];
        r.nextBytes(a);
        r.nextBytes(b);
        TcpLink link = new TcpLink(cfg, new TcpLink.Path(loss, dup, reorder, seed, readPct), a, b);
        assertTrue(link.run(200_000), "did not finish");
        assertTrue(link.windowChecks > 0);
        assertArrayEquals(a, link.receivedByServer());
        assertArrayEquals(b, link.receivedByClient());
    }
}
