package io.torgate.tun;

import java.io.IOException;

/**
 * A kernel error from a TUN operation. The message names the device, the operation and the errno text
 * (for example {@code tun "tg0": open failed: Operation not permitted (errno 1)}). Immutable.
 */
public final class TunException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String device;
  private final int errno;

  TunException(String device, String operation, int errno, String errnoText) {
    super("tun \"" + device + "\": " + operation + " failed: " + errnoText + " (errno " + errno + ")");
    this.device = device;
    this.errno = errno;
  }

  /** The device name as configured. */
  public String device() {
    return device;
  }

  /** The positive errno value (for example 1 for EPERM). */
  public int errno() {
    return errno;
  }
}
