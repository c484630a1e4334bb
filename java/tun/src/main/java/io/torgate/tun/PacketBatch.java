package io.torgate.tun;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A fixed array of packet slots over ONE direct buffer allocated once: slot {@code i} starts at byte
 * {@code i * slotSize()}. Packet lengths (and the constant slot offsets) live in native memory too, as 32-bit
 * ints in native byte order, so a JNI batch call passes three addresses and allocates nothing.
 *
 * <p>Ownership and thread-safety: a batch belongs to one thread at a time (the one reading into it or writing
 * from it); it is not synchronised. The addresses of its buffers are resolved once, at construction.
 */
public final class PacketBatch {
  private final int slots;
  private final int slotSize;
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
    if (slots <= 0 || slotSize <= 0 || (long) slots * slotSize > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("bad batch geometry: " + slots + " slots of " + slotSize + " bytes");
    }
    this.slots = slots;
    this.slotSize = slotSize;
    this.buffer = ByteBuffer.allocateDirect(slots * slotSize);
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

  public int slotSize() {
    return slotSize;
  }

  /** Number of slots. */
  public int capacity() {
    return slots;
  }

  /** Byte index of slot {@code i} in {@link #buffer()}. */
  public int slotOffset(int i) {
    checkSlot(i);
    return i * slotSize;
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
    if (len < 0 || len > slotSize) {
      throw new IllegalArgumentException("slot " + i + ": length " + len + " outside 0.." + slotSize);
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
