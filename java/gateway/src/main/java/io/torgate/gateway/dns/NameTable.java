package io.torgate.gateway.dns;

/**
 * A fixed-capacity table of (client, type, canonical name) keys in slots {@code 0 .. capacity-1}, found through
 * an open-addressing index (linear probing, backward-shift deletion, so no tombstones accumulate) and kept in
 * least-recently-used order by an intrusive doubly linked list over int arrays. The cache and the virtual map
 * keep their values in parallel arrays indexed by slot.
 *
 * <p>Allocation: {@link #find} and {@link #touch} never allocate; {@link #insert} copies the name into the slot's
 * array, allocating only when that array is too short for it.
 *
 * <p>Ownership: confined to the DNS agent thread. Not thread-safe.
 */
final class NameTable {
    private static final int EMPTY = 0;

    private final int capacity;
    private final int[] index;
    private final int mask;
    private final int[] hashes;
    private final int[] clients;
    private final int[] types;
    private final byte[][] names;
    private final int[] nameLengths;
    private final boolean[] used;
    private final int[] prev;
    private final int[] next;
    private int oldest = -1;
    private int newest = -1;
    private int size;
    private int scan;
    private int lastEvicted = -1;

    NameTable(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1");
        }
        this.capacity = capacity;
        int cells = Integer.highestOneBit(Math.max(2, capacity * 2 - 1)) << 1;
        this.index = new int[cells];
        this.mask = cells - 1;
        this.hashes = new int[capacity];
        this.clients = new int[capacity];
        this.types = new int[capacity];
        this.names = new byte[capacity][];
        this.nameLengths = new int[capacity];
        this.used = new boolean[capacity];
        this.prev = new int[capacity];
        this.next = new int[capacity];
    }

    int capacity() {
        return capacity;
    }

    int size() {
        return size;
    }

    static int keyHash(int client, int type, QueryName name) {
        int h = name.hash ^ client * 0x9E3779B1 ^ type * 0x85EBCA6B;
        h ^= h >>> 16;
        h *= 0x7FEB352D;
        return h ^ (h >>> 15);
    }

    /** The slot holding the key, or -1. */
    int find(int client, int type, QueryName name) {
        int h = keyHash(client, type, name);
        for (int i = h & mask; index[i] != EMPTY; i = (i + 1) & mask) {
            int s = index[i] - 1;
            if (hashes[s] == h && clients[s] == client && types[s] == type
                && name.equalsBytes(names[s], nameLengths[s])) {
                return s;
            }
        }
        return -1;
    }

    /**
     * Adds a key that is not present, as the most recently used. When the table is full the least recently used
     * slot is removed first and reused; {@code evicted} says so.
     *
     * @param slot the slot to use, or -1 for any free one
     * @return the slot
     */
    int insert(int client, int type, QueryName name, int slot) {
        lastEvicted = -1;
        int s = slot;
        if (s < 0) {
            s = size == capacity ? evictOldest() : nextFree();
        } else if (used[s]) {
            remove(s);
        }
        int h = keyHash(client, type, name);
        hashes[s] = h;
        clients[s] = client;
        types[s] = type;
        if (names[s] == null || names[s].length < name.length) {
            names[s] = new byte[name.length];
        }
        System.arraycopy(name.bytes, 0, names[s], 0, name.length);
        nameLengths[s] = name.length;
        used[s] = true;
        size++;
        int i = h & mask;
        while (index[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        index[i] = s + 1;
        linkNewest(s);
        return s;
    }

    /** Slot evicted by the last {@link #insert}, or -1. */
    int lastEvicted() {
        return lastEvicted;
    }

    private int evictOldest() {
        int s = oldest;
        remove(s);
        lastEvicted = s;
        return s;
    }

    private int nextFree() {
        while (used[scan]) {
            scan++;
        }
        return scan;
    }

    /** Marks a slot most recently used. */
    void touch(int slot) {
        if (newest == slot) {
            return;
        }
        unlink(slot);
        linkNewest(slot);
    }

    boolean isUsed(int slot) {
        return used[slot];
    }

    /** Removes a used slot. */
    void remove(int slot) {
        if (!used[slot]) {
            return;
        }
        int i = hashes[slot] & mask;
        while (index[i] != slot + 1) {
            i = (i + 1) & mask;
        }
        deleteCell(i);
        unlink(slot);
        used[slot] = false;
        size--;
        scan = Math.min(scan, slot);
    }

    /** Backward-shift deletion (Knuth 6.4 algorithm R): later cells of the probe run move up into the gap. */
    private void deleteCell(int gap) {
        int i = gap;
        while (true) {
            i = (i + 1) & mask;
            if (index[i] == EMPTY) {
                break;
            }
            int home = hashes[index[i] - 1] & mask;
            // Move the entry at i into the gap unless its home lies cyclically in (gap, i].
            boolean stays = gap <= i ? (home > gap && home <= i) : (home > gap || home <= i);
            if (!stays) {
                index[gap] = index[i];
                gap = i;
            }
        }
        index[gap] = EMPTY;
    }

    /** Least recently used slot, or -1 when empty. */
    int oldest() {
        return oldest;
    }

    /** The slot used after {@code slot} (toward the newest), or -1. */
    int newer(int slot) {
        return next[slot];
    }

    int client(int slot) {
        return clients[slot];
    }

    int type(int slot) {
        return types[slot];
    }

    byte[] name(int slot) {
        return names[slot];
    }

    int nameLength(int slot) {
        return nameLengths[slot];
    }

    private void linkNewest(int s) {
        prev[s] = newest;
        next[s] = -1;
        if (newest >= 0) {
            next[newest] = s;
        } else {
            oldest = s;
        }
        newest = s;
    }

    private void unlink(int s) {
        int p = prev[s];
        int n = next[s];
        if (p >= 0) {
            next[p] = n;
        } else {
            oldest = n;
        }
        if (n >= 0) {
            prev[n] = p;
        } else {
            newest = p;
        }
    }
}
