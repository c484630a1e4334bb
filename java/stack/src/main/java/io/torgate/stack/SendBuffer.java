package io.torgate.stack;

import java.nio.ByteBuffer;

/**
 * Send-side buffer for one TCP connection: a byte ring holding everything from SND.UNA on, i.e. data sent but not
 * yet acknowledged followed by data the application wrote that has not been sent yet (RFC 9293 §3.3.1), plus the
 * SACK scoreboard of the peer's selective acknowledgments (RFC 2018, used for loss recovery as in RFC 6675).
 *
 * <p>The buffer does not track SND.NXT; the sender copies out whatever sequence range it transmits with
 * {@link #copy}. Data is freed only by a cumulative acknowledgment, never by SACK: a receiver may renege on
 * SACKed data (RFC 2018 §8). The scoreboard holds at most {@link #MAX_SACK_RANGES} ranges; when full, the range
 * farthest from SND.UNA gives way to a nearer one, which only makes recovery more conservative.
 *
 * <p>Storage on demand: the ring's bytes live in chunks borrowed from a {@link ChunkPool} ({@link ChunkRing}). A
 * chunk is taken when written data first reaches it and given back once acknowledgments leave it behind, so an idle
 * connection holds none. When the pool has no chunk (the global budget is spent) {@link #write} accepts fewer bytes
 * than {@link #free()}; nothing already accepted is ever lost. No method allocates (a warm pool reuses chunks).
 * Sequence numbers are compared modulo 2<sup>32</sup>, so streams may cross the wrap freely.
 *
 * <p>Ownership and thread-safety: owned by one connection and used only by the thread that owns that connection
 * (and its pool); not thread-safe.
 */
public final class SendBuffer implements ChunkRing.LiveSpans {
    /** Scoreboard ranges kept at most. */
    public static final int MAX_SACK_RANGES = 32;

    private final ChunkRing ring;
    private final int capacity;
    /** Ring index of the byte at SND.UNA. */
    private int head;
    private int length;
    private int sndUna;
    private final SeqRanges sacked = new SeqRanges(MAX_SACK_RANGES);
    /** The spans handed out by {@link #claim} until {@link #commit}: the array, entries used, bytes. */
    private ByteBuffer[] claimed;
    private int claimedCount;
    private int claimedBytes;
    private long sackClock;

    /**
     * With a pool of its own that keeps every chunk it made (the up-front behaviour; tests and benchmarks).
     *
     * @param capacity bytes of buffer, 1 .. 2<sup>30</sup>
     */
    public SendBuffer(int capacity) {
        this(capacity, ChunkPool.privatePool(capacity));
    }

    /**
     * @param capacity bytes of buffer (the most data held), 1 .. 2<sup>30</sup>; memory is taken from {@code pool}
     *     only while data is held
     */
    public SendBuffer(int capacity, ChunkPool pool) {
        this.ring = new ChunkRing(capacity, pool);
        this.capacity = capacity;
    }

    /**
     * Empties the buffer (its chunks go back to the pool) and the scoreboard and sets SND.UNA (e.g. to ISS + 1 once
     * the SYN is acknowledged).
     */
    public void reset(int sndUna) {
        this.sndUna = sndUna;
        head = 0;
        length = 0;
        sacked.clear();
        ring.releaseAll();
    }

    /** @return pool chunks held now (0 when empty) */
    public int chunksHeld() {
        return ring.held();
    }

    /** @return SND.UNA, the sequence number of the first byte held */
    public int sndUna() {
        return sndUna;
    }

    /** @return total bytes this buffer can hold */
    public int capacity() {
        return capacity;
    }

    /** @return free space: how many more bytes {@link #write} would accept */
    public int free() {
        return capacity - length;
    }

    /** @return bytes held from SND.UNA on: unacknowledged plus unsent */
    public int length() {
        return length;
    }

    /**
     * Appends application data after the bytes already held.
     *
     * @param src data from its position to its limit; its position advances by the bytes taken
     * @return bytes accepted, at most {@link #free()}; fewer when the pool had no chunk for the rest
     */
    public int write(ByteBuffer src) {
        int at = ring.wrap(head + length);
        int n = ring.ensure(at, Math.min(src.remaining(), capacity - length));
        ring.writeFrom(at, src, n);
        length += n;
        return n;
    }

    /**
     * Hands out free space after the bytes held for a producer that fills it in place, such as a scattering read
     * from a socket straight into the buffer (one copy from the kernel, where {@link #write} from a buffer of the
     * caller's is two). The space is backed by chunks taken now, so it is bounded by {@link #free()}, by
     * {@code max} and by what the pool grants. Until {@link #commit} nothing else may be called on this buffer.
     *
     * @param spans receives the chunks, each with position and limit set to its part of the space, in order
     *     (at least 3 entries; the space is cut to {@code (spans.length - 2)} chunks)
     * @param max most bytes wanted
     * @return entries of {@code spans} used; 0 when the buffer is full or the pool had no chunk
     */
    public int claim(ByteBuffer[] spans, int max) {
        int at = ring.wrap(head + length);
        int want = Math.min(Math.min(max, capacity - length), (spans.length - 2) * ring.chunkBytes());
        // A span that wrapped back into the chunk it started in would hand that chunk out twice (one buffer, one
        // position): stop at that chunk's start, the next claim takes the rest.
        want = Math.min(want, capacity - ring.offsetInChunk(at));
        int n = ring.ensure(at, Math.max(0, want));
        claimed = spans;
        claimedBytes = n;
        claimedCount = n == 0 ? 0 : ring.spans(at, n, spans);
        return claimedCount;
    }

    /**
     * Ends a {@link #claim}: the first {@code n} bytes of the space handed out become data held (as if written), the
     * rest is free again, and chunks the rest had taken go back to the pool.
     *
     * @param n bytes the producer stored, from the start of the first span on, 0 .. the bytes claimed
     */
    public void commit(int n) {
        if (n < 0 || n > claimedBytes) {
            throw new IllegalArgumentException("committed " + n + " of " + claimedBytes + " claimed bytes");
        }
        if (claimed != null) {
            ChunkRing.restore(claimed, claimedCount);
        }
        length += n;
        if (n < claimedBytes) {
            ring.releaseUnused(this);
        }
        claimed = null;
        claimedCount = 0;
        claimedBytes = 0;
    }

    /**
     * Copies held bytes starting at sequence number {@code seq} for (re)transmission.
     *
     * @param seq first sequence number wanted; must not precede SND.UNA
     * @param dst destination, written by absolute index; its position and limit are not touched
     * @param dstOffset absolute index in {@code dst} of the first byte
     * @param length most bytes wanted
     * @return bytes copied: {@code min(length, held bytes from seq on)}, 0 when {@code seq} is outside the buffer
     */
    public int copy(int seq, ByteBuffer dst, int dstOffset, int length) {
        int rel = seq - sndUna;
        if (rel < 0 || rel >= this.length || length <= 0) {
            return 0;
        }
        int n = Math.min(length, this.length - rel);
        ring.copyOut(ring.wrap(head + rel), dst, dstOffset, n);
        return n;
    }

    /**
     * Applies a cumulative acknowledgment: frees the bytes before {@code ack} and moves SND.UNA to it. An old or
     * duplicate ack (not after SND.UNA) changes nothing. An ack beyond the data held (it also covers a FIN, which
     * occupies a sequence number but no buffer byte) frees everything and stops SND.UNA after the last byte held.
     * Chunks left wholly behind go back to the pool; all of them once the buffer is empty.
     *
     * @return bytes freed
     */
    public int acknowledge(int ack) {
        int n = ack - sndUna;
        if (n <= 0) {
            return 0;
        }
        n = Math.min(n, length);
        sndUna += n;
        int from = head;
        head = ring.wrap(head + n);
        length -= n;
        sacked.trimBelow(sndUna);
        if (length == 0) {
            head = 0;
            ring.releaseAll();
        } else {
            ring.releaseCrossed(from, head, this);
        }
        return n;
    }

    /** Chunks holding unacknowledged or unsent bytes stay ({@link ChunkRing.LiveSpans}). */
    @Override
    public boolean uses(int start, int end) {
        return ring.overlaps(head, length, start, end);
    }

    /**
     * Records a SACK block from the peer (RFC 2018 §3). The part outside {@code [SND.UNA, SND.UNA + length())}
     * is ignored, so stale or bogus blocks cannot mark data that is not held.
     */
    public void markSacked(int left, int right) {
        int end = sndUna + length;
        if (left - sndUna < 0) {
            left = sndUna;
        }
        if (right - end > 0) {
            right = end;
        }
        if (right - left > 0 && left - end < 0) {
            sacked.add(left, right, ++sackClock);
        }
    }

    /** @return true when the byte at {@code seq} has been selectively acknowledged */
    public boolean isSacked(int seq) {
        return sacked.find(seq) >= 0;
    }

    /** @return the first sequence number at or after {@code seq} that is not SACKed */
    public int nextUnsackedFrom(int seq) {
        int i = sacked.find(seq);
        return i < 0 ? seq : sacked.right(i);
    }

    /** @return bytes currently marked SACKed */
    public int sackedBytes() {
        return sacked.bytes();
    }

    /** @return the highest SACKed sequence number + 1 (RFC 6675 "HighSACK" + 1), or SND.UNA when none */
    public int highestSacked() {
        int n = sacked.count();
        return n == 0 ? sndUna : sacked.right(n - 1);
    }

    /**
     * Forgets all SACK information; after a retransmission timeout the sender must not rely on it (RFC 2018 §8,
     * RFC 6675 §5.1).
     */
    public void clearScoreboard() {
        sacked.clear();
    }
}
