package io.torgate.tun;

import java.io.IOException;
import java.lang.System.Logger.Level;

/** Picks the implementation behind {@link TunDevice#open(TunConfig)}. Stateless apart from a once-only log. */
final class Tuns {
  private static final System.Logger LOG = System.getLogger(Tuns.class.getName());
  private static volatile boolean fallbackLogged;

  private Tuns() {}

  /** Opens with JNI when {@code nativeFailure} is null, else with JNA, logging the failure once. */
  static TunDevice open(TunConfig config, Throwable nativeFailure) throws IOException {
    if (nativeFailure == null) {
      return NativeTun.open(config);
    }
    if (!fallbackLogged) {
      fallbackLogged = true;
      LOG.log(Level.WARNING, "torgate TUN: native library unavailable (" + nativeFailure
          + "); using the pure-JNA implementation (one JNA call per packet)");
    }
    return JnaTun.open(config);
  }
}
