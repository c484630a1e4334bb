package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Reassembly under any segmentation, reordering, duplication and loss, and SACK blocks that describe exactly the
 * data held out of order (RFC 2018 §4). Sequence numbers start anywhere, often just below 2^32, so streams cross the
 * wrap.
 */
class ReceiveBufferProperties {
    private static final int TRIES = 10_000;

    /** Any initial sequence number, half the time within 3000 bytes below 2^32 so the stream crosses the wrap. */
    @Provide
    Arbitrary<Integer> isn() {
        return Arbitraries.oneOf(Arbitraries.integers(), Arbitraries.integers().between(-3000, -1));
    }

    /** One segment the simulated sender transmits: stream offset and length. */
    private record Segment(int offset, int length) { }

    @Property(tries = TRIES)
    void reassemblesByteExactUnderChaos(@ForAll("isn") int isn, @ForAll @IntRange(min = 1, max = 3000) int size,
            @ForAll @IntRange(min = 1, max = 2048) int capacity, @ForAll long seed) {
        Random rnd = new Random(seed);
        byte[] stream = new byte[size];
        rnd.nextBytes(stream);
        ByteBuffer src = ByteBuffer.wrap(stream);
        ReceiveBuffer rb = new ReceiveBuffer(capacity);
        rb.reset(isn);
        ByteBuffer out = ByteBuffer.allocate(size);
        int lossPercent = rnd.nextInt(50);
        int maxSeg = 1 + rnd.nextInt(Math.max(1, Math.min(size, 600)));
        for (int round = 0; out.position() < size; round++) {
            assertTrue(round < 20_000, "no progress");
            int delivered = rb.rcvNxt() - isn;
            // The sender transmits what the last window allowed, cut at random, in random order, with copies.
            int end = Math.min(size, delivered + rb.window());
            List<Segment> flight = new ArrayList<>();
            for (int at = delivered; at < end; ) {
                int len = Math.min(end - at, 1 + rnd.nextInt(maxSeg));
                if (rnd.nextInt(100) >= lossPercent || at == delivered && round % 8 == 7) {
                    flight.add(new Segment(at, len));
                }
                if (rnd.nextInt(10) == 0) {
                    flight.add(new Segment(at, len));
                }
                if (rnd.nextInt(10) == 0 && at > 0) {
                    int back = rnd.nextInt(Math.min(at, 100)) + 1;
                    flight.add(new Segment(at - back, Math.min(size - at + back, len + back)));
                }
                at += len;
            }
            Collections.shuffle(flight, rnd);
            for (Segment s : flight) {
                int before = rb.rcvNxt();
                int advanced = rb.offer(isn + s.offset(), src, s.offset(), s.length());
                assertEquals(before + advanced, rb.rcvNxt());
                assertEquals(capacity - rb.readable(), rb.window());
                assertTrue(rb.readable() <= capacity);
                if (rnd.nextInt(4) == 0) {
                    readSome(rb, out, rnd);
                }
            }
            readSome(rb, out, rnd);
        }
        assertEquals(isn + size, rb.rcvNxt());
        assertArrayEquals(stream, out.array());
    }

    private static void readSome(ReceiveBuffer rb, ByteBuffer out, Random rnd) {
        int want = Math.min(out.remaining(), rnd.nextInt(rb.capacity() + 1));
        ByteBuffer view = out.slice(out.position(), want);
        int n = rb.read(view);
        assertEquals(n, view.position());
        assertTrue(n <= want);
        out.position(out.position() + n);
    }

    @Property(tries = TRIES)
    void sackBlocksDescribeExactlyTheOutOfOrderData(@ForAll("isn") int isn,
            @ForAll @IntRange(min = 8, max = 4096) int capacity, @ForAll @IntRange(min = 1, max = 60) int segments,
            @ForAll long seed) {
        Random rnd = new Random(seed);
        ReceiveBuffer rb = new ReceiveBuffer(capacity);
        rb.reset(isn);
        byte[] stream = new byte[capacity];
        rnd.nextBytes(stream);
        ByteBuffer src = ByteBuffer.wrap(stream);
        BitSet held = new BitSet(capacity);
        int[] left = new int[ReceiveBuffer.MAX_RANGES];
        int[] right = new int[ReceiveBuffer.MAX_RANGES];
        boolean evicted = false;
        for (int i = 0; i < segments; i++) {
            int off = rnd.nextInt(capacity);
            int len = 1 + rnd.nextInt(Math.min(capacity - off, 1 + rnd.nextInt(64)));
            int base = rb.rcvNxt() - isn;
            rb.offer(isn + off, src, off, len);
            int delivered = rb.rcvNxt() - isn;
            held.set(Math.min(Math.max(off, base), off + len), off + len);
            held.clear(0, delivered);
            evicted |= runs(held) > ReceiveBuffer.MAX_RANGES;
            int n = rb.sackBlocks(left, right, ReceiveBuffer.MAX_RANGES);
            BitSet described = describe(left, right, n, isn, delivered, capacity);
            assertEquals(described.cardinality(), rb.outOfOrderBytes(), "blocks are disjoint");
            assertEquals(n > 0, rb.hasOutOfOrder());
            if (!evicted) {
                assertEquals(held, described, "SACK blocks are exactly the held out-of-order bytes");
                int newest = Math.max(off, delivered);
                if (newest < off + len) {
                    assertTrue(n > 0 && inBlock(left[0], right[0], isn + newest), "first block holds the newest");
                }
            } else {
                BitSet stray = (BitSet) described.clone();
                stray.andNot(held);
                assertTrue(stray.isEmpty(), "blocks describe only bytes that were offered");
            }
        }
        // Finally fill every hole: the buffer must deliver the whole stream byte-exact.
        rb.offer(isn, src, 0, capacity);
        ByteBuffer out = ByteBuffer.allocate(capacity);
        rb.read(out);
        assertArrayEquals(stream, out.array());
    }

    private static BitSet describe(int[] left, int[] right, int n, int isn, int delivered, int capacity) {
        BitSet described = new BitSet(capacity);
        for (int k = 0; k < n; k++) {
            int l = left[k] - isn;
            int r = right[k] - isn;
            assertTrue(delivered < l && l < r && r <= capacity, "block inside the window, after RCV.NXT");
            assertTrue(described.get(l - 1, r + 1).isEmpty(), "blocks neither overlap nor touch");
            described.set(l, r);
        }
        return described;
    }

    private static int runs(BitSet b) {
        int n = 0;
        for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(b.nextClearBit(i))) {
            n++;
        }
        return n;
    }

    private static boolean inBlock(int left, int right, int seq) {
        return seq - left >= 0 && seq - right < 0;
    }
}
