package io.torgate.stack;

/**
 * A bounded, sorted set of disjoint, non-touching sequence-number ranges {@code [left, right)}, each stamped with
 * the time of its last update. It backs the receiver's out-of-order map and the sender's SACK scoreboard
 * (RFC 2018). Ranges are ordered by their distance from a base the owner keeps (RCV.NXT or SND.UNA); every range
 * must lie within 2<sup>31</sup> bytes after that base so modulo-2<sup>32</sup> comparisons (RFC 9293 §3.4) hold.
 *
 * <p>Storage is three fixed arrays allocated in the constructor; no method allocates. When all slots are taken a
 * new disjoint range evicts the range farthest from the base if it lies nearer, otherwise it is refused: the
 * nearest ranges matter most (they fill or describe the first holes).
 *
 * <p>Ownership and thread-safety: package-private helper owned by one buffer; not thread-safe.
 */
final class SeqRanges {
    private final int[] left;
    private final int[] right;
    private final long[] stamp;
    private int count;

    SeqRanges(int max) {
        left = new int[max];
        right = new int[max];
        stamp = new long[max];
    }

    int count() {
        return count;
    }

    int left(int i) {
        return left[i];
    }

    int right(int i) {
        return right[i];
    }

    long stamp(int i) {
        return stamp[i];
    }

    void clear() {
        count = 0;
    }

    /** @return bytes covered by all ranges */
    int bytes() {
        int sum = 0;
        for (int i = 0; i < count; i++) {
            sum += right[i] - left[i];
        }
        return sum;
    }

    /** @return the index of the range holding {@code seq}, or -1 */
    int find(int seq) {
        for (int i = 0; i < count && left[i] - seq <= 0; i++) {
            if (seq - right[i] < 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Adds {@code [l, r)} (non-empty), merging with ranges it overlaps or touches; the merged range gets
     * {@code now} as its stamp.
     *
     * @return false when no slot was free and the range was refused
     */
    boolean add(int l, int r, long now) {
        int i = 0;
        while (i < count && right[i] - l < 0) {
            i++;
        }
        if (i < count && left[i] - r <= 0) {
            // Overlaps or touches range i: widen it, then swallow the later ranges the new right edge reaches.
            left[i] = later(l, left[i]) ? left[i] : l;
            right[i] = later(r, right[i]) ? r : right[i];
            stamp[i] = now;
            while (i + 1 < count && left[i + 1] - right[i] <= 0) {
                right[i] = later(right[i + 1], right[i]) ? right[i + 1] : right[i];
                remove(i + 1);
            }
            return true;
        }
        if (count == left.length) {
            if (i == count) {
                return false;
            }
            count--;
        }
        System.arraycopy(left, i, left, i + 1, count - i);
        System.arraycopy(right, i, right, i + 1, count - i);
        System.arraycopy(stamp, i, stamp, i + 1, count - i);
        left[i] = l;
        right[i] = r;
        stamp[i] = now;
        count++;
        return true;
    }

    void remove(int i) {
        int tail = count - i - 1;
        System.arraycopy(left, i + 1, left, i, tail);
        System.arraycopy(right, i + 1, right, i, tail);
        System.arraycopy(stamp, i + 1, stamp, i, tail);
        count--;
    }

    /** Drops every byte before {@code base}: ranges wholly below go, a range straddling it is cut. */
    void trimBelow(int base) {
        while (count > 0 && right[0] - base <= 0) {
            remove(0);
        }
        if (count > 0 && left[0] - base < 0) {
            left[0] = base;
        }
    }

    /**
     * Writes ranges into {@code l}/{@code r} by decreasing stamp (most recently updated first, RFC 2018 §4).
     *
     * @return ranges written, at most {@code max} and the arrays' length
     */
    int byRecency(int[] l, int[] r, int max) {
        int n = Math.min(Math.min(max, count), Math.min(l.length, r.length));
        long below = Long.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            int best = -1;
            for (int i = 0; i < count; i++) {
                if (stamp[i] < below && (best < 0 || stamp[i] > stamp[best])) {
                    best = i;
                }
            }
            l[k] = left[best];
            r[k] = right[best];
            below = stamp[best];
        }
        return n;
    }

    /** Modulo-2^32 "a is after b" (RFC 9293 §3.4). */
    private static boolean later(int a, int b) {
        return a - b > 0;
    }
}
