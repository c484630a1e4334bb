package io.torgate.stack;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A global cap on buffer bytes across connections (issue 3: "a global budget"), so many connections whose
 * application side stalls cannot together exhaust memory. A connection reserves before it grows (or creates) a
 * buffer and releases when it frees one; when {@link #reserve} fails it advertises a smaller window or refuses
 * the flow instead of queueing without bound.
 *
 * <p>Thread-safety: thread-safe. Several worker threads share one budget; the count is one {@link AtomicLong}
 * updated by compare-and-set, so a reservation either fits entirely or changes nothing. No method allocates.
 */
public final class BufferBudget {
    private final long maxBytes;
    private final AtomicLong used = new AtomicLong();
    /** Reservations refused (memory was short); touched only on that path. */
    private final AtomicLong refusals = new AtomicLong();

    /** @param maxBytes the budget, &ge; 0 */
    public BufferBudget(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * Takes {@code bytes} from the budget if they all fit.
     *
     * @param bytes &ge; 0
     * @return true when reserved, false (nothing reserved) when the budget would be exceeded
     */
    public boolean reserve(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative reservation: " + bytes);
        }
        while (true) {
            long cur = used.get();
            if (cur + bytes > maxBytes) {
                refusals.incrementAndGet();
                return false;
            }
            if (used.compareAndSet(cur, cur + bytes)) {
                return true;
            }
        }
    }

    /**
     * Returns {@code bytes} previously reserved.
     *
     * @throws IllegalArgumentException when {@code bytes} is negative or more than is reserved (a caller bug;
     *     nothing changes)
     */
    public void release(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative release: " + bytes);
        }
        while (true) {
            long cur = used.get();
            if (cur < bytes) {
                throw new IllegalArgumentException("releasing " + bytes + " bytes but only " + cur + " reserved");
            }
            if (used.compareAndSet(cur, cur - bytes)) {
                return;
            }
        }
    }

    /** @return bytes reserved now */
    public long used() {
        return used.get();
    }

    /**
     * @return reservations refused so far: each is a chunk or relay buffer a flow could not have at that moment
     *     (its segment dropped unacknowledged, fewer bytes accepted, or a short wait)
     */
    public long refusals() {
        return refusals.get();
    }

    /** @return the budget */
    public long max() {
        return maxBytes;
    }

    /** @return bytes still available */
    public long available() {
        return maxBytes - used.get();
    }
}
