package io.torgate.tun.testing;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A named network namespace for tests ({@code ip netns add}), with its loopback up and IPv6 off (so the kernel
 * sends no router solicitations or MLD reports into test devices: an idle TUN stays idle).
 *
 * <p>{@link #run} moves the calling <em>platform</em> thread into the namespace with setns(2) and back afterwards:
 * sockets and TUN devices opened there, and threads started there, belong to the namespace (a new thread inherits
 * its creator's namespace). Do not call it on a virtual thread (its carrier would move instead).
 *
 * <p>Names are {@code prefix-PID-N}; {@link #create} deletes leftovers with the same prefix whose PID is gone
 * (a crashed earlier run). {@link #close()} kills the processes left in the namespace and deletes it.
 * Thread-safety: {@code run}/{@code call} may be used from several threads at once; {@code close} once, at the end.
 */
public final class NetNs implements AutoCloseable {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final int CLONE_NEWNET = 0x40000000;
  private static final int O_RDONLY_CLOEXEC = 02000000;
  private static final long COMMAND_TIMEOUT_SECONDS = 30;

  static {
    Native.register(NetNs.class, Platform.C_LIBRARY_NAME);
  }

  private static native int open(String path, int flags);

  private static native int setns(int fd, int nstype);

  private static native int close(int fd);

  private final String name;

  private NetNs(String name) {
    this.name = name;
  }

  /** Creates a namespace named {@code prefix-PID-N}, loopback up, IPv6 disabled. */
  public static NetNs create(String prefix) throws IOException {
    removeLeftovers(prefix);
    String name = prefix + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    command(List.of("ip", "netns", "add", name));
    NetNs ns = new NetNs(name);
    try {
      ns.sh("ip link set lo up; sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
          + " 2>/dev/null || true");
    } catch (IOException | RuntimeException e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  public String name() {
    return name;
  }

  /** Runs {@code r} on the calling thread inside the namespace, then moves the thread back. */
  public void run(ThrowingRunnable r) throws Exception {
    call(() -> {
      r.run();
      return null;
    });
  }

  /** Calls {@code c} on the calling thread inside the namespace, then moves the thread back. */
  public <T> T call(Callable<T> c) throws Exception {
    int home = open("/proc/thread-self/ns/net", O_RDONLY_CLOEXEC);
    if (home < 0) {
      throw new IOException("open /proc/thread-self/ns/net: errno " + Native.getLastError());
    }
    try {
      int target = open("/run/netns/" + name, O_RDONLY_CLOEXEC);
      if (target < 0) {
        throw new IOException("open /run/netns/" + name + ": errno " + Native.getLastError());
      }
      try {
        if (setns(target, CLONE_NEWNET) != 0) {
          throw new IOException("setns(" + name + "): errno " + Native.getLastError());
        }
      } finally {
        close(target);
      }
      try {
        return c.call();
      } finally {
        if (setns(home, CLONE_NEWNET) != 0) {
          // The thread would go on in the test namespace: unsafe to continue.
          throw new IllegalStateException("cannot return to the original namespace: errno " + Native.getLastError());
        }
      }
    } finally {
      close(home);
    }
  }

  /** Starts {@code cmd} inside the namespace ({@code ip netns exec NAME cmd...}). */
  public Process exec(String... cmd) throws IOException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", name));
    argv.addAll(List.of(cmd));
    return new ProcessBuilder(argv).start();
  }

  /** Runs {@code sh -c cmd} inside the namespace; returns its stdout, throws with its stderr when it fails. */
  public String sh(String cmd) throws IOException {
    return command(List.of("ip", "netns", "exec", name, "sh", "-c", cmd));
  }

  /** Kills every process left in the namespace and deletes it. Never throws. */
  @Override
  public void close() {
    try {
      for (String pid : command(List.of("ip", "netns", "pids", name)).split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      command(List.of("ip", "netns", "delete", name));
    } catch (IOException | RuntimeException e) {
      System.getLogger(NetNs.class.getName()).log(System.Logger.Level.WARNING, "deleting netns " + name, e);
    }
  }

  private static void removeLeftovers(String prefix) throws IOException {
    for (String line : command(List.of("ip", "netns", "list")).split("\n")) {
      String ns = line.split(" ")[0];
      if (!ns.startsWith(prefix + "-")) {
        continue;
      }
      String[] parts = ns.substring(prefix.length() + 1).split("-");
      boolean owned = parts.length == 2 && parts[0].chars().allMatch(Character::isDigit) && !parts[0].isEmpty();
      if (owned && ProcessHandle.of(Long.parseLong(parts[0])).isEmpty()) {
        new NetNs(ns).close();
      }
    }
  }

  /** Runs a command, returns stdout; throws with the exit code and stderr when it fails or hangs. */
  static String command(List<String> argv) throws IOException {
    // Output goes to files, not pipes, so a chatty or hung command cannot block us past the timeout.
    Path out = Files.createTempFile("netns-out", ".txt");
    Path err = Files.createTempFile("netns-err", ".txt");
    try {
      Process p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", argv) + ": timed out");
      }
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", argv) + ": exit " + p.exitValue() + ": "
            + Files.readString(err, StandardCharsets.UTF_8).strip());
      }
      return Files.readString(out, StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(String.join(" ", argv) + ": interrupted", e);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
