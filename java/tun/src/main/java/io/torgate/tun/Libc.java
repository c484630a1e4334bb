package io.torgate.tun;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.util.List;

/**
 * libc through JNA direct mapping, for the pure-JNA fallback. Pointers are passed as {@code long} addresses so
 * a per-packet call creates no {@code Pointer} object. errno is read with {@link Native#getLastError()}, which
 * JNA saves after every call on the calling thread. Stateless; thread-safe.
 *
 * <p>The constants below are Linux x86-64/aarch64 values. This path runs precisely when libtorgate_tun.so is
 * missing, so it cannot ask C for them; a test compares each with the C headers' value (through
 * {@link Jni#kernelConstants()}) so a wrong copy cannot go unnoticed.
 */
final class Libc {
  static final int TUNSETIFF = 0x400454ca;
  static final int TUNSETOFFLOAD = 0x400454d0;
  static final int TUNSETVNETHDRSZ = 0x400454d8;
  static final int IFF_TUN = 0x0001;
  static final int IFF_NO_PI = 0x1000;
  static final int IFF_MULTI_QUEUE = 0x0100;
  static final int IFF_VNET_HDR = 0x4000;
  static final int TUN_F_CSUM = 0x01;
  static final int TUN_F_TSO4 = 0x02;
  static final int SIOCSIFMTU = 0x8922;
  static final int SIOCSIFADDR = 0x8916;
  static final int SIOCSIFNETMASK = 0x891c;
  static final int SIOCGIFFLAGS = 0x8913;
  static final int SIOCSIFFLAGS = 0x8914;
  static final int IFF_UP = 0x1;
  static final int IFF_RUNNING = 0x40;
  /** sizeof(struct ifreq): the name, then a union whose largest member is a struct ifmap. */
  static final int IFREQ_SIZE = 40;
  /** Offset of the ifr_flags/ifr_mtu/ifr_addr union in struct ifreq. */
  static final int IFREQ_UNION = 16;
  static final int IFNAMSIZ = 16;
  static final int SOCKADDR_IN_SIZE = 16;
  static final int O_RDWR = 02;
  static final int O_NONBLOCK = 04000;
  static final int O_CLOEXEC = 02000000;
  static final int EFD_NONBLOCK = O_NONBLOCK;
  static final int EFD_CLOEXEC = O_CLOEXEC;
  static final short POLLIN = 0x1;
  static final int POLLFD_SIZE = 8;
  static final int AF_INET = 2;
  static final int SOCK_DGRAM = 2;
  /** sizeof(struct virtio_net_hdr) (without the num_buffers field of the mergeable variant). */
  static final int VNET_HDR_SIZE = 10;

  /** The constants above, in the order of {@link Jni#kernelConstants()}. */
  static final List<Integer> KERNEL_CONSTANTS = List.of(TUNSETIFF, TUNSETOFFLOAD, TUNSETVNETHDRSZ, IFF_TUN,
      IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR, TUN_F_CSUM, TUN_F_TSO4, SIOCSIFMTU, SIOCSIFADDR, SIOCSIFNETMASK,
      SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP, IFF_RUNNING, IFREQ_SIZE, IFREQ_UNION, IFNAMSIZ, SOCKADDR_IN_SIZE, O_RDWR, O_NONBLOCK,
      O_CLOEXEC, EFD_NONBLOCK, EFD_CLOEXEC, (int) POLLIN, POLLFD_SIZE, AF_INET, SOCK_DGRAM, Errors.EINTR,
      Errors.EAGAIN, VNET_HDR_SIZE);

  static {
    Native.register(Libc.class, Platform.C_LIBRARY_NAME);
  }

  private Libc() {}

  static native int open(String path, int flags);

  /** ioctl(2) with a pointer argument (variadic in C; a pointer is passed like a long on the 64-bit ABIs). */
  static native int ioctl(int fd, long request, long arg);

  static native long read(int fd, long buf, long count);

  static native long write(int fd, long buf, long count);

  static native int poll(long fds, long nfds, int timeout);

  static native int eventfd(int initval, int flags);

  static native int socket(int domain, int type, int protocol);

  static native int close(int fd);

  static native String strerror(int errnum);

  /** The calling thread's errno after the last call, as a negative result. */
  static int lastError() {
    return -Native.getLastError();
  }
}
