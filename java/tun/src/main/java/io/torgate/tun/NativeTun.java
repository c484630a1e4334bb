package io.torgate.tun;

import java.io.IOException;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;

/**
 * TUN device over the JNI shim: one native call per batch (a read(2)/write(2) loop in C), buffers passed as
 * addresses resolved once per {@link PacketBatch}. Thread-safety as in {@link TunDevice}; owns its two fds
 * (the TUN fd and an eventfd that wakes {@link #await}).
 */
final class NativeTun extends AbstractTun {
  private final int fd;
  private final int wakeFd;

  private NativeTun(String name, int mtu, int vnetHeaderLength, boolean tso, int fd, int wakeFd) {
    super(name, mtu, vnetHeaderLength, tso);
    this.fd = fd;
    this.wakeFd = wakeFd;
  }

  /** Opens and configures the device (see {@link TunDevice#open}); requires the native library. */
  static NativeTun open(TunConfig config) throws IOException {
    Throwable failure = NativeLoader.failure();
    if (failure != null) {
      throw new IOException("torgate native TUN library not loaded", failure);
    }
    String requested = config.name();
    byte[] actual = new byte[Jni.maxNameLength() + 1];
    int fd = Errors.check(requested, "open", Jni.open(requested, config.multiQueue(), config.vnetHeader(),
        config.segmentationOffload(), actual));
    String name = cString(actual);
    int wakeFd = -1;
    try {
      Errors.check(name, "set MTU " + config.mtu(), Jni.setMtu(name, config.mtu()));
      if (config.prefixLength() > 0) {
        Errors.check(name, "set address " + TunConfig.formatIpv4(config.ipv4Address()) + "/"
            + config.prefixLength(), Jni.setIpv4(name, config.ipv4Address(), config.prefixLength()));
      }
      Errors.check(name, "set link up", Jni.setUp(name));
      wakeFd = Errors.check(name, "eventfd", Jni.wakeCreate());
    } catch (IOException | RuntimeException e) {
      Jni.close(fd);
      throw e;
    }
    int header = config.vnetHeader() ? Jni.vnetHeaderLength() : 0;
    return new NativeTun(name, config.mtu(), header, config.segmentationOffload(), fd, wakeFd);
  }

  private static String cString(byte[] bytes) {
    int len = 0;
    while (len < bytes.length && bytes[len] != 0) {
      len++;
    }
    return new String(bytes, 0, len, StandardCharsets.US_ASCII);
  }

  @Override
  public boolean isNative() {
    return true;
  }

  @Override
  int readPackets(PacketBatch batch, int first, int max) {
    return Jni.readBatch(fd, batch.bufferAddress + (long) first * batch.slotSize(), batch.slotSize(), max,
        batch.lengthsAddress + (long) first * Integer.BYTES);
  }

  @Override
  int readPackedPackets(PacketBatch batch, int first, int max, int from, int to) {
    long skip = (long) first * Integer.BYTES;
    return Jni.readPacked(fd, batch.bufferAddress, from, to, maxFrame(), max, batch.offsetsAddress + skip,
        batch.lengthsAddress + skip);
  }

  @Override
  int writePackets(PacketBatch batch, int first, int count) {
    long skip = (long) first * Integer.BYTES;
    return Jni.writeBatch(fd, batch.bufferAddress, batch.offsetsAddress + skip, batch.lengthsAddress + skip, count);
  }

  @Override
  int poll(int timeoutMillis) {
    return Jni.await(fd, wakeFd, timeoutMillis);
  }

  @Override
  void wake() {
    Jni.wake(wakeFd);
  }

  @Override
  int watchFrom(Selector selector) {
    return Jni.watchFromSelector(selector, fd);
  }

  @Override
  void closeFds() {
    Jni.close(fd);
    Jni.close(wakeFd);
  }
}
