package io.torgate.stack;

import io.torgate.wire.SeqNum;

/**
 * Lost-retransmission detection for SACK recovery, in the spirit of RACK (RFC 8985 §6.2: a segment is lost when
 * one sent after it was delivered) applied to the retransmissions of one recovery episode. Without it, a
 * retransmission that is itself lost is repaired only by the retransmission timer: the scoreboard still shows its
 * hole, but the hole is already below HighRxt (RFC 6675), so NextSeg never offers it again.
 *
 * <p>Each fast or hole retransmission is recorded in transmission order with the highest sequence number sent at
 * that moment (SND.MAX). The retransmission at {@code [seq, seq + len)} is declared lost, once, when it is still
 * neither cumulatively acknowledged nor SACKed and either
 * <ul>
 *   <li>a retransmission recorded after it has been delivered (acknowledged or SACKed), or</li>
 *   <li>the peer SACKed data beyond the SND.MAX recorded with it, i.e. new data sent after it arrived.</li>
 * </ul>
 * Both are "sent later, delivered first". As in RACK (§6.2 step 5), the verdict also waits until the
 * retransmission is older than one smoothed RTT plus a reordering window of a quarter of it: a younger one may
 * simply not have arrived yet while a reordered segment overtook it. It is re-examined at the next ACK (during
 * recovery ACKs keep coming; if none does, the retransmission timer still covers it). A spurious verdict costs one
 * resend, never a window reduction (the episode's reduction has been made).
 *
 * <p>Storage: a fixed ring of {@link #CAPACITY} entries allocated once; when full the oldest entry is forgotten
 * (its loss is then left to the retransmission timer). No method allocates.
 *
 * <p>Ownership and thread-safety: part of one connection's sender; not thread-safe.
 */
final class RetransmitLog {
    /** Retransmissions tracked at once: more than the holes one SACK scoreboard can describe (32 ranges). */
    static final int CAPACITY = 64;
    private static final byte OUTSTANDING = 0;
    private static final byte LOST = 1;
    /** Delivered (acknowledged or SACKed). */
    private static final byte DONE = 2;
    /** Declared lost and sent again (the resend has its own entry): neither delivered nor outstanding. */
    private static final byte SUPERSEDED = 3;

    private final int[] seq = new int[CAPACITY];
    private final int[] len = new int[CAPACITY];
    private final int[] sndMax = new int[CAPACITY];
    private final long[] sentAt = new long[CAPACITY];
    private final byte[] state = new byte[CAPACITY];
    private int head;
    private int count;
    private int lost;

    void clear() {
        head = 0;
        count = 0;
        lost = 0;
    }

    /** Records a retransmission of {@code [s, s + length)} sent at {@code now} while SND.MAX was {@code max}. */
    void record(int s, int length, int max, long now) {
        if (length <= 0) {
            return;
        }
        if (count == CAPACITY) {
            drop();
        }
        int i = (head + count) % CAPACITY;
        seq[i] = s;
        len[i] = length;
        sndMax[i] = max;
        sentAt[i] = now;
        state[i] = OUTSTANDING;
        count++;
    }

    /**
     * Applies the delivery information of one ACK: forgets delivered retransmissions and marks the lost ones.
     *
     * @param una SND.UNA after the ACK
     * @param sacked the scoreboard after the ACK's SACK blocks
     * @param now the time of the ACK
     * @param lossDelayNanos how old a retransmission must be to be declared lost (SRTT + SRTT / 4)
     * @return retransmissions newly declared lost
     */
    int onAck(int una, SendBuffer sacked, long now, long lossDelayNanos) {
        int highSacked = sacked.highestSacked();
        int newestDelivered = -1;
        for (int k = 0; k < count; k++) {
            int i = (head + k) % CAPACITY;
            if ((state[i] == OUTSTANDING || state[i] == LOST) && delivered(i, una, sacked)) {
                if (state[i] == LOST) {
                    lost--; // the first copy arrived late after all: nothing to resend
                }
                state[i] = DONE;
            }
            if (state[i] == DONE) {
                newestDelivered = k;
            }
        }
        int found = 0;
        for (int k = 0; k < count; k++) {
            int i = (head + k) % CAPACITY;
            if (state[i] == OUTSTANDING && (k < newestDelivered || SeqNum.gt(highSacked, sndMax[i]))
                    && now - sentAt[i] >= lossDelayNanos) {
                state[i] = LOST;
                lost++;
                found++;
            }
        }
        while (count > 0 && state[head] >= DONE) {
            drop();
        }
        return found;
    }

    /** @return true when a retransmission waits to be sent again */
    boolean hasLost() {
        return lost > 0;
    }

    /** @return the ring index of the oldest retransmission declared lost, or -1 */
    int firstLost() {
        if (lost == 0) {
            return -1;
        }
        for (int k = 0; k < count; k++) {
            int i = (head + k) % CAPACITY;
            if (state[i] == LOST) {
                return i;
            }
        }
        return -1;
    }

    int seq(int index) {
        return seq[index];
    }

    int length(int index) {
        return len[index];
    }

    /** The lost retransmission at {@code index} is being sent again (and recorded anew): it leaves the log. */
    void resending(int index) {
        if (state[index] == LOST) {
            lost--;
        }
        state[index] = SUPERSEDED;
    }

    private boolean delivered(int i, int una, SendBuffer sacked) {
        return SeqNum.le(seq[i] + len[i], una) || SeqNum.ge(seq[i], una) && sacked.isSacked(seq[i]);
    }

    private void drop() {
        if (state[head] == LOST) {
            lost--;
        }
        head = (head + 1) % CAPACITY;
        count--;
    }
}
