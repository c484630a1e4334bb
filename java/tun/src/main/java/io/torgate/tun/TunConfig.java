package io.torgate.tun;

import java.util.Objects;

/**
 * How to open a TUN device: interface name, MTU, optional IPv4 address and prefix, and the optional kernel
 * features (multi-queue, virtio-net header). Immutable; safe to share between threads.
 *
 * <p>The name is checked by the kernel, not here, so that a bad name surfaces as a {@link TunException} that
 * carries the kernel's errno text. An empty name lets the kernel pick one ({@code tun0}, {@code tun1}, ...).
 *
 * @param name interface name (at most 15 bytes on Linux; longer fails with ENAMETOOLONG at open)
 * @param mtu interface MTU in bytes (68, the IPv4 minimum of RFC 791, to 65535)
 * @param ipv4Address the interface's IPv4 address as a big-endian int, used only when {@code prefixLength > 0}
 * @param prefixLength IPv4 prefix length 1..32, or 0 to leave the interface without an address
 * @param multiQueue IFF_MULTI_QUEUE: several fds (one per reader thread) may attach to the same interface; every
 *     open of the name must then ask for it
 * @param vnetHeader IFF_VNET_HDR: every packet read or written is prefixed by a 10-byte struct virtio_net_hdr;
 *     checksum offload is enabled with it, so a packet from the kernel may carry a partial transport checksum
 *     (flag VIRTIO_NET_HDR_F_NEEDS_CSUM, with csum_start/csum_offset) that the reader must complete
 * @param segmentationOffload with {@code vnetHeader}: TCP segmentation offload (TUN_F_TSO4) too, so reads may return
 *     and writes may pass TCP super-segments of up to 64 KiB (gso_type TCPV4, gso_size in the header); packets
 *     then reach {@link TunDevice#maxFrame()} bytes, far above the MTU
 */
public record TunConfig(String name, int mtu, int ipv4Address, int prefixLength, boolean multiQueue,
                        boolean vnetHeader, boolean segmentationOffload) {

  /** Smallest MTU an IPv4 interface may have (RFC 791 section 3.2: every module forwards 68 octets). */
  public static final int MIN_MTU = 68;
  /** Largest MTU: the IPv4 total length field is 16 bits. */
  public static final int MAX_MTU = 65535;

  public TunConfig {
    Objects.requireNonNull(name, "name");
    if (mtu < MIN_MTU || mtu > MAX_MTU) {
      throw new IllegalArgumentException("tun " + name + ": MTU " + mtu + " outside " + MIN_MTU + ".." + MAX_MTU);
    }
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("tun " + name + ": IPv4 prefix length " + prefixLength + " outside 0..32");
    }
    if (segmentationOffload && !vnetHeader) {
      throw new IllegalArgumentException("tun " + name + ": segmentation offload needs the virtio-net header");
    }
  }

  /** Without segmentation offload. */
  public TunConfig(String name, int mtu, int ipv4Address, int prefixLength, boolean multiQueue, boolean vnetHeader) {
    this(name, mtu, ipv4Address, prefixLength, multiQueue, vnetHeader, false);
  }

  /** Starts a builder for interface {@code name} with MTU 1500, no address, single queue, no vnet header. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * Parses a dotted-quad IPv4 literal ("10.0.0.1") into a big-endian int, without any name lookup.
   *
   * @throws IllegalArgumentException if the text is not four decimal octets
   */
  public static int parseIpv4(String dotted) {
    String[] parts = dotted.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an IPv4 address: " + dotted);
    }
    int value = 0;
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new IllegalArgumentException("not an IPv4 address: " + dotted);
      }
      int octet = Integer.parseInt(part);
      if (octet > 255) {
        throw new IllegalArgumentException("not an IPv4 address: " + dotted);
      }
      value = value << 8 | octet;
    }
    return value;
  }

  /** Formats a big-endian int IPv4 address as a dotted quad. */
  public static String formatIpv4(int address) {
    return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
  }

  /** Mutable builder for {@link TunConfig}; not thread-safe. */
  public static final class Builder {
    private final String name;
    private int mtu = 1500;
    private int ipv4Address;
    private int prefixLength;
    private boolean multiQueue;
    private boolean vnetHeader;
    private boolean segmentationOffload;

    private Builder(String name) {
      this.name = name;
    }

    public Builder mtu(int value) {
      this.mtu = value;
      return this;
    }

    /** Assigns {@code address}/{@code prefix} to the interface (which routes the prefix into the device). */
    public Builder ipv4(int address, int prefix) {
      this.ipv4Address = address;
      this.prefixLength = prefix;
      return this;
    }

    /** Same as {@link #ipv4(int, int)} with a dotted-quad literal. */
    public Builder ipv4(String address, int prefix) {
      return ipv4(parseIpv4(address), prefix);
    }

    public Builder multiQueue(boolean value) {
      this.multiQueue = value;
      return this;
    }

    public Builder vnetHeader(boolean value) {
      this.vnetHeader = value;
      return this;
    }

    /** TSO as well as checksum offload; implies the virtio-net header. */
    public Builder segmentationOffload(boolean value) {
      this.segmentationOffload = value;
      this.vnetHeader |= value;
      return this;
    }

    public TunConfig build() {
      return new TunConfig(name, mtu, ipv4Address, prefixLength, multiQueue, vnetHeader, segmentationOffload);
    }
  }
}
