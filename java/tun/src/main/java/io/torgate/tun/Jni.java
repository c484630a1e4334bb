package io.torgate.tun;

import java.nio.ByteBuffer;
import java.nio.channels.Selector;

/**
 * The natives of libtorgate_tun.so, bound by its JNI_OnLoad with RegisterNatives (see native/src/tg_jni.c).
 * Each returns a count, an fd or a flag, or -errno. Hot-path natives take only primitives: no object crosses per
 * packet. Usable only after {@link NativeLoader} loaded the library. Stateless; thread-safe.
 */
final class Jni {
  private Jni() {}

  /** IFNAMSIZ - 1. */
  static native int maxNameLength();

  /** sizeof(struct virtio_net_hdr). */
  static native int vnetHeaderLength();

  /** Opens /dev/net/tun attached to {@code name}; the actual name is written NUL-terminated to {@code actual}. */
  static native int open(String name, boolean multiQueue, boolean vnetHeader, boolean tso, byte[] actual);

  static native int setMtu(String name, int mtu);

  static native int setIpv4(String name, int address, int prefixLength);

  static native int setUp(String name);

  /** tg_tun_read_batch with slot 0 at {@code base} and lengths at {@code lens}. */
  static native int readBatch(int fd, long base, int slotSize, int max, long lens);

  /** tg_tun_read_packed: packets packed into {@code base[from, to)}, offsets and lengths to the two arrays. */
  static native int readPacked(int fd, long base, int from, int to, int maxFrame, int max, long offs, long lens);

  /** tg_tun_write_batch: packet i is {@code lens[i]} bytes at {@code base + offs[i]}. */
  static native int writeBatch(int fd, long base, long offs, long lens, int count);

  static native int wakeCreate();

  static native int wake(int wakeFd);

  /** 1 when {@code fd} is readable, 0 on timeout or when {@code wakeFd} was signalled, or -errno. */
  static native int await(int fd, int wakeFd, int timeoutMillis);

  /**
   * tg_tun_watch on the epoll fd of {@code selector} (a JDK EPollSelectorImpl): its select() then returns while
   * {@code fd} is readable. 0, or -errno (-ENOTSUP for a selector that is not epoll based).
   */
  static native int watchFromSelector(Selector selector, int fd);

  static native int close(int fd);

  /** GetDirectBufferAddress, 0 if the buffer is not direct. */
  static native long address(ByteBuffer buffer);

  static native String strerror(int errno);

  /** Kernel constants as the C headers define them, in the order of {@link Libc#KERNEL_CONSTANTS}. */
  static native int[] kernelConstants();
}
