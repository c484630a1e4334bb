package io.torgate.stack.interop;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * What {@code tc netem} would do to packets on a link: loss, duplication, corruption (one random bit flipped
 * anywhere in the packet, as netem's {@code corrupt} does) and reordering by holding a share of the packets back
 * for a delay while later ones pass. The kernel of the CI machines has no {@code sch_netem}, so the interop server
 * applies this on the path between the TUN device and the stack, in both directions: segments really are lost,
 * duplicated, corrupted and reordered between the kernel's TCP and ours, and corrupted ones must be rejected by the
 * receiver's checksum (our IPv4/TCP parsing on the way in, the kernel's on the way out).
 *
 * <p>Decisions come from a seeded generator, so a failing run can be repeated. The delay line holds copies in a
 * fixed pool of slots allocated at construction; when the pool is full a packet passes undelayed.
 *
 * <p>Ownership and thread-safety: owned by the server thread; not thread-safe.
 */
final class Impairment {
    static final int PASS = 0;
    static final int DROP = 1;
    static final int DUPLICATE = 1 << 1;
    static final int CORRUPT = 1 << 2;
    static final int DELAY = 1 << 3;

    private final double loss;
    private final double duplicate;
    private final double corrupt;
    private final double reorder;
    private final long delayNanos;
    private final SplittableRandom random;
    // Delay line: a FIFO ring of copies; every copy waits the same delay, so release order is FIFO order.
    private final byte[][] slots;
    private final int[] lengths;
    private final long[] releaseAt;
    private int head;
    private int count;
    long dropped;
    long duplicated;
    long corrupted;
    long delayed;

    /**
     * @param loss probability a packet is dropped
     * @param duplicate probability a packet is delivered twice (the copy after the delay)
     * @param corrupt probability one bit of the packet is flipped
     * @param reorder probability a packet is held back for {@code delayNanos} while later packets overtake it
     */
    Impairment(double loss, double duplicate, double corrupt, double reorder, long delayNanos, long seed,
            int delaySlots, int slotSize) {
        this.loss = loss;
        this.duplicate = duplicate;
        this.corrupt = corrupt;
        this.reorder = reorder;
        this.delayNanos = delayNanos;
        this.random = new SplittableRandom(seed);
        this.slots = new byte[delaySlots][slotSize];
        this.lengths = new int[delaySlots];
        this.releaseAt = new long[delaySlots];
    }

    /** Draws the fate of one packet: DROP, or any combination of DUPLICATE, CORRUPT and DELAY. */
    int decide() {
        if (random.nextDouble() < loss) {
            dropped++;
            return DROP;
        }
        int fate = PASS;
        if (random.nextDouble() < duplicate) {
            fate |= DUPLICATE;
            duplicated++;
        }
        if (random.nextDouble() < corrupt) {
            fate |= CORRUPT;
            corrupted++;
        }
        if (random.nextDouble() < reorder) {
            fate |= DELAY;
            delayed++;
        }
        return fate;
    }

    /**
     * Applies one fate to the packet at absolute {@code [offset, offset + length)}: corrupts it in place, holds a
     * duplicate and/or the packet itself in the delay line.
     *
     * @return true when the packet goes on now, false when it was dropped or held back
     */
    boolean apply(ByteBuffer buf, int offset, int length, long now) {
        int fate = decide();
        if (fate == DROP) {
            return false;
        }
        if ((fate & CORRUPT) != 0) {
            corrupt(buf, offset, length);
        }
        if ((fate & DUPLICATE) != 0) {
            hold(buf, offset, length, now);
        }
        return (fate & DELAY) == 0 || !hold(buf, offset, length, now);
    }

    /** Flips one random bit of the packet at absolute {@code [offset, offset + length)}. */
    void corrupt(ByteBuffer buf, int offset, int length) {
        int bit = random.nextInt(length * 8);
        int at = offset + bit / 8;
        buf.put(at, (byte) (buf.get(at) ^ (1 << (bit & 7))));
    }

    /**
     * Holds a copy of the packet until {@code now + delay}.
     *
     * @return false when the delay line is full (the caller sends it now)
     */
    boolean hold(ByteBuffer buf, int offset, int length, long now) {
        if (count == slots.length || length > slots[0].length) {
            return false;
        }
        int i = (head + count) % slots.length;
        buf.get(offset, slots[i], 0, length);
        lengths[i] = length;
        releaseAt[i] = now + delayNanos;
        count++;
        return true;
    }

    /**
     * Copies the next packet due by {@code now} into {@code dst} at absolute {@code offset}.
     *
     * @return its length, or -1 when none is due
     */
    int releaseNext(long now, ByteBuffer dst, int offset) {
        if (count == 0 || releaseAt[head] - now > 0) {
            return -1;
        }
        int len = lengths[head];
        dst.put(offset, slots[head], 0, len);
        head = (head + 1) % slots.length;
        count--;
        return len;
    }

    /** @return packets waiting in the delay line */
    int held() {
        return count;
    }

    @Override
    public String toString() {
        return "dropped=" + dropped + " duplicated=" + duplicated + " corrupted=" + corrupted + " delayed=" + delayed;
    }
}
