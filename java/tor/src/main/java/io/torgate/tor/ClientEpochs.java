package io.torgate.tor;

/**
 * Per-client identity epochs: every client starts at 0; {@link #bump(int)} ("new identity for this VM") moves one
 * client to its next epoch, which changes all its future isolation keys.
 *
 * <p>Thread-safety: {@link #epoch(int)} is lock-free and allocation-free (it reads an immutable open-addressing
 * table through a volatile field), for shard workers deriving keys; {@link #bump(int)} is rare (an operator
 * command) and copies the table under a lock.
 */
public final class ClientEpochs {
    private record Table(int[] keys, long[] values, boolean[] used, int size) {
    }

    private volatile Table table = new Table(new int[16], new long[16], new boolean[16], 0);

    /** The current epoch of {@code client} (0 if never bumped). */
    public long epoch(int client) {
        Table t = table;
        int mask = t.keys.length - 1;
        for (int i = mix(client) & mask; t.used[i]; i = (i + 1) & mask) {
            if (t.keys[i] == client) {
                return t.values[i];
            }
        }
        return 0;
    }

    /** Moves {@code client} to its next epoch and returns it. */
    public synchronized long bump(int client) {
        long next = epoch(client) + 1;
        Table t = table;
        int cap = t.keys.length;
        if ((t.size + 1) * 2 > cap) {
            cap *= 2;
        }
        Table n = new Table(new int[cap], new long[cap], new boolean[cap], 0);
        n = copyInto(t, n);
        table = put(n, client, next);
        return next;
    }

    private static Table copyInto(Table from, Table to) {
        Table r = to;
        for (int i = 0; i < from.keys.length; i++) {
            if (from.used[i]) {
                r = put(r, from.keys[i], from.values[i]);
            }
        }
        return r;
    }

    private static Table put(Table t, int key, long value) {
        int mask = t.keys.length - 1;
        int i = mix(key) & mask;
        while (t.used[i] && t.keys[i] != key) {
            i = (i + 1) & mask;
        }
        boolean added = !t.used[i];
        t.keys[i] = key;
        t.values[i] = value;
        t.used[i] = true;
        return added ? new Table(t.keys, t.values, t.used, t.size + 1) : t;
    }

    private static int mix(int x) {
        int h = x * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
