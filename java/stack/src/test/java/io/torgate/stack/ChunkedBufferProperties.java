package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The chunked rings against simple models: 64-byte chunks (so almost every copy crosses chunk boundaries and the
 * ring's last chunk is often partial), a budget that is sometimes only a few chunks (so the pool runs dry mid-copy),
 * sequence numbers across 2^32. The send side must never lose or reorder an accepted byte and accept exactly what
 * the memory allows; the receive side must deliver the stream byte-exact however short memory is, and never count
 * as received (acknowledge) a byte it did not store. Both give every chunk back once empty, and the budget always
 * equals the chunks lent.
 */
class ChunkedBufferProperties {
    private static final int TRIES = 5_000;
    private static final int CHUNK = 64;

    @Provide
    Arbitrary<Integer> isn() {
        return Arbitraries.oneOf(Arbitraries.integers(), Arbitraries.integers().between(-3000, -1));
    }

    /** A pool whose budget holds {@code chunks} chunks (0: unbounded), keeping up to 4 free. */
    private static ChunkPool pool(int chunks) {
        return new ChunkPool(CHUNK, new BufferBudget(chunks == 0 ? Long.MAX_VALUE : (long) chunks * CHUNK), 4);
    }

    private static void assertAccounted(ChunkPool p, int held) {
        assertEquals(held, p.lent(), "every lent chunk is held by the ring");
        assertEquals(p.lent() * CHUNK, p.budget().used(), "the budget charges exactly what is lent");
    }

    @Property(tries = TRIES)
    void sendRingMatchesTheStream(@ForAll("isn") int isn, @ForAll @IntRange(min = 1, max = 1500) int capacity,
            @ForAll @IntRange(min = 0, max = 12) int budgetChunks, @ForAll @IntRange(min = 1, max = 200) int ops,
            @ForAll long seed) {
        ChunkPool p = pool(budgetChunks);
        SendBuffer sb = new SendBuffer(capacity, p);
        SendBufferProperties.checkAgainstTheStream(sb, isn, capacity, ops, seed, budgetChunks > 0, () -> {
            // A span touches at most one chunk more than its length fills, and one more again when it wraps
            // past a partial last chunk; an empty buffer holds none.
            int needed = (sb.length() + CHUNK - 1) / CHUNK;
            assertTrue(sb.chunksHeld() <= (sb.length() == 0 ? 0 : needed + 2), "holds no more than its data spans");
            assertAccounted(p, sb.chunksHeld());
        });
    }

    @Property(tries = TRIES)
    void receiveRingReassemblesWhateverTheMemory(@ForAll("isn") int isn,
            @ForAll @IntRange(min = 1, max = 3000) int size, @ForAll @IntRange(min = 1, max = 1024) int capacity,
            @ForAll @IntRange(min = 0, max = 6) int budgetChunks, @ForAll long seed) {
        Random rnd = new Random(seed);
        byte[] stream = new byte[size];
        rnd.nextBytes(stream);
        ByteBuffer src = ByteBuffer.wrap(stream);
        ChunkPool p = pool(budgetChunks == 0 ? 0 : Math.max(budgetChunks, 2));
        ReceiveBuffer rb = new ReceiveBuffer(capacity, p);
        rb.reset(isn);
        ByteBuffer out = ByteBuffer.allocate(size);
        int maxSeg = 1 + rnd.nextInt(Math.min(size, 300));
        for (int round = 0; out.position() < size; round++) {
            assertTrue(round < 50_000, "no progress");
            int delivered = rb.rcvNxt() - isn;
            int window = rb.window();
            // In-window segments in random order, with copies; the one at RCV.NXT is sent every few rounds.
            int span = Math.min(size - delivered, window);
            if (span > 0) {
                int at = round % 3 == 0 ? delivered : delivered + rnd.nextInt(span);
                int len = Math.min(delivered + span - at, 1 + rnd.nextInt(maxSeg));
                int before = rb.rcvNxt();
                int advanced = rb.offer(isn + at, src, at, len);
                assertEquals(before + advanced, rb.rcvNxt());
                assertTrue(rb.rcvNxt() - isn <= size);
                assertEquals(capacity - rb.readable(), rb.window(), "the window counts the capacity, not memory");
            }
            if (rnd.nextInt(3) == 0 || rb.window() == 0) {
                int want = Math.min(out.remaining(), rnd.nextInt(capacity + 1));
                int n = rb.read(out.slice(out.position(), want));
                out.position(out.position() + n);
            }
            assertAccounted(p, rb.chunksHeld());
        }
        assertArrayEquals(stream, out.array(), "byte-exact, and nothing acknowledged was lost");
        assertEquals(isn + size, rb.rcvNxt());
        if (!rb.hasOutOfOrder()) {
            assertEquals(0, rb.chunksHeld(), "an empty buffer holds no chunk");
        }
        rb.reset(0);
        assertAccounted(p, 0);
    }
}
