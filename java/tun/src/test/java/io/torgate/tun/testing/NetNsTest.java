package io.torgate.tun.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class NetNsTest {
  private static String ownNamespace() throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
  }

  @Test
  void runMovesOnlyTheCallingThreadAndMovesItBack() throws Exception {
    String home = ownNamespace();
    try (NetNs ns = NetNs.create("tgnstest")) {
      assertTrue(ns.name().startsWith("tgnstest-" + ProcessHandle.current().pid() + "-"), ns.name());
      String inside = ns.call(NetNsTest::ownNamespace);
      assertNotEquals(home, inside);
      assertEquals(home, ownNamespace(), "thread moved back");
      // A thread started inside inherits the namespace.
      AtomicReference<String> child = new AtomicReference<>();
      ns.run(() -> {
        Thread t = new Thread(() -> {
          try {
            child.set(ownNamespace());
          } catch (IOException e) {
            child.set(e.toString());
          }
        });
        t.start();
        t.join();
      });
      assertEquals(inside, child.get());
      // Links created through sh() are visible in the namespace only.
      ns.sh("ip link add tgdummy0 type veth peer name tgdummy1");
      assertTrue(ns.sh("ip -o link show").contains("tgdummy0"));
      assertFalse(NetNs.command(List.of("ip", "-o", "link", "show")).contains("tgdummy0"));
      assertEquals("1\n", ns.sh("cat /proc/sys/net/ipv6/conf/all/disable_ipv6"), "IPv6 off");
      assertTrue(ns.sh("ip -o link show lo").contains("UP"), "loopback up");
    }
  }

  @Test
  void runRestoresTheNamespaceWhenTheBlockThrows() throws Exception {
    String home = ownNamespace();
    try (NetNs ns = NetNs.create("tgnstest")) {
      assertThrows(IllegalStateException.class, () -> ns.run(() -> {
        throw new IllegalStateException("boom");
      }));
      assertEquals(home, ownNamespace());
    }
  }

  @Test
  void shReportsFailuresWithStderr() throws Exception {
    try (NetNs ns = NetNs.create("tgnstest")) {
      IOException e = assertThrows(IOException.class, () -> ns.sh("echo oops >&2; exit 3"));
      assertTrue(e.getMessage().contains("exit 3") && e.getMessage().contains("oops"), e.getMessage());
    }
  }

  @Test
  void closeDeletesTheNamespaceAndKillsItsProcesses() throws Exception {
    NetNs ns = NetNs.create("tgnstest");
    Process sleeper = ns.exec("sleep", "300");
    ns.close();
    assertTrue(sleeper.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "process killed");
    assertFalse(Files.exists(Path.of("/run/netns", ns.name())));
  }

  @Test
  void createRemovesLeftoversOfDeadProcesses() throws Exception {
    String stale = "tgnstest-999999999-1";
    NetNs.command(List.of("ip", "netns", "add", stale));
    try (NetNs ns = NetNs.create("tgnstest")) {
      assertFalse(Files.exists(Path.of("/run/netns", stale)), "stale namespace removed");
    } finally {
      NetNs.command(List.of("sh", "-c", "ip netns delete " + stale + " 2>/dev/null || true"));
    }
  }
}
