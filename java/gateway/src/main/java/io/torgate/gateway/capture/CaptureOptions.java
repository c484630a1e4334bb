package io.torgate.gateway.capture;

import java.nio.file.Path;

/**
 * Settings of one {@link PcapCapture}. Immutable.
 *
 * @param directory where the files go (created if missing)
 * @param prefix file names are {@code PREFIX-NNNNNN.pcapng}
 * @param filter which packets are kept
 * @param maxFileBytes rotate before a file would grow beyond this
 * @param maxFileNanos rotate a non-empty file once it is this old ({@code Long.MAX_VALUE}: size only)
 * @param maxTotalBytes cap on the total size of this prefix's files; the oldest are deleted to stay under it
 * @param ringSlots packets buffered between the packet threads and the writer (a power of two)
 * @param snapLength bytes kept per packet at most: the default keeps every IPv4 packet whole, the 64 KiB TSO/GSO
 *     super-segments of the offload path included (as tcpdump's default snap length does)
 */
public record CaptureOptions(Path directory, String prefix, CaptureFilter filter, long maxFileBytes,
                             long maxFileNanos, long maxTotalBytes, int ringSlots, int snapLength) {
    /** Default ring: 8192 slots of 2 KiB, 16 MiB in all; at 1 Gbit/s of full-size packets that is ~100 ms. */
    public static final int DEFAULT_RING_SLOTS = 8192;
    /**
     * Bytes a ring slot holds: a full TUN packet at the default MTU with room to spare. Longer packets (super-segments)
     * go to one of {@link #largeBuffers()} buffers of {@code snapLength} bytes.
     */
    public static final int SLOT_LENGTH = 2048;
    /** Default snap length: the largest IPv4 packet (total length is 16 bits), so nothing is cut. */
    public static final int DEFAULT_SNAP_LENGTH = 65_535;

    public CaptureOptions {
        if (prefix.isEmpty() || prefix.contains("/")) {
            throw new IllegalArgumentException("bad capture prefix '" + prefix + "'");
        }
        int header = PcapngWriter.headerBytes();
        if (maxFileBytes < header + PcapngWriter.maxPacketBytes(Math.min(snapLength, SLOT_LENGTH))) {
            throw new IllegalArgumentException("maxFileBytes " + maxFileBytes + " cannot hold one packet");
        }
        if (maxTotalBytes < maxFileBytes) {
            throw new IllegalArgumentException("maxTotalBytes must be at least maxFileBytes");
        }
        if (maxFileNanos <= 0 || snapLength < 64) {
            throw new IllegalArgumentException("bad capture time rotation or snap length");
        }
    }

    /** Bytes a ring slot holds: {@link #SLOT_LENGTH}, or less with a smaller snap length. */
    public int slotLength() {
        return Math.min(snapLength, SLOT_LENGTH);
    }

    /**
     * Buffers of {@code snapLength} bytes for packets longer than a slot, allocated with the ring: one per 256 slots,
     * 4..64 (the default ring has 32, 2 MiB: ~16 ms of 1 Gbit/s in 64 KiB super-segments); none when nothing is
     * longer than a slot.
     */
    public int largeBuffers() {
        return snapLength <= SLOT_LENGTH ? 0 : Math.clamp(ringSlots / 256, 4, Long.SIZE);
    }

    /** 64 MiB files, rotated hourly, 1 GiB in all, default ring and snap length. */
    public static CaptureOptions defaults(Path directory, String prefix, CaptureFilter filter) {
        return new CaptureOptions(directory, prefix, filter, 64L << 20, 3_600_000_000_000L, 1L << 30,
            DEFAULT_RING_SLOTS, DEFAULT_SNAP_LENGTH);
    }
}
