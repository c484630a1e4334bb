package io.torgate.tun;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Selector;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What both implementations share: argument checks (so no bad length or slot reaches native code), error
 * mapping, and a close protocol that is safe against racing calls.
 *
 * <p>Close protocol: {@code state} counts calls in progress in units of 2 and keeps a closed flag in bit 0. Every
 * operation enters with a CAS (refused once closed) and leaves with a decrement; {@link #close()} sets the flag
 * and signals the wake fd; whoever brings the state to exactly "closed, no calls" closes the fds. So a thread
 * blocked in {@code await} is woken, and no call ever uses an fd number the kernel may have handed out again.
 * Costs two atomic operations per batch, nothing per packet.
 */
abstract class AbstractTun implements TunDevice {
  private static final int CLOSED = 1;
  private static final int CALL = 2;

  private final AtomicInteger state = new AtomicInteger();
  private final String name;
  private final int mtu;
  private final int vnetHeaderLength;
  private final boolean segmentationOffload;

  AbstractTun(String name, int mtu, int vnetHeaderLength, boolean segmentationOffload) {
    this.name = name;
    this.mtu = mtu;
    this.vnetHeaderLength = vnetHeaderLength;
    this.segmentationOffload = segmentationOffload;
  }

  /** Reads up to {@code max} packets into slots from {@code first}; returns the count or -errno. */
  abstract int readPackets(PacketBatch batch, int first, int max);

  /** Reads up to {@code max} packets packed into {@code [from, to)} of a packed batch; the count or -errno. */
  abstract int readPackedPackets(PacketBatch batch, int first, int max, int from, int to);

  /** Writes {@code count} packets from slots starting at {@code first}; returns the count or -errno. */
  abstract int writePackets(PacketBatch batch, int first, int count);

  /** Waits for readability or the wake signal: 1 readable, 0 timeout or woken, or -errno. */
  abstract int poll(int timeoutMillis);

  /** Signals the wake fd so that {@link #poll} returns. */
  abstract void wake();

  /** Adds the TUN fd to {@code selector}'s epoll set (see {@link #wakeSelector}): 0, -ENOTSUP, or -errno. */
  int watchFrom(Selector selector) {
    return -Errors.ENOTSUP;
  }

  /** Closes the TUN fd and the wake fd; called exactly once. */
  abstract void closeFds();

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final int mtu() {
    return mtu;
  }

  @Override
  public final int vnetHeaderLength() {
    return vnetHeaderLength;
  }

  @Override
  public final boolean segmentationOffload() {
    return segmentationOffload;
  }

  @Override
  public final int maxFrame() {
    return (segmentationOffload ? Math.max(mtu, MAX_SUPER_SEGMENT) : mtu) + vnetHeaderLength;
  }

  @Override
  public final int readPacked(PacketBatch batch, int first, int maxCount, int from, int to) throws IOException {
    batch.checkRange(first, maxCount);
    if (!batch.isPacked() || from < 0 || from > to || to > batch.byteCapacity()) {
      throw new IllegalArgumentException("tun " + name + ": packed read into [" + from + ", " + to + ") of a "
          + (batch.isPacked() ? batch.byteCapacity() + "-byte packed batch" : "batch of fixed slots"));
    }
    if (maxCount == 0 || to - from < maxFrame()) {
      return 0;
    }
    enter();
    try {
      return Errors.check(name, "read", readPackedPackets(batch, first, maxCount, from, to));
    } finally {
      keepAlive(batch);
      leave();
    }
  }

  @Override
  public final int read(PacketBatch batch, int firstSlot, int maxCount) throws IOException {
    batch.checkRange(firstSlot, maxCount);
    if (batch.isPacked() || batch.slotSize() < maxFrame()) {
      // A short slot would silently truncate packets.
      throw new IllegalArgumentException("tun " + name + ": slot size " + batch.slotSize() + " < MTU "
          + mtu + " + header " + vnetHeaderLength);
    }
    return transfer(batch, firstSlot, maxCount, true);
  }

  @Override
  public final int write(PacketBatch batch, int firstSlot, int count) throws IOException {
    batch.checkRange(firstSlot, count);
    int limit = batch.isPacked() ? maxFrame() : Math.min(maxFrame(), batch.slotSize());
    for (int i = firstSlot; i < firstSlot + count; i++) {
      int len = batch.length(i);
      if (len <= vnetHeaderLength || len > limit) {
        throw new IllegalArgumentException("tun " + name + ": slot " + i + " holds " + len
            + " bytes; a packet must be 1.." + mtu + " bytes (MTU) plus the " + vnetHeaderLength
            + "-byte header, within the " + batch.slotSize() + "-byte slot (" + limit + " at most)");
      }
    }
    return transfer(batch, firstSlot, count, false);
  }

  /** One read or write call on checked arguments, inside the close protocol. */
  private int transfer(PacketBatch batch, int first, int count, boolean read) throws IOException {
    if (count == 0) {
      return 0;
    }
    enter();
    try {
      int result = read ? readPackets(batch, first, count) : writePackets(batch, first, count);
      return Errors.check(name, read ? "read" : "write", result);
    } finally {
      keepAlive(batch);
      leave();
    }
  }

  @Override
  public final boolean await(int timeoutMillis) throws IOException {
    if (!tryEnter()) {
      return false;
    }
    try {
      return Errors.check(name, "poll", poll(timeoutMillis)) > 0;
    } finally {
      keepAlive(null);
      leave();
    }
  }

  @Override
  public final boolean wakeSelector(Selector selector) throws IOException {
    enter();
    try {
      int rc = watchFrom(selector);
      return rc != -Errors.ENOTSUP && Errors.check(name, "add to selector", rc) >= 0;
    } finally {
      keepAlive(null);
      leave();
    }
  }

  @Override
  public final void close() {
    if (!tryEnter()) {
      return; // closed already
    }
    boolean first;
    for (;;) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        first = false;
        break;
      }
      if (state.compareAndSet(s, s | CLOSED)) {
        first = true;
        break;
      }
    }
    if (first) {
      wake();
    }
    leave();
  }

  /** True once {@link #close()} has been called (the fds may still be open while calls drain). */
  final boolean isClosed() {
    return (state.get() & CLOSED) != 0;
  }

  /**
   * Native code sees only raw addresses: the batch (whose buffers GC would free) and this device (which owns
   * native blocks in the JNA variant) must stay reachable until the native call has returned.
   */
  private void keepAlive(PacketBatch batch) {
    Reference.reachabilityFence(batch);
    Reference.reachabilityFence(this);
  }

  private void enter() throws ClosedChannelException {
    if (!tryEnter()) {
      throw new ClosedChannelException();
    }
  }

  private boolean tryEnter() {
    for (;;) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + CALL)) {
        return true;
      }
    }
  }

  private void leave() {
    if (state.addAndGet(-CALL) == CLOSED) {
      closeFds();
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + name + ", mtu " + mtu + (isClosed() ? ", closed]" : "]");
  }
}
