package io.torgate.stack;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Map from an IPv4 TCP 4-tuple to the flow's state (usually its {@code TcpConnection}): open addressing with linear
 * probing and backward-shift deletion (no tombstones, so lookups never slow down with churn), sized at construction
 * for at most {@code maxFlows} entries at a load factor of at most 1/2.
 *
 * <p>Keys are held unboxed in primitive arrays, so {@code get}, {@code put} and {@code remove} never allocate. The
 * hash is keyed by a per-table random seed: tuples chosen by an attacker cannot be aimed at one probe run.
 *
 * <p>Full table: {@link #put} of a new key when {@link #size()} equals {@link #maxFlows()} throws
 * {@link IllegalStateException} and changes nothing. Callers admitting new flows from the network check
 * {@link #isFull()} first (and refuse or drop the SYN), or use {@link #tryPut}, which returns false instead; the
 * exception therefore only signals a caller bug.
 *
 * <p>Ownership and thread-safety: owned by one worker thread, which alone reads and writes it; not thread-safe.
 *
 * @param <V> flow state; null values are not allowed
 */
public final class FlowTable<V> {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final long[] addrs;
    private final int[] ports;
    private final Object[] values;
    private final int mask;
    private final int maxFlows;
    private final long seed;
    private int size;

    /** A table for {@code maxFlows} flows with a random hash seed. */
    public FlowTable(int maxFlows) {
        this(maxFlows, new SecureRandom().nextLong());
    }

    /**
     * @param maxFlows most entries, 1 .. 2<sup>29</sup>
     * @param seed hash key (fixed seeds are for tests)
     */
    public FlowTable(int maxFlows, long seed) {
        if (maxFlows <= 0 || maxFlows > 1 << 29) {
            throw new IllegalArgumentException("maxFlows must be 1 .. 2^29: " + maxFlows);
        }
        int cap = Integer.highestOneBit(maxFlows * 2 - 1) << 1;
        this.addrs = new long[cap];
        this.ports = new int[cap];
        this.values = new Object[cap];
        this.mask = cap - 1;
        this.maxFlows = maxFlows;
        this.seed = seed;
    }

    public int size() {
        return size;
    }

    public int maxFlows() {
        return maxFlows;
    }

    public boolean isFull() {
        return size >= maxFlows;
    }

    /** @return the value for the tuple, or null */
    @SuppressWarnings("unchecked")
    public V get(int srcAddr, int srcPort, int dstAddr, int dstPort) {
        int i = indexOf(addrKey(srcAddr, dstAddr), portKey(srcPort, dstPort));
        return i < 0 ? null : (V) values[i];
    }

    /**
     * Maps the tuple to {@code v}.
     *
     * @return the previous value, or null when the tuple was new
     * @throws IllegalStateException when the tuple is new and the table is full (nothing changes)
     */
    public V put(int srcAddr, int srcPort, int dstAddr, int dstPort, V v) {
        long a = addrKey(srcAddr, dstAddr);
        int p = portKey(srcPort, dstPort);
        int i = indexOf(a, p);
        if (i >= 0) {
            @SuppressWarnings("unchecked")
            V old = (V) values[i];
            values[i] = requireValue(v);
            return old;
        }
        if (size >= maxFlows) {
            throw new IllegalStateException("flow table full: " + maxFlows + " flows");
        }
        insert(a, p, requireValue(v));
        return null;
    }

    /**
     * Maps the tuple to {@code v} unless the tuple is new and the table is full.
     *
     * @return true when stored (added or replaced), false when the table was full
     */
    public boolean tryPut(int srcAddr, int srcPort, int dstAddr, int dstPort, V v) {
        long a = addrKey(srcAddr, dstAddr);
        int p = portKey(srcPort, dstPort);
        int i = indexOf(a, p);
        if (i >= 0) {
            values[i] = requireValue(v);
            return true;
        }
        if (size >= maxFlows) {
            return false;
        }
        insert(a, p, requireValue(v));
        return true;
    }

    /** @return the removed value, or null when the tuple was absent */
    public V remove(int srcAddr, int srcPort, int dstAddr, int dstPort) {
        int i = indexOf(addrKey(srcAddr, dstAddr), portKey(srcPort, dstPort));
        if (i < 0) {
            return null;
        }
        @SuppressWarnings("unchecked")
        V old = (V) values[i];
        deleteAt(i);
        return old;
    }

    /**
     * Passes every value to {@code action}, in table order. The action must not add or remove entries (collect
     * the keys to remove first); replacing the value of the current key is fine.
     */
    @SuppressWarnings("unchecked")
    public void forEach(Consumer<? super V> action) {
        for (Object v : values) {
            if (v != null) {
                action.accept((V) v);
            }
        }
    }

    /** Removes every entry. */
    public void clear() {
        Arrays.fill(values, null);
        size = 0;
    }

    private void insert(long a, int p, Object v) {
        int i = home(a, p);
        while (values[i] != null) {
            i = (i + 1) & mask;
        }
        addrs[i] = a;
        ports[i] = p;
        values[i] = v;
        size++;
    }

    private int indexOf(long a, int p) {
        for (int i = home(a, p); values[i] != null; i = (i + 1) & mask) {
            if (addrs[i] == a && ports[i] == p) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Backward-shift deletion (Knuth 6.4 algorithm R): empties slot {@code hole}, then moves later entries of the
     * probe run back into the hole unless that would put them before their home slot.
     */
    private void deleteAt(int hole) {
        values[hole] = null;
        size--;
        for (int i = (hole + 1) & mask; values[i] != null; i = (i + 1) & mask) {
            int home = home(addrs[i], ports[i]);
            // The entry may fill the hole when its home is cyclically outside (hole, i].
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                addrs[hole] = addrs[i];
                ports[hole] = ports[i];
                values[hole] = values[i];
                values[i] = null;
                hole = i;
            }
        }
    }

    private int home(long a, int p) {
        long h = (a ^ seed) * GOLDEN;
        h ^= (p ^ (seed >>> 32)) * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 29;
        h *= 0x94D049BB133111EBL;
        h ^= h >>> 32;
        return (int) h & mask;
    }

    private static long addrKey(int srcAddr, int dstAddr) {
        return ((long) srcAddr << 32) | (dstAddr & 0xFFFFFFFFL);
    }

    private static int portKey(int srcPort, int dstPort) {
        return (srcPort << 16) | (dstPort & 0xFFFF);
    }

    private static <V> V requireValue(V v) {
        if (v == null) {
            throw new NullPointerException("flow value");
        }
        return v;
    }
}
