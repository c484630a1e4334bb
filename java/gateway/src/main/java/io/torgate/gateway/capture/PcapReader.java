package io.torgate.gateway.capture;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads IP packets from a classic pcap (micro- or nanosecond, either byte order) or a pcapng file (any number of
 * sections and interfaces, Enhanced and Simple Packet Blocks), whatever the link layer tcpdump or Wireshark used:
 * Ethernet (with one 802.1Q tag), raw IP, Linux cooked v1/v2, BSD loopback. Frames that carry no IPv4/IPv6
 * (ARP, LLDP) are skipped and counted. pcapng's {@code epb_flags} direction and {@code opt_comment} are exposed.
 *
 * <p>Offline tool (replay, tests): allocates freely. Ownership: one thread. Not thread-safe.
 */
public final class PcapReader implements AutoCloseable {
    /** Unknown direction (classic pcap, or pcapng without {@code epb_flags}). */
    public static final int UNKNOWN = -1;

    private static final int PCAPNG_SHB = 0x0A0D0D0A;
    private static final int MAX_BLOCK = 1 << 24;

    private final DataInputStream in;
    private final boolean pcapng;
    private ByteOrder order = ByteOrder.BIG_ENDIAN;
    private boolean nanos;
    private int classicLinkType;
    private final List<long[]> interfaces = new ArrayList<>(); // {linkType, nanosPerTick numerator, divisor}
    private ByteBuffer packet = ByteBuffer.allocate(0);
    private int ipOffset;
    private int ipLength;
    private long timestampNanos;
    private int direction;
    private String comment;
    private long skipped;

    private PcapReader(InputStream stream) throws IOException {
        this.in = new DataInputStream(new BufferedInputStream(stream, 1 << 16));
        int magic = in.readInt();
        pcapng = magic == PCAPNG_SHB;
        if (pcapng) {
            readSectionHeader();
            return;
        }
        switch (magic) {
            case 0xA1B2C3D4 -> order = ByteOrder.BIG_ENDIAN;
            case 0xD4C3B2A1 -> order = ByteOrder.LITTLE_ENDIAN;
            case 0xA1B23C4D -> { order = ByteOrder.BIG_ENDIAN; nanos = true; }
            case 0x4D3CB2A1 -> { order = ByteOrder.LITTLE_ENDIAN; nanos = true; }
            default -> throw new IOException(String.format("not a pcap or pcapng file (magic %08x)", magic));
        }
        ByteBuffer h = read(20);
        h.position(16);
        classicLinkType = h.getInt() & 0xFFFF;
    }

    /** Opens a capture file. */
    public static PcapReader open(Path file) throws IOException {
        InputStream s = Files.newInputStream(file);
        try {
            return new PcapReader(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Advances to the next IP packet.
     *
     * @return false at the end of the file
     * @throws IOException when the file is truncated or corrupt
     */
    public boolean next() throws IOException {
        while (true) {
            int linkType = pcapng ? nextPcapngPacket() : nextClassicPacket();
            if (linkType < 0) {
                return false;
            }
            if (locateIp(linkType)) {
                return true;
            }
            skipped++;
        }
    }

    private int nextClassicPacket() throws IOException {
        ByteBuffer h;
        try {
            h = read(16);
        } catch (EOFException e) {
            return -1;
        }
        long seconds = h.getInt() & 0xFFFFFFFFL;
        long fraction = h.getInt() & 0xFFFFFFFFL;
        int captured = h.getInt();
        h.getInt();
        timestampNanos = seconds * 1_000_000_000L + (nanos ? fraction : fraction * 1000);
        readPacket(captured);
        direction = UNKNOWN;
        comment = null;
        return classicLinkType;
    }

    private int nextPcapngPacket() throws IOException {
        while (true) {
            int type;
            try {
                type = in.readInt();
            } catch (EOFException e) {
                return -1;
            }
            if (type == PCAPNG_SHB) {
                readSectionHeader();
                continue;
            }
            ByteBuffer body = readBlockBody();
            type = order == ByteOrder.BIG_ENDIAN ? type : Integer.reverseBytes(type);
            switch (type) {
                case 1 -> readInterface(body);
                case 6 -> { return readEnhancedPacket(body); }
                case 3 -> { return readSimplePacket(body); }
                default -> { } // statistics, name resolution, custom blocks: not needed
            }
        }
    }

    private void readSectionHeader() throws IOException {
        int rawLength = in.readInt();
        int magic = in.readInt();
        order = magic == 0x1A2B3C4D ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        if (magic != 0x1A2B3C4D && Integer.reverseBytes(magic) != 0x1A2B3C4D) {
            throw new IOException("bad pcapng byte-order magic");
        }
        int length = order == ByteOrder.BIG_ENDIAN ? rawLength : Integer.reverseBytes(rawLength);
        if (length < 28 || length > MAX_BLOCK || (length & 3) != 0) {
            throw new IOException("bad pcapng section header length " + length);
        }
        read(length - 12);
        interfaces.clear();
    }

    private ByteBuffer readBlockBody() throws IOException {
        int length = read(4).getInt();
        if (length < 12 || length > MAX_BLOCK || (length & 3) != 0) {
            throw new IOException("bad pcapng block length " + length);
        }
        return read(length - 8); // body plus the trailing copy of the length
    }

    private void readInterface(ByteBuffer b) {
        int linkType = b.getShort() & 0xFFFF;
        b.getShort();
        b.getInt();
        long[] iface = {linkType, 1_000_000}; // default if_tsresol: microseconds
        options(b, (code, at, len) -> {
            if (code == 9 && len == 1) {
                int v = b.get(at) & 0xFF;
                iface[1] = (v & 0x80) == 0 ? pow(10, v) : 1L << (v & 0x7F);
            }
        });
        interfaces.add(iface);
    }

    private int readEnhancedPacket(ByteBuffer b) throws IOException {
        long[] iface = iface(b.getInt());
        long ticks = (b.getInt() & 0xFFFFFFFFL) << 32 | (b.getInt() & 0xFFFFFFFFL);
        int captured = b.getInt();
        b.getInt();
        if (captured < 0 || captured > b.remaining() - 4) {
            throw new IOException("bad pcapng packet length " + captured);
        }
        timestampNanos = ticks / iface[1] * 1_000_000_000L + (ticks % iface[1]) * 1_000_000_000L / iface[1];
        setPacket(b, captured);
        b.position(b.position() + PcapngWriter.pad(captured));
        direction = UNKNOWN;
        comment = null;
        options(b, (code, at, len) -> {
            if (code == 2 && len == 4) {
                int flags = b.getInt(at) & 3;
                direction = flags == 1 ? CaptureTap.RECEIVED : flags == 2 ? CaptureTap.SENT : UNKNOWN;
            } else if (code == 1) {
                comment = new String(b.array(), b.arrayOffset() + at, len, StandardCharsets.UTF_8);
            }
        });
        return (int) iface[0];
    }

    private int readSimplePacket(ByteBuffer b) throws IOException {
        long[] iface = iface(0);
        int length = b.getInt();
        setPacket(b, Math.min(length, b.remaining() - 4));
        timestampNanos = 0;
        direction = UNKNOWN;
        comment = null;
        return (int) iface[0];
    }

    private long[] iface(int id) throws IOException {
        if (id < 0 || id >= interfaces.size()) {
            throw new IOException("pcapng packet for undeclared interface " + id);
        }
        return interfaces.get(id);
    }

    private void readPacket(int captured) throws IOException {
        if (captured < 0 || captured > MAX_BLOCK) {
            throw new IOException("bad pcap record length " + captured);
        }
        ensure(captured);
        in.readFully(packet.array(), 0, captured);
        packet.limit(captured);
    }

    private void setPacket(ByteBuffer b, int length) {
        ensure(length);
        b.get(b.position(), packet.array(), 0, length);
        packet.limit(length);
    }

    private void ensure(int length) {
        if (packet.capacity() < length) {
            packet = ByteBuffer.allocate(Math.max(length, 2048));
        }
        packet.clear();
    }

    /** Finds the IP header behind the link-layer header; false for frames that carry no IP. */
    private boolean locateIp(int linkType) {
        int len = packet.limit();
        int off;
        int proto;
        switch (linkType) {
            case 1 -> { // Ethernet, one optional 802.1Q tag
                off = 14;
                proto = len >= 14 ? packet.getShort(12) & 0xFFFF : 0;
                if (proto == 0x8100 && len >= 18) {
                    proto = packet.getShort(16) & 0xFFFF;
                    off = 18;
                }
            }
            case 113 -> { off = 16; proto = len >= 16 ? packet.getShort(14) & 0xFFFF : 0; } // Linux cooked v1
            case 276 -> { off = 20; proto = len >= 20 ? packet.getShort(0) & 0xFFFF : 0; } // Linux cooked v2
            case 0 -> { off = 4; proto = 0x0800; } // BSD loopback: the version nibble decides below
            case 12, 14, 101, 228, 229 -> { off = 0; proto = 0x0800; } // raw IP
            default -> { return false; }
        }
        if ((proto != 0x0800 && proto != 0x86DD) || len <= off) {
            return false;
        }
        ipOffset = off;
        ipLength = len - off;
        return true;
    }

    /** One pcapng option: its code, the absolute index of its value and the value's length. */
    private interface OptionVisitor {
        void option(int code, int at, int length);
    }

    /** Walks the options from the buffer's position up to opt_endofopt or the block's trailing length. */
    private static void options(ByteBuffer b, OptionVisitor visitor) {
        while (b.remaining() >= 8) {
            int code = b.getShort() & 0xFFFF;
            int len = b.getShort() & 0xFFFF;
            if (code == 0 || len > b.remaining() - 4) {
                return;
            }
            visitor.option(code, b.position(), len);
            b.position(b.position() + PcapngWriter.pad(len));
        }
    }

    private ByteBuffer read(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return ByteBuffer.wrap(b).order(order);
    }

    private static long pow(int base, int exponent) {
        long r = 1;
        for (int i = 0; i < exponent && r < Long.MAX_VALUE / base; i++) {
            r *= base;
        }
        return r;
    }

    /** The current frame's bytes (big-endian); the IP packet is at {@link #ipOffset()}. */
    public ByteBuffer buffer() {
        return packet;
    }

    public int ipOffset() {
        return ipOffset;
    }

    public int ipLength() {
        return ipLength;
    }

    /** Capture timestamp, nanoseconds since the epoch. */
    public long timestampNanos() {
        return timestampNanos;
    }

    /** {@link CaptureTap#RECEIVED}, {@link CaptureTap#SENT} (pcapng inbound/outbound) or {@link #UNKNOWN}. */
    public int direction() {
        return direction;
    }

    /** The pcapng packet comment, or null. */
    public String comment() {
        return comment;
    }

    /** Frames skipped because they carry no IP. */
    public long skipped() {
        return skipped;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
