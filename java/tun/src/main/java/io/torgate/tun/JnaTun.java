package io.torgate.tun;

import static io.torgate.tun.Libc.IFREQ_SIZE;
import static io.torgate.tun.Libc.IFREQ_UNION;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;

/**
 * TUN device in pure Java over libc through JNA: the fallback when libtorgate_tun.so cannot load. Same
 * behaviour as {@link NativeTun}, but one JNA call (read(2) or write(2)) per packet. Thread-safety as in
 * {@link TunDevice}; {@link #await} uses a pollfd array owned by the device, so only one thread may await at a
 * time (the one reader). Owns the TUN fd, an eventfd for wake-ups, and two small native blocks.
 */
final class JnaTun extends AbstractTun {
  private final int fd;
  private final int wakeFd;
  /** struct pollfd[2]: the TUN fd, then the wake fd. */
  private final Memory pollFds = new Memory(2L * Libc.POLLFD_SIZE);
  /** The 8-byte counter increment written to the eventfd. */
  private final Memory one = new Memory(Long.BYTES);

  private JnaTun(String name, int mtu, int vnetHeaderLength, boolean tso, int fd, int wakeFd) {
    super(name, mtu, vnetHeaderLength, tso);
    this.fd = fd;
    this.wakeFd = wakeFd;
    pollFds.clear();
    pollFds.setInt(0, fd);
    pollFds.setShort(4, Libc.POLLIN);
    pollFds.setInt(Libc.POLLFD_SIZE, wakeFd);
    pollFds.setShort(Libc.POLLFD_SIZE + 4, Libc.POLLIN);
    one.setLong(0, 1L);
  }

  /** Opens and configures the device (see {@link TunDevice#open}). */
  static JnaTun open(TunConfig config) throws IOException {
    String requested = config.name();
    byte[] nameBytes = requested.getBytes(StandardCharsets.UTF_8);
    if (nameBytes.length > Libc.IFNAMSIZ - 1) {
      throw Errors.exception(requested, "open", Errors.ENAMETOOLONG);
    }
    int fd = retry(() -> Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC));
    Errors.check(requested, "open /dev/net/tun", fd);
    int wakeFd;
    String name = requested;
    try {
      Memory ifr = ifreq(nameBytes);
      int flags = Libc.IFF_TUN | Libc.IFF_NO_PI | (config.multiQueue() ? Libc.IFF_MULTI_QUEUE : 0)
          | (config.vnetHeader() ? Libc.IFF_VNET_HDR : 0);
      ifr.setShort(IFREQ_UNION, (short) flags);
      Errors.check(requested, "open", retry(() -> Libc.ioctl(fd, Libc.TUNSETIFF, Pointer.nativeValue(ifr))));
      name = ifr.getString(0, "US-ASCII");
      if (config.vnetHeader()) {
        enableVnetHeader(fd, name, config.segmentationOffload());
      }
      configure(name, config);
      int efd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
      wakeFd = Errors.check(name, "eventfd", efd < 0 ? Libc.lastError() : efd);
    } catch (IOException | RuntimeException e) {
      Libc.close(fd);
      throw e;
    }
    return new JnaTun(name, config.mtu(), config.vnetHeader() ? Libc.VNET_HDR_SIZE : 0,
        config.segmentationOffload(), fd, wakeFd);
  }

  private static void enableVnetHeader(int fd, String name, boolean tso) throws TunException {
    Memory size = new Memory(Integer.BYTES);
    size.setInt(0, Libc.VNET_HDR_SIZE);
    long sizeAddress = Pointer.nativeValue(size);
    int rc = retry(() -> Libc.ioctl(fd, Libc.TUNSETVNETHDRSZ, sizeAddress));
    Reference.reachabilityFence(size); // the kernel read it through a raw address
    Errors.check(name, "TUNSETVNETHDRSZ", rc);
    // As in tg_tun_linux.c: TSO only when asked, since it hands over packets far larger than the MTU.
    long offloads = Libc.TUN_F_CSUM | (tso ? Libc.TUN_F_TSO4 : 0);
    Errors.check(name, "TUNSETOFFLOAD", retry(() -> Libc.ioctl(fd, Libc.TUNSETOFFLOAD, offloads)));
  }

  /** MTU, address and link up, through SIOC* ioctls on an AF_INET socket of the calling thread's namespace. */
  private static void configure(String name, TunConfig config) throws TunException {
    byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
    Memory ifr = ifreq(nameBytes);
    ifr.setInt(IFREQ_UNION, config.mtu());
    Errors.check(name, "set MTU " + config.mtu(), inetIoctl(Libc.SIOCSIFMTU, ifr));
    if (config.prefixLength() > 0) {
      String what = "set address " + TunConfig.formatIpv4(config.ipv4Address()) + "/" + config.prefixLength();
      putSockaddr(ifr, config.ipv4Address());
      Errors.check(name, what, inetIoctl(Libc.SIOCSIFADDR, ifr));
      putSockaddr(ifr, (int) (0xFFFFFFFFL << (32 - config.prefixLength())));
      Errors.check(name, what, inetIoctl(Libc.SIOCSIFNETMASK, ifr));
    }
    ifr = ifreq(nameBytes);
    Errors.check(name, "get flags", inetIoctl(Libc.SIOCGIFFLAGS, ifr));
    ifr.setShort(IFREQ_UNION, (short) (ifr.getShort(IFREQ_UNION) | Libc.IFF_UP | Libc.IFF_RUNNING));
    Errors.check(name, "set link up", inetIoctl(Libc.SIOCSIFFLAGS, ifr));
  }

  private static Memory ifreq(byte[] name) {
    Memory ifr = new Memory(IFREQ_SIZE);
    ifr.clear();
    ifr.write(0, name, 0, name.length);
    return ifr;
  }

  /** struct sockaddr_in in the ifreq union: family in host order, port 0, address in network order. */
  private static void putSockaddr(Memory ifr, int address) {
    ifr.setMemory(IFREQ_UNION, Libc.SOCKADDR_IN_SIZE, (byte) 0);
    ifr.setShort(IFREQ_UNION, (short) Libc.AF_INET);
    for (int i = 0; i < 4; i++) {
      ifr.setByte(IFREQ_UNION + 4 + i, (byte) (address >>> (24 - 8 * i)));
    }
  }

  private static int inetIoctl(int request, Memory ifr) {
    int sock = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.O_CLOEXEC, 0);
    if (sock < 0) {
      return Libc.lastError();
    }
    int rc = retry(() -> Libc.ioctl(sock, request, Pointer.nativeValue(ifr)));
    Reference.reachabilityFence(ifr); // the kernel used it through a raw address
    Libc.close(sock);
    return rc;
  }

  /** Runs a libc call, repeating it on EINTR; returns its non-negative result or -errno. */
  private static int retry(java.util.function.IntSupplier call) {
    for (;;) {
      int rc = call.getAsInt();
      if (rc >= 0) {
        return rc;
      }
      int err = Native.getLastError();
      if (err != Errors.EINTR) {
        return -err;
      }
    }
  }

  @Override
  public boolean isNative() {
    return false;
  }

  @Override
  int readPackets(PacketBatch batch, int first, int max) {
    return transfer(batch, first, max, true);
  }

  /** As tg_tun_read_packed: one read(2) per packet, each offered a whole frame, 64-byte aligned. */
  @Override
  int readPackedPackets(PacketBatch batch, int first, int max, int from, int to) {
    int done = 0;
    int pos = from;
    int frame = maxFrame();
    while (done < max && to - pos >= frame) {
      long n = Libc.read(fd, batch.bufferAddress + pos, frame);
      if (n >= 0) {
        batch.setOffset(first + done, pos);
        batch.setLength(first + done, (int) n);
        done++;
        pos += ((int) n + 63) & ~63;
        continue;
      }
      int end = endOfBatch(done);
      if (end != RETRY) {
        return end;
      }
    }
    return done;
  }

  @Override
  int writePackets(PacketBatch batch, int first, int count) {
    return transfer(batch, first, count, false);
  }

  /** {@link #endOfBatch}: the call was interrupted, repeat it. */
  private static final int RETRY = Integer.MIN_VALUE;

  /**
   * After a failed read(2)/write(2) with {@code done} packets moved: {@link #RETRY} on EINTR; the count at EAGAIN
   * or after at least one packet (the error shows again next call); else -errno.
   */
  private static int endOfBatch(int done) {
    int err = Native.getLastError();
    if (err == Errors.EINTR) {
      return RETRY;
    }
    return err == Errors.EAGAIN || done > 0 ? done : -err;
  }

  /**
   * One read(2) or write(2) per packet, like tg_tun_read_batch/tg_tun_write_batch: stops at EAGAIN or after
   * {@code count} packets; an error after the first packet ends the batch early and shows again next call.
   */
  private int transfer(PacketBatch batch, int first, int count, boolean read) {
    int done = 0;
    while (done < count) {
      int slot = first + done;
      long address = batch.bufferAddress + batch.slotOffset(slot);
      long n = read ? Libc.read(fd, address, batch.slotSize()) : Libc.write(fd, address, batch.length(slot));
      if (n >= 0) {
        if (read) {
          batch.setLength(slot, (int) n);
        }
        done++;
        continue;
      }
      int end = endOfBatch(done);
      if (end != RETRY) {
        return end;
      }
    }
    return done;
  }

  @Override
  int poll(int timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    int remaining = timeoutMillis;
    for (;;) {
      int rc = Libc.poll(Pointer.nativeValue(pollFds), 2, remaining);
      if (rc > 0) {
        // A signalled wake fd wins: a closing device is never reported readable.
        return pollFds.getShort(Libc.POLLFD_SIZE + 6) != 0 ? 0 : 1;
      }
      if (rc == 0) {
        return 0;
      }
      int err = Native.getLastError();
      if (err != Errors.EINTR) {
        return -err;
      }
      if (timeoutMillis >= 0) {
        remaining = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
      }
    }
  }

  @Override
  void wake() {
    // EAGAIN means the counter is saturated, i.e. already signalled: nothing to do either way.
    Libc.write(wakeFd, Pointer.nativeValue(one), Long.BYTES);
  }

  @Override
  void closeFds() {
    Libc.close(fd);
    Libc.close(wakeFd);
  }
}
