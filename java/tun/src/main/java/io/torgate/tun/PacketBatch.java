package io.torgate.tun;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A fixed array of packet slots over ONE direct buffer allocated once: slot {@code i} starts at byte
 * {@code i * slotSize()}. Packet lengths (and the constant slot offsets) live in native memory too, as 32-bit
 * ints in native byte order, so a JNI batch call passes three addresses and allocates nothing.
 *
 * <p>A {@linkplain #packed packed} batch has entries instead of fixed slots: entry {@code i} lies wherever its
 * offset says (set by {@link TunDevice#readPacked} or {@link #setOffset}), so packets of very different sizes
 * (64 KiB TSO super-segments, 40-byte ACKs) share the buffer without each taking a worst-case slot.
 *
 * <p>Ownership and thread-safety: a batch belongs to one thread at a time (the one reading into it or writing
 * from it); it is not synchronised. The addresses of its buffers are resolved once, at construction.
 */
public final class PacketBatch {
  private final int slots;
  private final int slotSize;
  private final int bytes;
  private final boolean packed;
  private final ByteBuffer buffer;
  private final ByteBuffer lengths;
  private final ByteBuffer offsets;
  final long bufferAddress;
  final long lengthsAddress;
  final long offsetsAddress;

  /**
   * Allocates {@code slots * slotSize} bytes of packet memory.
   *
   * @throws IllegalArgumentException unless both are positive and the total fits in an int
   */
  public PacketBatch(int slots, int slotSize) {
    this(slots, slotSize, (long) slots * slotSize, false);
  }

  /**
   * A packed batch of {@code entries} packets in {@code bytes} of packet memory; offsets start at 0.
   *
   * @throws IllegalArgumentException unless both are positive
   */
  public static PacketBatch packed(int entries, int bytes) {
    return new PacketBatch(entries, 0, bytes, true);
  }

  private PacketBatch(int slots, int slotSize, long bytes, boolean packed) {
    if (slots <= 0 || (slotSize <= 0 && !packed) || bytes <= 0 || bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("bad batch geometry: " + slots + " slots of " + slotSize + " bytes");
    }
    this.slots = slots;
    this.slotSize = slotSize;
    this.bytes = (int) bytes;
    this.packed = packed;
    this.buffer = ByteBuffer.allocateDirect(this.bytes);
    this.lengths = ByteBuffer.allocateDirect(slots * Integer.BYTES).order(ByteOrder.nativeOrder());
    this.offsets = ByteBuffer.allocateDirect(slots * Integer.BYTES).order(ByteOrder.nativeOrder());
    for (int i = 0; i < slots; i++) {
      offsets.putInt(i * Integer.BYTES, i * slotSize);
    }
    this.bufferAddress = DirectMemory.address(buffer);
    this.lengthsAddress = DirectMemory.address(lengths);
    this.offsetsAddress = DirectMemory.address(offsets);
  }

  /** The packet memory (big-endian, as packets are); use absolute indexes from {@link #slotOffset(int)}. */
  public ByteBuffer buffer() {
    return buffer;
  }

  /** Bytes per slot; 0 for a packed batch. */
  public int slotSize() {
    return slotSize;
  }

  /** True when entries lie at per-entry offsets ({@link #packed}) rather than in fixed slots. */
  public boolean isPacked() {
    return packed;
  }

  /** Bytes of packet memory. */
  public int byteCapacity() {
    return bytes;
  }

  /** Number of slots. */
  public int capacity() {
    return slots;
  }

  /** Byte index of slot (or packed entry) {@code i} in {@link #buffer()}. */
  public int slotOffset(int i) {
    checkSlot(i);
    return packed ? offsets.getInt(i * Integer.BYTES) : i * slotSize;
  }

  /**
   * Places packed entry {@code i} at byte {@code offset} (a writer builds its packets there, then sets the length).
   *
   * @throws IllegalStateException for a batch of fixed slots
   * @throws IllegalArgumentException for an offset outside the packet memory
   */
  public void setOffset(int i, int offset) {
    checkSlot(i);
    if (!packed) {
      throw new IllegalStateException("fixed slots have fixed offsets");
    }
    if (offset < 0 || offset > bytes) {
      throw new IllegalArgumentException("entry " + i + ": offset " + offset + " outside 0.." + bytes);
    }
    offsets.putInt(i * Integer.BYTES, offset);
  }

  /** Length of the packet in slot {@code i}, as set by a read or by {@link #setLength(int, int)}. */
  public int length(int i) {
    checkSlot(i);
    return lengths.getInt(i * Integer.BYTES);
  }

  /**
   * Sets the length of the packet in slot {@code i}.
   *
   * @throws IllegalArgumentException if {@code len} is negative or larger than the slot
   */
  public void setLength(int i, int len) {
    checkSlot(i);
    int room = packed ? bytes - slotOffset(i) : slotSize;
    if (len < 0 || len > room) {
      throw new IllegalArgumentException("slot " + i + ": length " + len + " outside 0.." + room);
    }
    lengths.putInt(i * Integer.BYTES, len);
  }

  /** Checks that slots {@code first .. first + count - 1} exist. */
  void checkRange(int first, int count) {
    if (first < 0 || count < 0 || first > slots - count) {
      throw new IllegalArgumentException("slots " + first + "+" + count + " outside a batch of " + slots);
    }
  }

  private void checkSlot(int i) {
    if (i < 0 || i >= slots) {
      throw new IndexOutOfBoundsException("slot " + i + " outside a batch of " + slots);
    }
  }
}
