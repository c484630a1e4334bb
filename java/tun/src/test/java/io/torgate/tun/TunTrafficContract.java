package io.torgate.tun;

import static io.torgate.tun.testing.TestPackets.IPV4_HEADER;
import static io.torgate.tun.testing.TestPackets.UDP_HEADER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.tun.testing.NetNs;
import io.torgate.tun.testing.TestPackets;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real packets through a real TUN in a fresh network namespace, for one implementation (subclasses pick it).
 * The device is 10.77.0.1/24, so the kernel routes anything for 10.77.0.2 (the "peer") into it.
 */
@Timeout(60)
abstract class TunTrafficContract {
  static final String TUN_ADDR = "10.77.0.1";
  static final String PEER = "10.77.0.2";
  static final int MTU = 1400;
  static final int SLOT = 2048;

  NetNs ns;

  /** Opens a device with the implementation under test (called inside the namespace). */
  abstract TunDevice open(TunConfig config) throws IOException;

  @BeforeEach
  void createNamespace() throws IOException {
    ns = NetNs.create("tgtun");
  }

  @AfterEach
  void deleteNamespace() {
    ns.close();
  }

  TunConfig.Builder config(String name) {
    return TunConfig.builder(name).mtu(MTU).ipv4(TUN_ADDR, 24);
  }

  TunDevice openInNs(TunConfig config) throws Exception {
    return ns.call(() -> open(config));
  }

  /** Reads until {@code want} packets sit in slots 0.. of batch, or fails after 5 s. */
  static int readAtLeast(TunDevice tun, PacketBatch batch, int want) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    int got = 0;
    while (got < want && System.nanoTime() < deadline) {
      tun.await(100);
      got += tun.read(batch, got, batch.capacity() - got);
    }
    assertEquals(want, got, "packets read from " + tun.name());
    return got;
  }

  @Test
  void udpDatagramsFromTheKernelArriveByteExact() throws Exception {
    byte[][] payloads = {"a".getBytes(StandardCharsets.US_ASCII), pattern(100, 1), pattern(MTU - 28, 7)};
    try (TunDevice tun = openInNs(config("tgu0").build());
         DatagramChannel ch = ns.call(() -> DatagramChannel.open().bind(new InetSocketAddress(TUN_ADDR, 0)))) {
      int localPort = ((InetSocketAddress) ch.getLocalAddress()).getPort();
      for (int i = 0; i < payloads.length; i++) {
        ch.send(ByteBuffer.wrap(payloads[i]), new InetSocketAddress(PEER, 5000 + i));
      }
      PacketBatch batch = new PacketBatch(8, SLOT);
      readAtLeast(tun, batch, payloads.length);
      ByteBuffer buf = batch.buffer();
      for (int i = 0; i < payloads.length; i++) {
        int off = batch.slotOffset(i);
        int len = batch.length(i);
        assertEquals(IPV4_HEADER + UDP_HEADER + payloads[i].length, len, "length of packet " + i);
        assertEquals(0x45, buf.get(off) & 0xFF, "IPv4, 20-byte header");
        assertEquals(len, buf.getShort(off + 2) & 0xFFFF, "IPv4 total length");
        assertEquals(TestPackets.PROTO_UDP, buf.get(off + 9));
        assertEquals(TunConfig.parseIpv4(TUN_ADDR), buf.getInt(off + 12));
        assertEquals(TunConfig.parseIpv4(PEER), buf.getInt(off + 16));
        assertEquals(localPort, buf.getShort(off + 20) & 0xFFFF, "UDP source port");
        assertEquals(5000 + i, buf.getShort(off + 22) & 0xFFFF, "UDP destination port");
        assertEquals(UDP_HEADER + payloads[i].length, buf.getShort(off + 24) & 0xFFFF, "UDP length");
        byte[] got = new byte[payloads[i].length];
        buf.get(off + IPV4_HEADER + UDP_HEADER, got);
        assertArrayEquals(payloads[i], got, "payload of packet " + i);
        assertTrue(TestPackets.ipv4ChecksumOk(buf, off), "IPv4 header checksum");
        assertTrue(TestPackets.udpChecksumOk(buf, off), "UDP checksum");
      }
      assertEquals(0, tun.read(batch, 0, batch.capacity()), "nothing else pending");
    }
  }

  @Test
  void pingsRoutedIntoTheDeviceAreAnsweredThroughIt() throws Exception {
    try (TunDevice tun = openInNs(config("tgp0").build())) {
      Process ping = ns.exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "3", "-s", "56", PEER);
      PacketBatch batch = new PacketBatch(4, SLOT);
      ByteBuffer buf = batch.buffer();
      int requests = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (ping.isAlive() && System.nanoTime() < deadline) {
        tun.await(100);
        int n = tun.read(batch, 0, batch.capacity());
        for (int i = 0; i < n; i++) {
          int off = batch.slotOffset(i);
          assertEquals(IPV4_HEADER + 8 + 56, batch.length(i), "echo request length");
          assertEquals(TestPackets.PROTO_ICMP, buf.get(off + 9));
          assertEquals(8, buf.get(off + IPV4_HEADER), "ICMP echo request");
          assertEquals(0, TestPackets.finish(TestPackets.sum(buf, off + IPV4_HEADER, 64, 0)), "ICMP checksum");
          TestPackets.turnAround(buf, off);
          requests++;
        }
        assertEquals(n, tun.write(batch, 0, n), "echo replies written");
      }
      assertTrue(ping.waitFor(5, TimeUnit.SECONDS), "ping finished");
      String out = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, ping.exitValue(), "ping got its replies: " + out);
      assertEquals(3, requests, out);
      assertTrue(out.contains("3 received"), out);
    }
  }

  @Test
  void craftedUdpPacketWrittenToTheDeviceReachesASocket() throws Exception {
    try (TunDevice tun = openInNs(config("tgw0").build());
         DatagramSocket socket = ns.call(() -> new DatagramSocket(new InetSocketAddress(TUN_ADDR, 4444)))) {
      socket.setSoTimeout(3000);
      PacketBatch batch = new PacketBatch(2, SLOT);
      byte[] payload = "crafted in java".getBytes(StandardCharsets.US_ASCII);
      batch.setLength(0, TestPackets.udp(batch.buffer(), 0, TunConfig.parseIpv4(PEER), 7777,
          TunConfig.parseIpv4(TUN_ADDR), 4444, payload));
      assertEquals(1, tun.write(batch, 0, 1));
      DatagramPacket received = new DatagramPacket(new byte[2048], 2048);
      socket.receive(received);
      assertEquals(InetAddress.getByName(PEER), received.getAddress());
      assertEquals(7777, received.getPort());
      assertEquals("crafted in java", new String(received.getData(), 0, received.getLength(),
          StandardCharsets.US_ASCII));
    }
  }

  /**
   * Kernel to TUN to Java to TUN to kernel: 1,000 numbered datagrams, in bursts of 100 so neither the device's
   * transmit queue (500 packets) nor the socket's receive buffer can overflow; every number must come back once.
   */
  @Test
  void thousandPacketsRoundTripWithNoneLost() throws Exception {
    int total = 1000;
    int burst = 100;
    try (TunDevice tun = openInNs(config("tgr0").build());
         DatagramChannel ch = ns.call(() -> DatagramChannel.open().bind(new InetSocketAddress(TUN_ADDR, 0)))) {
      ch.socket().setSoTimeout(3000);
      PacketBatch batch = new PacketBatch(burst, SLOT);
      ByteBuffer out = ByteBuffer.allocate(64);
      DatagramPacket in = new DatagramPacket(new byte[256], 256);
      BitSet seen = new BitSet(total);
      int received = 0;
      for (int start = 0; start < total; start += burst) {
        for (int seq = start; seq < start + burst; seq++) {
          out.clear().putInt(seq).position(out.capacity()).flip();
          assertEquals(64, ch.send(out, new InetSocketAddress(PEER, 9)));
        }
        readAtLeast(tun, batch, burst);
        for (int i = 0; i < burst; i++) {
          assertEquals(IPV4_HEADER + UDP_HEADER + 64, batch.length(i));
          TestPackets.turnAround(batch.buffer(), batch.slotOffset(i));
        }
        int written = 0;
        while (written < burst) {
          written += tun.write(batch, written, burst - written);
        }
        for (int i = 0; i < burst; i++) {
          ch.socket().receive(in);
          int seq = ByteBuffer.wrap(in.getData(), 0, in.getLength()).getInt();
          assertTrue(!seen.get(seq), "duplicate " + seq);
          seen.set(seq);
          received++;
        }
      }
      assertEquals(total, received);
      assertEquals(total, seen.cardinality());
    }
  }

  @Test
  void vnetHeaderPrefixesEveryPacket() throws Exception {
    try (TunDevice tun = openInNs(config("tgv0").vnetHeader(true).build());
         DatagramSocket socket = ns.call(() -> new DatagramSocket(new InetSocketAddress(TUN_ADDR, 4445)))) {
      int hdr = tun.vnetHeaderLength();
      assertEquals(10, hdr, "sizeof(struct virtio_net_hdr)");
      socket.setSoTimeout(3000);
      socket.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, new InetSocketAddress(PEER, 53)));
      PacketBatch batch = new PacketBatch(4, SLOT);
      readAtLeast(tun, batch, 1);
      assertEquals(hdr + IPV4_HEADER + UDP_HEADER + 3, batch.length(0));
      assertEquals(0x45, batch.buffer().get(hdr) & 0xFF, "IPv4 right after the header");

      ByteBuffer buf = batch.buffer();
      buf.put(0, new byte[hdr]); // all zero: no offload requested for this packet
      int len = TestPackets.udp(buf, hdr, TunConfig.parseIpv4(PEER), 53, TunConfig.parseIpv4(TUN_ADDR), 4445,
          new byte[] {9, 8});
      batch.setLength(0, hdr + len);
      assertEquals(1, tun.write(batch, 0, 1));
      DatagramPacket received = new DatagramPacket(new byte[64], 64);
      socket.receive(received);
      assertEquals(2, received.getLength());
      assertEquals(9, received.getData()[0]);
    }
  }

  /**
   * With TSO the device takes 64 KiB frames, so reads go into a packed batch: packets of any size back to back
   * (64-byte aligned) in the range given, never truncated, each behind its virtio-net header.
   */
  @Test
  void segmentationOffloadReadsPackVariableLengthPackets() throws Exception {
    byte[][] payloads = {pattern(1, 3), pattern(MTU - 28, 5), pattern(100, 9)};
    try (TunDevice tun = openInNs(config("tgo0").segmentationOffload(true).build());
         DatagramChannel ch = ns.call(() -> DatagramChannel.open().bind(new InetSocketAddress(TUN_ADDR, 0)))) {
      assertTrue(tun.segmentationOffload());
      int hdr = tun.vnetHeaderLength();
      assertEquals(hdr + 65535, tun.maxFrame(), "a frame is a whole IPv4 super-segment plus the header");
      for (int i = 0; i < payloads.length; i++) {
        ch.send(ByteBuffer.wrap(payloads[i]), new InetSocketAddress(PEER, 6000 + i));
      }
      PacketBatch batch = PacketBatch.packed(8, 2 * tun.maxFrame() + 128);
      assertEquals(0, tun.readPacked(batch, 0, 8, 128, 128 + tun.maxFrame() - 1), "no room for a whole frame");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      int got = 0;
      int from = 128;
      while (got < payloads.length && System.nanoTime() < deadline) {
        tun.await(100);
        int n = tun.readPacked(batch, got, 8 - got, from, batch.byteCapacity());
        if (n > 0) {
          int last = got + n - 1;
          from = batch.slotOffset(last) + ((batch.length(last) + 63) & -64);
          got += n;
        }
      }
      assertEquals(payloads.length, got);
      int expectedAt = 128;
      for (int i = 0; i < got; i++) {
        assertEquals(expectedAt, batch.slotOffset(i), "packet " + i + " right after the previous one");
        assertEquals(hdr + IPV4_HEADER + UDP_HEADER + payloads[i].length, batch.length(i));
        byte[] data = new byte[payloads[i].length];
        batch.buffer().get(batch.slotOffset(i) + hdr + IPV4_HEADER + UDP_HEADER, data);
        assertArrayEquals(payloads[i], data);
        expectedAt += (batch.length(i) + 63) & -64;
      }
    }
  }

  /** A packed batch writes too: each entry from its own offset, behind its (here all-zero) virtio-net header. */
  @Test
  void packedBatchWritesReachTheKernel() throws Exception {
    try (TunDevice tun = openInNs(config("tgw0").segmentationOffload(true).build());
         DatagramSocket socket = ns.call(() -> new DatagramSocket(new InetSocketAddress(TUN_ADDR, 4446)))) {
      socket.setSoTimeout(3000);
      int hdr = tun.vnetHeaderLength();
      PacketBatch batch = PacketBatch.packed(4, 4096);
      int[] at = {0, 320, 1024};
      for (int i = 0; i < at.length; i++) {
        batch.buffer().put(at[i], new byte[hdr]);
        int len = TestPackets.udp(batch.buffer(), at[i] + hdr, TunConfig.parseIpv4(PEER), 53,
            TunConfig.parseIpv4(TUN_ADDR), 4446, pattern(10 + i * 100, i));
        batch.setOffset(i, at[i]);
        batch.setLength(i, hdr + len);
      }
      assertEquals(at.length, tun.write(batch, 0, at.length));
      for (int i = 0; i < at.length; i++) {
        DatagramPacket received = new DatagramPacket(new byte[2048], 2048);
        socket.receive(received);
        byte[] got = java.util.Arrays.copyOf(received.getData(), received.getLength());
        assertArrayEquals(pattern(10 + i * 100, i), got, "datagram " + i + ", written from offset " + at[i]);
      }
    }
  }

  /** With IFF_MULTI_QUEUE the kernel spreads flows over the queues; together they see every packet once. */
  @Test
  void multiQueueDevicesTogetherReceiveEveryPacket() throws Exception {
    int flows = 64;
    try (TunDevice q0 = openInNs(config("tgq0").multiQueue(true).build());
         TunDevice q1 = openInNs(config("tgq0").multiQueue(true).build())) {
      java.util.List<DatagramChannel> senders = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < flows; i++) {
          DatagramChannel ch = ns.call(() -> DatagramChannel.open().bind(new InetSocketAddress(TUN_ADDR, 0)));
          senders.add(ch);
          ch.send(ByteBuffer.wrap(new byte[] {(byte) i}), new InetSocketAddress(PEER, 9));
        }
      } finally {
        for (DatagramChannel ch : senders) {
          ch.close();
        }
      }
      PacketBatch b0 = new PacketBatch(flows, SLOT);
      PacketBatch b1 = new PacketBatch(flows, SLOT);
      int got0 = 0;
      int got1 = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (got0 + got1 < flows && System.nanoTime() < deadline) {
        got0 += q0.read(b0, got0, flows - got0);
        got1 += q1.read(b1, got1, flows - got1);
        q0.await(10);
      }
      assertEquals(flows, got0 + got1, "packets over both queues (" + got0 + " + " + got1 + ")");
      // The queue is picked by flow hash: 64 flows all on one queue would have odds of 2^-63.
      assertTrue(got0 > 0 && got1 > 0, "both queues used: " + got0 + " + " + got1);
      BitSet seen = new BitSet(flows);
      for (int i = 0; i < got0; i++) {
        seen.set(b0.buffer().get(b0.slotOffset(i) + IPV4_HEADER + UDP_HEADER));
      }
      for (int i = 0; i < got1; i++) {
        seen.set(b1.buffer().get(b1.slotOffset(i) + IPV4_HEADER + UDP_HEADER));
      }
      assertEquals(flows, seen.cardinality(), "every flow's packet arrived once");
    }
  }

  static byte[] pattern(int length, int seed) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 31 + seed);
    }
    return b;
  }
}
