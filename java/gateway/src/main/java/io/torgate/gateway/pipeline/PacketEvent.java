package io.torgate.gateway.pipeline;

import io.torgate.gateway.classify.PacketInfo;

/**
 * One pre-allocated ring entry. Event {@code i} of the ring always points at slot {@code i} of the reader's one
 * direct {@code PacketBatch}; the reader fills the slot, classifies it into this event, and publishes.
 *
 * <p>Ownership: the reader writes an event before publishing its sequence; after that only the worker whose
 * {@link #shard} it names acts on it, and only until that worker advances its sequence past it (so nothing may
 * keep a reference into the slot afterwards: the stack copies payload into its own buffers).
 */
public final class PacketEvent extends PacketInfo {
    /** Slot index in the reader's batch; fixed for the life of the ring. */
    public final int slot;
    /** Length of the packet in the slot, in bytes. */
    public int length;
    /** Index of the worker that owns this packet, or -1 when no worker needs to see it (a silent drop). */
    public int shard;

    PacketEvent(int slot) {
        this.slot = slot;
    }
}
