package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** SendBuffer against a model: the whole stream in an array, the SACK scoreboard as a bit set; across 2^32. */
class SendBufferProperties {
    private static final int TRIES = 10_000;

    @Provide
    Arbitrary<Integer> isn() {
        return Arbitraries.oneOf(Arbitraries.integers(), Arbitraries.integers().between(-5000, -1));
    }

    @Property(tries = TRIES)
    void copyAndAcknowledgeMatchTheStream(@ForAll("isn") int isn, @ForAll @IntRange(min = 1, max = 1500) int capacity,
            @ForAll @IntRange(min = 1, max = 200) int ops, @ForAll long seed) {
        SendBuffer sb = new SendBuffer(capacity);
        checkAgainstTheStream(sb, isn, capacity, ops, seed, false, () -> { });
    }

    /**
     * Random writes, copies and acknowledgments against the model (the stream in an array); {@code afterEach}
     * checks more after every step. With {@code memoryBounded} a write may take less than the free space.
     */
    static void checkAgainstTheStream(SendBuffer sb, int isn, int capacity, int ops, long seed,
            boolean memoryBounded, Runnable afterEach) {
        Random rnd = new Random(seed);
        byte[] stream = new byte[capacity * ops + 1];
        rnd.nextBytes(stream);
        sb.reset(isn);
        int una = 0;
        int written = 0;
        ByteBuffer dst = ByteBuffer.allocate(capacity + 8);
        for (int i = 0; i < ops; i++) {
            switch (rnd.nextInt(3)) {
                case 0 -> {
                    int want = rnd.nextInt(capacity + 1);
                    ByteBuffer src = ByteBuffer.wrap(stream, written, want);
                    int n = sb.write(src);
                    int room = Math.min(want, capacity - (written - una));
                    if (memoryBounded) {
                        assertTrue(n <= room, n + " > " + room);
                    } else {
                        assertEquals(room, n);
                    }
                    assertEquals(written + n, src.position());
                    written += n;
                }
                case 1 -> {
                    int from = una + rnd.nextInt(written - una + 1);
                    int want = rnd.nextInt(capacity + 1);
                    int off = rnd.nextInt(8);
                    int n = sb.copy(isn + from, dst, off, want);
                    assertEquals(Math.min(want, written - from), n);
                    assertArrayEquals(Arrays.copyOfRange(stream, from, from + n),
                            Arrays.copyOfRange(dst.array(), off, off + n));
                }
                default -> {
                    int ack = una - 100 + rnd.nextInt(written - una + 102);
                    int freed = sb.acknowledge(isn + ack);
                    int expect = Math.max(0, Math.min(ack, written) - una);
                    assertEquals(expect, freed);
                    una += expect;
                }
            }
            assertEquals(isn + una, sb.sndUna());
            assertEquals(written - una, sb.length());
            assertEquals(capacity - (written - una), sb.free());
            afterEach.run();
        }
        sb.acknowledge(isn + written);
        assertEquals(0, sb.length());
        afterEach.run();
    }

    @Property(tries = TRIES)
    void scoreboardMatchesTheSackedBytes(@ForAll("isn") int isn, @ForAll @IntRange(min = 1, max = 3000) int held,
            @ForAll @IntRange(min = 1, max = 60) int ops, @ForAll long seed) {
        Random rnd = new Random(seed);
        SendBuffer sb = new SendBuffer(held);
        sb.reset(isn);
        sb.write(ByteBuffer.allocate(held));
        BitSet sacked = new BitSet(held);
        int una = 0;
        for (int i = 0; i < ops; i++) {
            if (rnd.nextInt(6) == 0) {
                una = Math.min(held, una + rnd.nextInt(held / 4 + 1));
                sb.acknowledge(isn + una);
                sacked.clear(0, una);
            } else {
                int l = rnd.nextInt(held + 200) - 100;
                int r = l + rnd.nextInt(200);
                sb.markSacked(isn + l, isn + r);
                sacked.set(Math.max(l, una), Math.max(Math.max(l, una), Math.min(r, held)));
            }
            if (runs(sacked) > SendBuffer.MAX_SACK_RANGES) {
                return;
            }
            assertEquals(sacked.cardinality(), sb.sackedBytes());
            for (int probe = 0; probe < 8; probe++) {
                int s = una + rnd.nextInt(held - una + 1);
                assertEquals(sacked.get(s), sb.isSacked(isn + s), "isSacked(" + s + ")");
                assertEquals(isn + sacked.nextClearBit(s), sb.nextUnsackedFrom(isn + s));
            }
        }
    }

    private static int runs(BitSet b) {
        int n = 0;
        for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(b.nextClearBit(i))) {
            n++;
        }
        return n;
    }
}
