package io.torgate.tun;

import java.io.IOException;
import java.nio.channels.Selector;

/**
 * An open Linux TUN device (IFF_TUN, IFF_NO_PI, non-blocking): raw IP packets in and out, in batches of fixed
 * slots of a {@link PacketBatch}.
 *
 * <p>Thread-safety: one reader thread ({@link #read} and {@link #await}) and any number of writer threads may use
 * a device at once; each {@link #write} call is independent (the kernel serialises writes on the fd).
 * {@link #close()} may be called from any thread, at any time, more than once: it wakes a thread blocked in
 * {@link #await}, and the file descriptor is released only after every call in progress has returned, so a
 * racing call can never touch a re-used fd.
 *
 * <p>Ownership: the device owns its fd; the caller owns the batches and may reuse them after each call returns.
 */
public interface TunDevice extends AutoCloseable {

  /**
   * Opens a device with the JNI batch shim, or, when the native library cannot be loaded, with the pure-JNA
   * implementation (logging once why). Creates the interface if it does not exist, then sets the MTU, the IPv4
   * address (if {@link TunConfig#prefixLength()} &gt; 0) and brings the link up, in the network namespace of
   * the calling thread.
   *
   * @throws TunException with the device name and the errno text when the kernel refuses
   */
  static TunDevice open(TunConfig config) throws IOException {
    return Tuns.open(config, NativeLoader.failure());
  }

  /**
   * Opens with the JNI batch shim only (for benchmarks and explicit configuration).
   *
   * @throws IOException whose cause says why, when the native library is not loaded
   */
  static TunDevice openNative(TunConfig config) throws IOException {
    return NativeTun.open(config);
  }

  /** Opens with the pure-JNA implementation only (one JNA call per packet). */
  static TunDevice openJna(TunConfig config) throws IOException {
    return JnaTun.open(config);
  }

  /** The interface name (the kernel's choice when the configured name was empty). */
  String name();

  /** The MTU set at open. */
  int mtu();

  /** Bytes of the virtio-net header before each packet: 0 unless opened with {@link TunConfig#vnetHeader()}. */
  int vnetHeaderLength();

  /** Largest IPv4 packet a TSO super-segment may be (the 16-bit total length). */
  int MAX_SUPER_SEGMENT = 65535;

  /** True when opened with {@link TunConfig#segmentationOffload()} (TUN_F_TSO4 accepted by the kernel). */
  default boolean segmentationOffload() {
    return false;
  }

  /**
   * Largest frame one read returns or one write takes: the virtio-net header plus the MTU, or plus 64 KiB with
   * segmentation offload.
   */
  default int maxFrame() {
    return mtu() + vnetHeaderLength();
  }

  /**
   * Reads pending packets without blocking into entries {@code first ..} of a {@linkplain PacketBatch#packed
   * packed} batch, placing them back to back (64-byte aligned) in bytes {@code [from, to)}: a packet is read only
   * while {@link #maxFrame()} bytes remain, so none is ever truncated. Sets each entry's offset and length.
   *
   * @return how many packets were read; 0 when none is pending or the range is shorter than one frame
   * @throws IllegalArgumentException for a batch of fixed slots or a range outside it
   */
  default int readPacked(PacketBatch batch, int first, int maxCount, int from, int to) throws IOException {
    throw new UnsupportedOperationException("packed reads are not implemented by " + getClass().getName());
  }

  /** True for the JNI batch implementation, false for the pure-JNA fallback. */
  boolean isNative();

  /**
   * Reads pending packets without blocking into slots {@code firstSlot ..} of {@code batch} and sets their
   * lengths. The slot size must hold {@code mtu() + vnetHeaderLength()} bytes.
   *
   * @return how many packets were read, 0 when none is pending
   * @throws IllegalArgumentException for slots outside the batch or slots smaller than a packet can be
   * @throws java.nio.channels.ClosedChannelException after {@link #close()}
   * @throws TunException when the kernel reports an error
   */
  int read(PacketBatch batch, int firstSlot, int maxCount) throws IOException;

  /**
   * Writes the packets in slots {@code firstSlot .. firstSlot + count - 1} (each {@code batch.length(i)} bytes).
   * Every length is checked first: a packet longer than {@code mtu() + vnetHeaderLength()} or its slot, or
   * empty, is rejected before anything is written.
   *
   * @return how many packets were written: fewer than {@code count} when the kernel queue is full
   * @throws IllegalArgumentException for a bad slot range or a bad length
   * @throws java.nio.channels.ClosedChannelException after {@link #close()}
   * @throws TunException when the kernel refuses the first packet
   */
  int write(PacketBatch batch, int firstSlot, int count) throws IOException;

  /**
   * Blocks until a packet is pending, the timeout passes, or the device is closed. The wait is a poll(2) in
   * native code: {@link Thread#interrupt()} does not end it early; {@link #close()} does (through an eventfd).
   *
   * @param timeoutMillis maximum wait; negative waits until readable or closed
   * @return true when readable; false on timeout or once the device is closed
   */
  boolean await(int timeoutMillis) throws IOException;

  /**
   * Makes {@code selector}'s {@code select} calls return (with no key selected) while this device has a packet or an
   * error pending, so that one thread can wait for its sockets and this TUN queue at once. Level-triggered: a
   * caller that leaves packets unread gets no sleep. Lasts until the device is closed (the kernel then drops the fd
   * from the selector's set). Call at most once per selector.
   *
   * @return false when this implementation or the selector cannot do it (the pure-JNA fallback, or a selector that
   *     is not the JDK's epoll one); the caller then reads the device from another thread
   * @throws TunException when the kernel refuses
   */
  default boolean wakeSelector(Selector selector) throws IOException {
    return false;
  }

  /** Closes the device (idempotent); wakes a thread blocked in {@link #await}. Never throws. */
  @Override
  void close();
}
