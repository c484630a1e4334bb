package io.torgate.gateway.dns;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Mapped mode (like tor's {@code VirtualAddrNetworkIPv4} with {@code AutomapHostsOnResolve}): each new host name
 * gets an address from the virtual range at once, with no Tor round trip; a later CONNECT to that address carries
 * the name ({@link HostnameMap}). Slot {@code i} of the table is address {@code base + 1 + i}, so an address
 * always denotes one slot; when the table is full the least recently queried name loses its address to the new
 * one.
 *
 * <p>Persistence: {@link #save} writes {@code a.b.c.d name} lines, least recently used first, to a temporary file
 * (mode 0600: it lists names the VMs looked up), forces it to disk and renames it over the old one
 * ({@code ATOMIC_MOVE}), so a crash leaves either the old or the new map, never half of one. {@link #load} puts
 * the lines back in the same order, which restores the same addresses and the same LRU order.
 *
 * <p>Thread-safety: mutation ({@link #map}, {@link #load}) and {@link #save} are confined to the DNS agent
 * thread; {@link #hostnameFor} and {@link #isVirtual} may be called from any thread (the names are published
 * through an {@link AtomicReferenceArray}).
 */
final class VirtualMap implements HostnameMap {
    private static final Logger LOG = System.getLogger(VirtualMap.class.getName());

    private final int base;
    private final int rangeMask;
    private final int size;
    private final NameTable table;
    private final AtomicReferenceArray<String> hostnames;
    private final QueryName scratch = new QueryName();
    private boolean dirty;

    /**
     * @param network  the virtual range's network address (e.g. 10.192.0.0)
     * @param prefix   its prefix length, 8..30
     * @param capacity most names kept; at most the range size minus its network and broadcast addresses
     */
    VirtualMap(int network, int prefix, int capacity) {
        if (prefix < 8 || prefix > 30) {
            throw new IllegalArgumentException("virtual range prefix must be 8..30");
        }
        long addresses = 1L << (32 - prefix);
        this.base = network & (int) (0xFFFF_FFFFL << (32 - prefix));
        this.size = (int) Math.min(addresses - 2, capacity);
        if (size < 1) {
            throw new IllegalArgumentException("virtual map capacity must be >= 1");
        }
        this.table = new NameTable(size);
        this.hostnames = new AtomicReferenceArray<>(size);
        this.rangeMask = (int) (0xFFFF_FFFFL << (32 - prefix));
    }

    @Override
    public boolean isVirtual(int address) {
        return (address & rangeMask) == base;
    }

    @Override
    public String hostnameFor(int address) {
        int slot = address - base - 1;
        return isVirtual(address) && slot >= 0 && slot < size ? hostnames.get(slot) : null;
    }

    /** The address of {@code name}, assigning one (and evicting the LRU name when full) if it has none. */
    int map(QueryName name) {
        int slot = table.find(0, 0, name);
        if (slot >= 0) {
            table.touch(slot);
        } else {
            slot = table.insert(0, 0, name, -1);
            hostnames.set(slot, name.dotted());
            dirty = true;
        }
        return base + 1 + slot;
    }

    /** The canonical name bytes mapped to {@code address}'s slot, or -1 when none; for PTR answers. */
    int slotOf(int address) {
        int slot = address - base - 1;
        return isVirtual(address) && slot >= 0 && slot < size && table.isUsed(slot) ? slot : -1;
    }

    int size() {
        return table.size();
    }

    int capacity() {
        return size;
    }

    /** True when names were added since the last save or load. */
    boolean dirty() {
        return dirty;
    }

    /** Writes the map atomically (see the class comment). */
    void save(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".dnsmap", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream os = Channels.newOutputStream(ch);
                 BufferedWriter w = new BufferedWriter(new java.io.OutputStreamWriter(os, StandardCharsets.UTF_8))) {
                w.write("# torgate DNS virtual map: address name, least recently used first\n");
                for (int s = table.oldest(); s >= 0; s = table.newer(s)) {
                    w.write(formatAddress(base + 1 + s));
                    w.write(' ');
                    w.write(hostnames.get(s));
                    w.write('\n');
                }
                w.flush();
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            dirty = false;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Loads a saved map (a missing file is an empty map). Lines with a bad address, an address outside the range
     * or a bad name are skipped and counted.
     *
     * @return lines skipped
     */
    int load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        int skipped = 0;
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            if (!loadLine(line)) {
                skipped++;
            }
        }
        if (skipped > 0) {
            LOG.log(Level.WARNING, "{0}: skipped {1} bad lines", file, skipped);
        }
        dirty = false;
        return skipped;
    }

    private boolean loadLine(String line) {
        int sp = line.indexOf(' ');
        if (sp < 0) {
            return false;
        }
        long address = parseAddress(line.substring(0, sp));
        String name = line.substring(sp + 1).trim();
        if (address < 0 || !scratch.load(name) || scratch.labels == 0) {
            return false;
        }
        int slot = slotIndex((int) address);
        if (slot < 0) {
            return false;
        }
        int old = table.find(0, 0, scratch);
        if (old >= 0) {
            table.remove(old);
            hostnames.set(old, null);
        }
        table.insert(0, 0, scratch, slot);
        hostnames.set(slot, scratch.dotted());
        return true;
    }

    private int slotIndex(int address) {
        int slot = address - base - 1;
        return isVirtual(address) && slot >= 0 && slot < size ? slot : -1;
    }

    static String formatAddress(int a) {
        return (a >>> 24) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }

    /** Parses a dotted quad; -1 when it is not one. Never touches a resolver. */
    static long parseAddress(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return -1;
        }
        long a = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                return -1;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return -1;
            }
            a = a << 8 | v;
        }
        return a;
    }
}
