package io.torgate.gateway.pipeline;

import io.torgate.gateway.capture.CaptureTap;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import io.torgate.wire.VirtioNetHeader;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;

/**
 * A worker's transmit batch: packets are built in place in one direct {@link PacketBatch} and written to the TUN
 * in one call per {@link #flush()} (at the end of each ring batch and after selector work) or when the batch is
 * full.
 *
 * <p>Usage: {@code int off = tx.claim(); ...build at buffer()[off..]...; tx.commit(len);}
 *
 * <p>Two layouts. Plain ({@link #TxQueue(TunDevice, int, int)}): fixed MTU-sized slots. Offload
 * ({@link #packed}): the TUN carries a virtio-net header before each packet and may take TSO super-segments, so
 * packets are packed back to back (64-byte aligned) into one buffer, and {@link #claim(int)} flushes first only
 * when the packet asked for might not fit: a 64 KiB super-segment and a 40-byte ACK each take what they need
 * instead of a worst-case slot. The header is written by {@link #commit} (all zero: checksums complete, no
 * segmentation) or {@link #commitOffloaded} (partial checksum, and TCPV4 segmentation when larger than a segment).
 *
 * <p>Ownership: one worker thread. Not thread-safe. A packet the kernel refuses (its queue full) is counted in
 * {@link #dropped()} and not retried: TCP retransmits, DNS clients retry.
 *
 * <p>Capture: {@link #commit} reports each queued packet to the {@link CaptureTap} as "sent" (a pipeline's
 * {@code CaptureSwitch}: one volatile load and a branch while capture is off). A TSO super-segment is reported as
 * the one packet it is here, before the kernel cuts it (as tcpdump shows it on a TSO device).
 */
public final class TxQueue {
    private static final Logger LOG = System.getLogger(TxQueue.class.getName());
    /** Packet starts in a packed batch are aligned to a cache line, as the reader's. */
    private static final int ALIGN = 64;
    /** Offset of the checksum within the TCP header (RFC 9293 3.1). */
    private static final int TCP_CHECKSUM_FIELD = 16;

    private final TunDevice tun;
    private final PacketBatch batch;
    private final CaptureTap capture;
    private final int vnet;
    private final int maxPacket;
    private final int smallPacket;
    private int count;
    /** Packed layout: where the next packet's frame (header included) starts. */
    private int position;
    /** Frame start of the slot claimed last. */
    private int claimed;
    private long sent;
    private long dropped;
    private long superSegments;

    /**
     * Fixed slots (the plain path).
     *
     * @param tun the device to write to
     * @param slots packets per write call
     * @param slotSize bytes per slot (at least the MTU plus the TUN's virtio-net header, if any)
     */
    public TxQueue(TunDevice tun, int slots, int slotSize) {
        this(tun, slots, slotSize, CaptureTap.NONE);
    }

    /** As above, reporting every committed packet to {@code capture} as sent. */
    public TxQueue(TunDevice tun, int slots, int slotSize, CaptureTap capture) {
        this(tun, new PacketBatch(slots, slotSize), capture);
    }

    private TxQueue(TunDevice tun, PacketBatch batch, CaptureTap capture) {
        this.tun = tun;
        this.batch = batch;
        this.capture = capture;
        this.vnet = tun.vnetHeaderLength();
        this.maxPacket = batch.isPacked() ? tun.maxFrame() - vnet : batch.slotSize() - vnet;
        this.smallPacket = Math.min(tun.mtu(), maxPacket);
    }

    /**
     * Packed layout for a TUN with a virtio-net header (offload).
     *
     * @param entries packets per write call at most
     * @param bytes packet memory; at least one {@link TunDevice#maxFrame()}
     * @param capture where committed packets are reported as sent
     */
    public static TxQueue packed(TunDevice tun, int entries, int bytes, CaptureTap capture) {
        if (bytes < tun.maxFrame()) {
            throw new IllegalArgumentException("transmit buffer of " + bytes + " bytes < one frame " + tun.maxFrame());
        }
        return new TxQueue(tun, PacketBatch.packed(entries, bytes), capture);
    }

    /** Where this queue's packets (and the worker's refusals) are reported for capture. */
    public CaptureTap capture() {
        return capture;
    }

    /** The transmit memory (big-endian); build packets at the offset {@link #claim()} returns. */
    public ByteBuffer buffer() {
        return batch.buffer();
    }

    /** Longest IP packet one claim can hold: the MTU, or 64 KiB when the TUN takes TSO super-segments. */
    public int maxPacket() {
        return maxPacket;
    }

    /** Largest TSO super-segment {@link #commitOffloaded} may pass (IP packet bytes), or 0 without TSO. */
    public int offloadLimit() {
        return tun.segmentationOffload() ? maxPacket : 0;
    }

    /** Reserves room for one packet of at most the MTU (flushing first when the batch is full). */
    public int claim() {
        return claim(smallPacket);
    }

    /**
     * Reserves room for one IP packet of at most {@code maxLength} bytes (at most {@link #maxPacket()}), flushing
     * first when the batch is full, and returns the byte offset where the IP packet starts.
     */
    public int claim(int maxLength) {
        if (maxLength > maxPacket) {
            throw new IllegalArgumentException("packet of " + maxLength + " bytes > " + maxPacket);
        }
        if (batch.isPacked()) {
            if (count == batch.capacity() || position + vnet + maxLength > batch.byteCapacity()) {
                flush();
            }
            claimed = position;
            batch.setOffset(count, claimed);
        } else {
            if (count == batch.capacity()) {
                flush();
            }
            claimed = batch.slotOffset(count);
        }
        return claimed + vnet;
    }

    /** Queues the packet built in the last claimed slot, checksums complete; a zero length abandons it. */
    public void commit(int length) {
        if (length > 0 && vnet > 0) {
            VirtioNetHeader.writeNone(batch.buffer(), claimed);
        }
        queue(length);
    }

    /**
     * Queues the IPv4/TCP packet built in the last claimed slot whose TCP checksum field holds only the
     * pseudo-header sum ({@link io.torgate.wire.Tcp#fillPartialChecksum}): the kernel completes it
     * (NEEDS_CSUM at {@code transportOffset} + 16) and, when the payload is longer than {@code segmentPayload},
     * cuts the packet into segments of that many payload bytes (GSO TCPV4), each with {@code headerLength} bytes of
     * IP and TCP header. Only on a TUN with a virtio-net header; segmentation only with {@link #offloadLimit()}.
     */
    public void commitOffloaded(int length, int transportOffset, int headerLength, int segmentPayload) {
        if (vnet == 0) {
            throw new IllegalStateException("no virtio-net header on " + tun.name());
        }
        boolean gso = length - headerLength > segmentPayload;
        if (gso && !tun.segmentationOffload()) {
            throw new IllegalStateException("no TSO on " + tun.name() + " for a " + length + "-byte packet");
        }
        VirtioNetHeader.write(batch.buffer(), claimed, VirtioNetHeader.F_NEEDS_CSUM,
            gso ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_NONE, gso ? headerLength : 0,
            gso ? segmentPayload : 0, transportOffset, TCP_CHECKSUM_FIELD);
        if (gso) {
            superSegments++;
        }
        queue(length);
    }

    private void queue(int length) {
        if (length <= 0) {
            return;
        }
        capture.sent(batch.buffer(), claimed + vnet, length);
        batch.setLength(count, vnet + length);
        count++;
        if (batch.isPacked()) {
            position = claimed + ((vnet + length + ALIGN - 1) & -ALIGN);
        }
    }

    /** Packets queued and not yet written. */
    public int pending() {
        return count;
    }

    /**
     * Writes every queued packet to the TUN.
     *
     * @return packets written
     */
    public int flush() {
        if (count == 0) {
            return 0;
        }
        int written = 0;
        try {
            written = tun.write(batch, 0, count);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "tun write of {0} packets failed: {1}", count, e.toString());
        }
        sent += written;
        dropped += count - written;
        count = 0;
        position = 0;
        return written;
    }

    /** Packets written so far (owner thread; approximate from others). */
    public long sent() {
        return sent;
    }

    /** TSO super-segments queued so far, for the kernel to cut (owner thread; approximate from others). */
    public long superSegments() {
        return superSegments;
    }

    /** Packets the TUN refused. */
    public long dropped() {
        return dropped;
    }
}
