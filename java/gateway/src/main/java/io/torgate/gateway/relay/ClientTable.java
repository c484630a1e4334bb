package io.torgate.gateway.relay;

import java.util.ArrayList;
import java.util.List;

/**
 * A shard's {@link ClientStats} by client address: open addressing over a fixed power-of-two array, so a lookup
 * of a known client allocates nothing; a new client allocates its entry once. At most {@code capacity} clients are
 * tracked one by one (the client ranges bound them; a range as large as a /8 could not be held); later ones share
 * one overflow entry with address 0, so a flood of new sources cannot grow memory.
 *
 * <p>Ownership: confined to one shard worker thread.
 */
final class ClientTable {
    private final ClientStats[] slots;
    private final int capacity;
    private final ClientStats overflow = new ClientStats(0);
    private int size;

    ClientTable(int capacity) {
        this.capacity = capacity;
        this.slots = new ClientStats[Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2];
    }

    /** The entry of {@code client}, created on first use. */
    ClientStats of(int client) {
        int mask = slots.length - 1;
        int i = mix(client) & mask;
        for (ClientStats s; (s = slots[i]) != null; i = (i + 1) & mask) {
            if (s.client == client) {
                return s;
            }
        }
        if (size >= capacity) {
            return overflow;
        }
        ClientStats s = new ClientStats(client);
        slots[i] = s;
        size++;
        return s;
    }

    /** Copies of every entry (and the overflow entry when it counted anything). Allocates. */
    List<ClientStats> copies() {
        List<ClientStats> out = new ArrayList<>(size + 1);
        for (ClientStats s : slots) {
            if (s != null) {
                out.add(s.copy());
            }
        }
        if (overflow.streamsOpened + overflow.dnsQueries + overflow.dropsTotal() > 0) {
            out.add(overflow.copy());
        }
        return out;
    }

    private static int mix(int x) {
        int h = x * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
