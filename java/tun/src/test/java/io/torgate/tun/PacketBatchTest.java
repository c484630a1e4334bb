package io.torgate.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class PacketBatchTest {

  @Test
  void slotsAreFixedOffsetsIntoOneDirectBuffer() {
    PacketBatch batch = new PacketBatch(4, 1500);
    assertTrue(batch.buffer().isDirect());
    assertEquals(ByteOrder.BIG_ENDIAN, batch.buffer().order(), "packets are big-endian");
    assertEquals(6000, batch.buffer().capacity());
    assertEquals(4, batch.capacity());
    assertEquals(1500, batch.slotSize());
    assertEquals(0, batch.slotOffset(0));
    assertEquals(4500, batch.slotOffset(3));
    assertNotEquals(0L, batch.bufferAddress);
    assertNotEquals(0L, batch.lengthsAddress);
    assertNotEquals(0L, batch.offsetsAddress);
  }

  @Test
  void lengthsAreKeptPerSlot() {
    PacketBatch batch = new PacketBatch(3, 100);
    batch.setLength(0, 0);
    batch.setLength(1, 100);
    batch.setLength(2, 42);
    assertEquals(0, batch.length(0));
    assertEquals(100, batch.length(1));
    assertEquals(42, batch.length(2));
  }

  @Test
  void rejectsBadLengthsSlotsAndGeometry() {
    PacketBatch batch = new PacketBatch(2, 100);
    assertThrows(IllegalArgumentException.class, () -> batch.setLength(0, 101));
    assertThrows(IllegalArgumentException.class, () -> batch.setLength(0, -1));
    assertThrows(IndexOutOfBoundsException.class, () -> batch.length(2));
    assertThrows(IndexOutOfBoundsException.class, () -> batch.slotOffset(-1));
    assertThrows(IllegalArgumentException.class, () -> batch.checkRange(1, 2));
    assertThrows(IllegalArgumentException.class, () -> batch.checkRange(-1, 1));
    assertThrows(IllegalArgumentException.class, () -> batch.checkRange(0, -1));
    batch.checkRange(0, 2);
    batch.checkRange(2, 0);
    assertThrows(IllegalArgumentException.class, () -> new PacketBatch(0, 100));
    assertThrows(IllegalArgumentException.class, () -> new PacketBatch(1, 0));
    assertThrows(IllegalArgumentException.class, () -> new PacketBatch(65536, 65536));
  }
}
