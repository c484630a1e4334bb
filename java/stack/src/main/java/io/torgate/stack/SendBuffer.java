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
 * <p>All storage is allocated in the constructor; no method allocates. Sequence numbers are compared modulo
 * 2<sup>32</sup>, so streams may cross the wrap freely.
 *
 * <p>Ownership and thread-safety: owned by one connection and used only by the thread that owns that connection;
 * not thread-safe.
 */
public final class SendBuffer {
    /** Scoreboard ranges kept at most. */
    public static final int MAX_SACK_RANGES = 32;

    private final byte[] ring;
    private final int capacity;
    /** Ring index of the byte at SND.UNA. */
    private int head;
    private int length;
    private int sndUna;
    private final SeqRanges sacked = new SeqRanges(MAX_SACK_RANGES);
    private long sackClock;

    /**
     * @param capacity bytes of buffer, 1 .. 2<sup>30</sup>; allocated here
     */
    public SendBuffer(int capacity) {
        if (capacity <= 0 || capacity > 1 << 30) {
            throw new IllegalArgumentException("capacity must be 1 .. 2^30: " + capacity);
        }
        this.capacity = capacity;
        this.ring = new byte[capacity];
    }

    /** Empties the buffer and the scoreboard and sets SND.UNA (e.g. to ISS + 1 once the SYN is acknowledged). */
    public void reset(int sndUna) {
        this.sndUna = sndUna;
        head = 0;
        length = 0;
        sacked.clear();
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
     * @return bytes accepted, at most {@link #free()}
     */
    public int write(ByteBuffer src) {
        int n = Math.min(src.remaining(), capacity - length);
        int at = wrap(head + length);
        int first = Math.min(n, capacity - at);
        src.get(ring, at, first);
        if (n > first) {
            src.get(ring, 0, n - first);
        }
        length += n;
        return n;
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
        int at = wrap(head + rel);
        int first = Math.min(n, capacity - at);
        dst.put(dstOffset, ring, at, first);
        if (n > first) {
            dst.put(dstOffset + first, ring, 0, n - first);
        }
        return n;
    }

    /**
     * Applies a cumulative acknowledgment: frees the bytes before {@code ack} and moves SND.UNA to it. An old or
     * duplicate ack (not after SND.UNA) changes nothing. An ack beyond the data held (it also covers a FIN, which
     * occupies a sequence number but no buffer byte) frees everything and stops SND.UNA after the last byte held.
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
        head = wrap(head + n);
        length -= n;
        sacked.trimBelow(sndUna);
        return n;
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

    private int wrap(int index) {
        return index >= capacity ? index - capacity : index;
    }
}
