package io.torgate.bench.tun;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Moves the calling thread (only) into a fresh, anonymous network namespace with unshare(2), sets it up as a
 * router that sends no ICMP redirects and has IPv6 off, and moves the thread back on {@link #close()}; the
 * namespace then disappears with its devices. Nothing is named, so a crashed run leaves nothing behind.
 * Must be created, used and closed on one platform thread (JMH runs Scope.Thread set-up on the benchmark thread).
 */
final class PrivateNetns implements AutoCloseable {
  private static final int CLONE_NEWNET = 0x40000000;
  private static final int O_RDONLY_CLOEXEC = 02000000;

  static {
    Native.register(PrivateNetns.class, Platform.C_LIBRARY_NAME);
  }

  private static native int open(String path, int flags);

  private static native int unshare(int flags);

  private static native int setns(int fd, int nstype);

  private static native int close(int fd);

  private final int home;

  private PrivateNetns(int home) {
    this.home = home;
  }

  static PrivateNetns enter() throws IOException {
    int home = open("/proc/thread-self/ns/net", O_RDONLY_CLOEXEC);
    if (home < 0) {
      throw new IOException("open /proc/thread-self/ns/net: errno " + Native.getLastError());
    }
    if (unshare(CLONE_NEWNET) != 0) {
      int err = Native.getLastError();
      close(home);
      throw new IOException("unshare(CLONE_NEWNET): errno " + err + " (run as root)");
    }
    PrivateNetns ns = new PrivateNetns(home);
    // /proc/sys/net resolves to the namespace of the thread that opens the file: this one.
    sysctl("ipv4/ip_forward", "1");
    // Forwarding back out of the arrival interface would otherwise trigger ICMP redirects (RFC 1812 4.3.3.2).
    sysctl("ipv4/conf/all/send_redirects", "0");
    sysctl("ipv4/conf/default/send_redirects", "0");
    sysctl("ipv6/conf/all/disable_ipv6", "1");
    sysctl("ipv6/conf/default/disable_ipv6", "1");
    return ns;
  }

  private static void sysctl(String key, String value) throws IOException {
    Path p = Path.of("/proc/sys/net", key);
    if (Files.exists(p)) {
      Files.writeString(p, value);
    }
  }

  @Override
  public void close() {
    if (setns(home, CLONE_NEWNET) != 0) {
      throw new IllegalStateException("cannot return to the original namespace: errno " + Native.getLastError());
    }
    close(home);
  }
}
