package io.torgate.gateway.dns;

/**
 * Resolve-mode answers keyed by (client, query type, name), least recently used evicted first. The client is part
 * of the key, so two VMs never share an entry (what one VM looked up is not observable by another through our
 * cache's timing), and each entry remembers the client's identity epoch: after "new identity" the old entries
 * no longer match. An entry is {@link #PENDING} while its RESOLVE is in flight, which is how identical queries
 * are coalesced onto one lookup.
 *
 * <p>Ownership: confined to the DNS agent thread. Not thread-safe. Lookups ({@link #find}) do not allocate.
 */
final class ResolveCache {
    static final byte PENDING = 1;
    static final byte POSITIVE = 2;
    static final byte NXDOMAIN = 3;
    static final byte NODATA = 4;

    private final NameTable table;
    private final byte[] state;
    private final long[] expires;
    private final long[] epochs;
    private final int[] addresses;
    private final String[] pointers;
    private final Lookup[] lookups;

    ResolveCache(int capacity) {
        table = new NameTable(capacity);
        state = new byte[capacity];
        expires = new long[capacity];
        epochs = new long[capacity];
        addresses = new int[capacity];
        pointers = new String[capacity];
        lookups = new Lookup[capacity];
    }

    /** The slot of a key whose entry belongs to {@code epoch}, or -1 (an entry of an older epoch is dropped). */
    int find(int client, int type, QueryName name, long epoch) {
        int slot = table.find(client, type, name);
        if (slot >= 0 && epochs[slot] != epoch) {
            if (state[slot] == PENDING) {
                lookups[slot].cacheSlot = -1;
            }
            remove(slot);
            return -1;
        }
        return slot;
    }

    /** Adds a pending entry for a lookup; an evicted pending entry's lookup is told it has no slot any more. */
    int insertPending(int client, int type, QueryName name, long epoch, Lookup lookup) {
        int slot = table.insert(client, type, name, -1);
        int evicted = table.lastEvicted();
        if (evicted >= 0 && state[evicted] == PENDING && lookups[evicted] != null) {
            lookups[evicted].cacheSlot = -1;
        }
        state[slot] = PENDING;
        epochs[slot] = epoch;
        lookups[slot] = lookup;
        pointers[slot] = null;
        lookup.cacheSlot = slot;
        return slot;
    }

    /** Turns an expired entry back into a pending one for a new lookup. */
    void setPending(int slot, Lookup lookup) {
        state[slot] = PENDING;
        lookups[slot] = lookup;
        pointers[slot] = null;
        lookup.cacheSlot = slot;
        table.touch(slot);
    }

    /** Stores a lookup's outcome in its slot. */
    void store(int slot, byte outcome, int address, String pointer, long expiresAt) {
        state[slot] = outcome;
        addresses[slot] = address;
        pointers[slot] = pointer;
        expires[slot] = expiresAt;
        lookups[slot] = null;
    }

    void remove(int slot) {
        lookups[slot] = null;
        pointers[slot] = null;
        state[slot] = 0;
        table.remove(slot);
    }

    void touch(int slot) {
        table.touch(slot);
    }

    byte state(int slot) {
        return state[slot];
    }

    long expires(int slot) {
        return expires[slot];
    }

    int address(int slot) {
        return addresses[slot];
    }

    String pointer(int slot) {
        return pointers[slot];
    }

    Lookup lookup(int slot) {
        return lookups[slot];
    }

    int size() {
        return table.size();
    }
}
