package io.torgate.tun.testing;

import java.nio.ByteBuffer;

/**
 * A tiny IPv4 (RFC 791) / UDP (RFC 768) / ICMP echo (RFC 792) builder and checker for TUN tests, over absolute
 * indexes of a big-endian buffer. Deliberately independent of java/wire (tun must not know wire). Stateless.
 */
public final class TestPackets {
  public static final int IPV4_HEADER = 20;
  public static final int UDP_HEADER = 8;
  public static final int PROTO_ICMP = 1;
  public static final int PROTO_UDP = 17;

  private TestPackets() {}

  /** Writes a 20-byte IPv4 header plus UDP header plus payload at {@code off}; returns the packet length. */
  public static int udp(ByteBuffer buf, int off, int src, int srcPort, int dst, int dstPort, byte[] payload) {
    int udpLength = UDP_HEADER + payload.length;
    int total = IPV4_HEADER + udpLength;
    ipv4Header(buf, off, total, PROTO_UDP, src, dst);
    int u = off + IPV4_HEADER;
    buf.putShort(u, (short) srcPort);
    buf.putShort(u + 2, (short) dstPort);
    buf.putShort(u + 4, (short) udpLength);
    buf.putShort(u + 6, (short) 0);
    buf.put(u + UDP_HEADER, payload);
    int sum = finish(sum(buf, u, udpLength, pseudoHeader(src, dst, PROTO_UDP, udpLength)));
    // RFC 768: a computed checksum of zero is sent as all ones (zero means "no checksum").
    buf.putShort(u + 6, (short) (sum == 0 ? 0xFFFF : sum));
    return total;
  }

  /** Writes an IPv4 header (no options, TTL 64, DF clear) with a correct header checksum. */
  public static void ipv4Header(ByteBuffer buf, int off, int totalLength, int protocol, int src, int dst) {
    buf.put(off, (byte) 0x45);
    buf.put(off + 1, (byte) 0);
    buf.putShort(off + 2, (short) totalLength);
    buf.putInt(off + 4, 0);
    buf.put(off + 8, (byte) 64);
    buf.put(off + 9, (byte) protocol);
    buf.putShort(off + 10, (short) 0);
    buf.putInt(off + 12, src);
    buf.putInt(off + 16, dst);
    buf.putShort(off + 10, (short) finish(sum(buf, off, IPV4_HEADER, 0)));
  }

  /** True when the IPv4 header at {@code off} sums to zero including its checksum (RFC 1071). */
  public static boolean ipv4ChecksumOk(ByteBuffer buf, int off) {
    return finish(sum(buf, off, (buf.get(off) & 0x0F) * 4, 0)) == 0;
  }

  /** True when the UDP checksum of the IPv4/UDP packet at {@code off} verifies (or is absent, RFC 768). */
  public static boolean udpChecksumOk(ByteBuffer buf, int off) {
    int u = off + (buf.get(off) & 0x0F) * 4;
    if (buf.getShort(u + 6) == 0) {
      return true;
    }
    int udpLength = buf.getShort(u + 4) & 0xFFFF;
    long pseudo = pseudoHeader(buf.getInt(off + 12), buf.getInt(off + 16), PROTO_UDP, udpLength);
    return finish(sum(buf, u, udpLength, pseudo)) == 0;
  }

  /**
   * Turns the IPv4/UDP or ICMP packet at {@code off} into its reply in place: swaps the addresses (and the UDP
   * ports). Neither the IPv4 nor the UDP checksum changes: a one's complement sum does not depend on the order
   * of its words. For an ICMP echo request (type 8) it sets type 0 and adjusts the checksum (RFC 1624).
   */
  public static void turnAround(ByteBuffer buf, int off) {
    int src = buf.getInt(off + 12);
    buf.putInt(off + 12, buf.getInt(off + 16));
    buf.putInt(off + 16, src);
    int l4 = off + (buf.get(off) & 0x0F) * 4;
    int protocol = buf.get(off + 9) & 0xFF;
    if (protocol == PROTO_UDP) {
      short port = buf.getShort(l4);
      buf.putShort(l4, buf.getShort(l4 + 2));
      buf.putShort(l4 + 2, port);
    } else if (protocol == PROTO_ICMP && (buf.get(l4) & 0xFF) == 8) {
      buf.put(l4, (byte) 0);
      // RFC 1624 eqn 3: HC' = ~(~HC + ~m + m'), with m = 0x0800 (type 8, code 0) and m' = 0x0000.
      int hc = buf.getShort(l4 + 2) & 0xFFFF;
      long acc = (~hc & 0xFFFF) + (~0x0800 & 0xFFFF);
      buf.putShort(l4 + 2, (short) finish(acc));
    }
  }

  /** One's complement sum of big-endian 16-bit words (RFC 1071), odd tail padded with zero. */
  public static long sum(ByteBuffer buf, int off, int len, long acc) {
    int i = 0;
    for (; i + 1 < len; i += 2) {
      acc += buf.getShort(off + i) & 0xFFFF;
    }
    if (i < len) {
      acc += (buf.get(off + i) & 0xFF) << 8;
    }
    return acc;
  }

  /** Folds the carries and complements: the value for a checksum field. */
  public static int finish(long acc) {
    while ((acc >>> 16) != 0) {
      acc = (acc & 0xFFFF) + (acc >>> 16);
    }
    return (int) (~acc & 0xFFFF);
  }

  private static long pseudoHeader(int src, int dst, int protocol, int length) {
    return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + length;
  }
}
