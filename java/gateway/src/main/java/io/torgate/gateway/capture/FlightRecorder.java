package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * "What just happened": the last {@code packetsPerClient} packets of each of at most {@code maxClients} clients,
 * kept in memory and written out on demand by {@link #dump} (the control socket's {@code capture dump CLIENT}).
 * Memory is bounded by {@code maxClients × packetsPerClient × snapLength} (the gateway uses
 * {@link CaptureOptions#SLOT_LENGTH}, so super-segments are cut here; {@code torgate capture} keeps them whole);
 * a client's ring is allocated when its
 * first packet arrives, and clients beyond the cap are not recorded (counted in {@link #unrecorded()}).
 *
 * <p>A packet belongs to the client that sent it (received, dropped) or that it goes to (sent); packets that are
 * not IPv4 have no client and are not kept.
 *
 * <p>Thread-safety: the tap methods from any threads. The client table is read without locks (keys published
 * with release stores after their ring); each client's ring is guarded by its own monitor, held only for one
 * packet copy (never during disk I/O: {@link #dump} copies the ring out first).
 */
public final class FlightRecorder extends KindTap {
    private static final VarHandle KEYS = MethodHandles.arrayElementVarHandle(int[].class);

    private final int maxClients;
    private final int packetsPerClient;
    private final int snapLength;
    private final int[] keys;
    private final Ring[] rings;
    private final int mask;
    private final EpochClock clock = new EpochClock();
    private final AtomicLong unrecorded = new AtomicLong();
    private int clients;

    public FlightRecorder(int maxClients, int packetsPerClient, int snapLength) {
        if (maxClients < 1 || packetsPerClient < 1 || snapLength < 64) {
            throw new IllegalArgumentException("bad flight recorder size");
        }
        this.maxClients = maxClients;
        this.packetsPerClient = packetsPerClient;
        this.snapLength = snapLength;
        int capacity = Integer.highestOneBit(maxClients * 2 - 1) << 1;
        this.keys = new int[capacity];
        this.rings = new Ring[capacity];
        this.mask = capacity - 1;
    }

    @Override
    void packet(ByteBuffer buf, int offset, int length, int direction, DropReason reason) {
        // Also guards against a caller's out-of-range packet: nothing may throw into a packet thread.
        if (length < 20 || !inBounds(buf, offset, length) || (buf.get(offset) & 0xF0) != 0x40) {
            return;
        }
        int client = buf.getInt(offset + (direction == SENT ? 16 : 12));
        Ring r = ring(client, true);
        if (r == null) {
            unrecorded.incrementAndGet();
            return;
        }
        r.add(buf, offset, length, direction, reason, clock.now());
    }

    /** The ring of a client; creates it when asked and the cap allows (0.0.0.0 is never a client). */
    private Ring ring(int client, boolean create) {
        if (client == 0) {
            return null;
        }
        int i = mix(client) & mask;
        while (true) {
            int k = (int) KEYS.getAcquire(keys, i);
            if (k == client) {
                return rings[i];
            }
            if (k == 0) {
                return create ? insert(client) : null;
            }
            i = (i + 1) & mask;
        }
    }

    private synchronized Ring insert(int client) {
        int i = mix(client) & mask;
        while (keys[i] != 0) {
            if (keys[i] == client) {
                return rings[i];
            }
            i = (i + 1) & mask;
        }
        if (clients == maxClients) {
            return null;
        }
        clients++;
        rings[i] = new Ring(packetsPerClient, snapLength);
        KEYS.setRelease(keys, i, client); // after the ring: a reader that sees the key sees the ring
        return rings[i];
    }

    /** Clients with a ring, in no particular order. */
    public synchronized int[] clients() {
        int[] out = new int[clients];
        int n = 0;
        for (int k : keys) {
            if (k != 0) {
                out[n++] = k;
            }
        }
        return out;
    }

    /** Packets not kept because their client was beyond {@code maxClients}. */
    public long unrecorded() {
        return unrecorded.get();
    }

    /**
     * Writes a client's ring, oldest packet first, to a new pcapng file (drops commented with their reason).
     *
     * @return packets written (0, and an empty capture, when the client has none)
     */
    public int dump(int client, Path path) throws IOException {
        Ring r = ring(client, false);
        Records s = r == null ? new Records(0, snapLength) : r.snapshot();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            PcapngWriter w = new PcapngWriter(ch, snapLength);
            w.writeHeader();
            OffloadChecksums checksums = new OffloadChecksums();
            for (int i = 0; i < s.count; i++) {
                if (OffloadChecksums.applies(s.kinds[i])) {
                    checksums.complete(s.data, i * snapLength, s.lengths[i], s.originalLengths[i]);
                }
                w.writePacket(s.data, i * snapLength, s.lengths[i], s.originalLengths[i], s.timestamps[i],
                    direction(s.kinds[i]), reason(s.kinds[i]));
            }
        }
        return s.count;
    }

    /** Fibonacci hashing: addresses of one subnet differ in the low bits, which this spreads over the table. */
    private static int mix(int address) {
        return (address * 0x9E3779B9) >>> 16;
    }

    /** Packet records in parallel arrays: a ring's storage, or a copy of a ring taken for a dump. */
    private static class Records {
        final int snap;
        final byte[] data;
        final long[] timestamps;
        final int[] lengths;
        final int[] originalLengths;
        final int[] kinds;
        int count;

        Records(int packets, int snap) {
            this.snap = snap;
            this.data = new byte[packets * snap];
            this.timestamps = new long[packets];
            this.lengths = new int[packets];
            this.originalLengths = new int[packets];
            this.kinds = new int[packets];
        }

        void copyFrom(Records r, int from, int to) {
            System.arraycopy(r.data, from * snap, data, to * snap, r.lengths[from]);
            timestamps[to] = r.timestamps[from];
            lengths[to] = r.lengths[from];
            originalLengths[to] = r.originalLengths[from];
            kinds[to] = r.kinds[from];
        }
    }

    /** One client's packets; guarded by its own monitor. */
    private static final class Ring extends Records {
        private long added;

        Ring(int packets, int snap) {
            super(packets, snap);
        }

        synchronized void add(ByteBuffer buf, int offset, int length, int direction, DropReason reason, long ts) {
            int slot = (int) (added % lengths.length);
            int n = Math.min(length, snap);
            buf.get(offset, data, slot * snap, n);
            timestamps[slot] = ts;
            lengths[slot] = n;
            originalLengths[slot] = length;
            kinds[slot] = kind(direction, reason);
            added++;
        }

        synchronized Records snapshot() {
            int n = (int) Math.min(added, lengths.length);
            Records s = new Records(n, snap);
            long first = added - n;
            for (int i = 0; i < n; i++) {
                s.copyFrom(this, (int) ((first + i) % lengths.length), i);
            }
            s.count = n;
            return s;
        }
    }
}
