package io.torgate.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import io.torgate.tun.testing.TestPackets;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Life cycle, bad input and error reporting of one implementation, on top of the traffic tests it inherits.
 * Subclasses pick the implementation; every test here runs for both JNI and JNA.
 */
abstract class TunDeviceContract extends TunTrafficContract {

  /** Whether the implementation under test is the JNI one. */
  abstract boolean isNativeImplementation();

  @Test
  void reportsItsNameMtuAndImplementation() throws Exception {
    try (TunDevice tun = openInNs(config("tgn0").build())) {
      assertEquals("tgn0", tun.name());
      assertEquals(MTU, tun.mtu());
      assertEquals(0, tun.vnetHeaderLength());
      assertEquals(isNativeImplementation(), tun.isNative());
      String link = ns.sh("ip -o link show tgn0; ip -o -4 addr show tgn0");
      assertTrue(link.contains("mtu 1400") && link.contains("UP"), link);
      assertTrue(link.contains("inet 10.77.0.1/24"), link);
    }
    assertEquals("", ns.sh("ip -o link show | grep tgn0 || true"), "a closed device disappears");
  }

  @Test
  void emptyNameLetsTheKernelChoose() throws Exception {
    try (TunDevice tun = openInNs(TunConfig.builder("").build())) {
      assertTrue(tun.name().startsWith("tun"), tun.name());
    }
  }

  @Test
  void multiQueueDevicesShareOneInterface() throws Exception {
    try (TunDevice a = openInNs(config("tgm0").multiQueue(true).build());
         TunDevice b = openInNs(TunConfig.builder("tgm0").mtu(MTU).multiQueue(true).build())) {
      assertEquals(a.name(), b.name());
    }
  }

  @Test
  void idleReadReturnsZeroWithoutBlocking() throws Exception {
    try (TunDevice tun = openInNs(config("tgi0").build())) {
      PacketBatch batch = new PacketBatch(8, SLOT);
      long t0 = System.nanoTime();
      assertEquals(0, tun.read(batch, 0, 8));
      assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(500), "read did not block");
      t0 = System.nanoTime();
      assertFalse(tun.await(100), "nothing to read");
      long waited = System.nanoTime() - t0;
      assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(90), "await honoured its timeout: " + waited);
      assertEquals(0, tun.read(batch, 0, 8));
    }
  }

  @Test
  void closeWakesAThreadBlockedInAwait() throws Exception {
    TunDevice tun = openInNs(config("tgc0").build());
    CompletableFuture<Boolean> waiter = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        waiter.complete(tun.await(30_000));
      } catch (Throwable e) {
        waiter.completeExceptionally(e);
      }
    });
    t.start();
    Thread.sleep(200);
    assertFalse(waiter.isDone(), "still waiting before close");
    long t0 = System.nanoTime();
    tun.close();
    assertFalse(waiter.get(2, TimeUnit.SECONDS), "await reports closed, not readable");
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));
    t.join(2000);
    tun.close(); // idempotent
    assertFalse(tun.await(10));
    PacketBatch batch = new PacketBatch(1, SLOT);
    assertThrows(ClosedChannelException.class, () -> tun.read(batch, 0, 1));
    batch.setLength(0, 40);
    assertThrows(ClosedChannelException.class, () -> tun.write(batch, 0, 1));
  }

  /**
   * close() racing with a reader and two writers: every thread ends promptly with a clean "closed" outcome, and
   * the fds are released exactly once (the process's open fd count returns to where it started).
   */
  @Test
  void closeRacingWithCallsReleasesTheFdsOnce() throws Exception {
    long fdsBefore = -1;
    for (int round = 0; round <= 10; round++) {
      if (round == 1) {
        fdsBefore = openFds(); // after one warm-up round has loaded every class the race needs
      }
      TunDevice tun = openInNs(config("tgz0").build());
      PacketBatch out = new PacketBatch(8, SLOT);
      for (int i = 0; i < 8; i++) {
        // 0.0.0.1 -> 0.0.0.2: a martian the kernel drops at once.
        out.setLength(i, TestPackets.udp(out.buffer(), out.slotOffset(i), 1, 1, 2, 2, new byte[8]));
      }
      java.util.List<CompletableFuture<Void>> workers = new java.util.ArrayList<>();
      workers.add(CompletableFuture.runAsync(() -> loopUntilClosed(() -> {
        tun.read(new PacketBatch(4, SLOT), 0, 4);
        tun.await(5);
      })));
      for (int w = 0; w < 2; w++) {
        workers.add(CompletableFuture.runAsync(() -> loopUntilClosed(() -> tun.write(out, 0, 8))));
      }
      Thread.sleep(30);
      tun.close();
      CompletableFuture.allOf(workers.toArray(new CompletableFuture[0])).get(5, TimeUnit.SECONDS);
    }
    assertEquals(fdsBefore, openFds(), "open file descriptors after 10 open/race/close rounds");
  }

  private interface IoStep {
    void run() throws Exception;
  }

  private static void loopUntilClosed(IoStep step) {
    try {
      for (;;) {
        step.run();
      }
    } catch (ClosedChannelException expected) {
      // the only way out
    } catch (Exception e) {
      throw new AssertionError("unexpected " + e, e);
    }
  }

  private static long openFds() throws Exception {
    try (var list = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
      return list.count();
    }
  }

  @Test
  void invalidNamesRaiseExceptionsNamingDeviceAndErrno() {
    TunException bad = assertThrows(TunException.class, () -> openInNs(TunConfig.builder("bad/name").build()));
    assertEquals(22, bad.errno());
    assertTrue(bad.getMessage().contains("bad/name") && bad.getMessage().contains("Invalid argument"),
        bad.getMessage());
    TunException tooLong = assertThrows(TunException.class,
        () -> openInNs(TunConfig.builder("abcdefghijklmnop").build()));
    assertTrue(tooLong.getMessage().contains("abcdefghijklmnop")
        && tooLong.getMessage().contains("File name too long"), tooLong.getMessage());
  }

  @Test
  void secondOpenOfABusyDeviceFails() throws Exception {
    try (TunDevice tun = openInNs(config("tgb0").build())) {
      TunException busy = assertThrows(TunException.class, () -> openInNs(TunConfig.builder("tgb0").build()));
      assertEquals(16, busy.errno());
      assertTrue(busy.getMessage().contains("tgb0") && busy.getMessage().contains("Device or resource busy"),
          busy.getMessage());
    }
  }

  /** A child JVM stripped of every capability (setpriv) inside the namespace must get EPERM, named. */
  @Test
  void openingWithoutPermissionNamesDeviceAndErrno() throws Exception {
    String out = probe(List.of("setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"), List.of(),
        isNativeImplementation() ? "jni" : "jna", "tgperm0", 3);
    assertTrue(out.contains("errno=1 ") && out.contains("tgperm0") && out.contains("Operation not permitted"), out);
  }

  @Test
  void overlongWritesAreRejectedBeforeReachingTheKernel() throws Exception {
    try (TunDevice tun = openInNs(config("tgo0").build())) {
      PacketBatch batch = new PacketBatch(2, SLOT);
      int ok = TestPackets.udp(batch.buffer(), 0, TunConfig.parseIpv4(PEER), 1, TunConfig.parseIpv4(TUN_ADDR), 9,
          new byte[10]);
      batch.setLength(0, ok);
      batch.setLength(1, MTU + 1);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tun.write(batch, 0, 2));
      assertTrue(e.getMessage().contains("tgo0") && e.getMessage().contains("1401"), e.getMessage());
      batch.setLength(1, 0);
      assertThrows(IllegalArgumentException.class, () -> tun.write(batch, 1, 1), "empty packet");
      assertThrows(IllegalArgumentException.class, () -> batch.setLength(1, SLOT + 1), "longer than the slot");
      assertThrows(IllegalArgumentException.class, () -> tun.write(batch, 1, 2), "slot range");
      assertThrows(IllegalArgumentException.class, () -> tun.read(new PacketBatch(4, MTU - 1), 0, 4),
          "slots too small to read into");
      assertEquals(1, tun.write(batch, 0, 1), "the device still works");
    }
  }

  /**
   * The hot path allocates nothing: after warm-up, thousands of write/read/await calls must not allocate on the
   * calling thread (the packets carry a corrupted IPv4 checksum, so the kernel drops them in ip_rcv and the
   * reads find the device idle).
   */
  @Test
  void batchCallsDoNotAllocate() throws Exception {
    try (TunDevice tun = openInNs(config("tga0").build())) {
      PacketBatch batch = new PacketBatch(16, SLOT);
      for (int i = 0; i < batch.capacity(); i++) {
        int len = TestPackets.udp(batch.buffer(), batch.slotOffset(i), TunConfig.parseIpv4(PEER), 1,
            TunConfig.parseIpv4("10.77.0.9"), 9, new byte[32]);
        batch.buffer().putShort(batch.slotOffset(i) + 10, (short) 0x0bad);
        batch.setLength(i, len);
      }
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
      long tid = Thread.currentThread().threadId();
      cycles(tun, batch, 20_000); // let the JIT compile the path
      long before = threads.getThreadAllocatedBytes(tid);
      cycles(tun, batch, 5_000);
      long allocated = threads.getThreadAllocatedBytes(tid) - before;
      assertTrue(allocated < 1024, "allocated " + allocated + " bytes in 5,000 batch cycles");
    }
  }

  private static void cycles(TunDevice tun, PacketBatch batch, int n) throws Exception {
    int sum = 0;
    for (int i = 0; i < n; i++) {
      sum += tun.write(batch, 0, batch.capacity());
      sum += tun.read(batch, 0, batch.capacity());
      sum += tun.await(0) ? 1 : 0;
    }
    assertTrue(sum >= n, "packets were written");
  }

  /**
   * Runs {@link OpenProbe} in a child JVM inside the namespace (after the {@code wrapper} command) and returns
   * its stdout and stderr; fails unless it exits with {@code expectedExit}.
   */
  String probe(List<String> wrapper, List<String> jvmOptions, String impl, String device, int expectedExit)
      throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(wrapper);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", String.join(":", List.of(codeSource(NativeLoader.class),
        codeSource(OpenProbe.class), codeSource(Native.class))), OpenProbe.class.getName(), impl, device));
    Process p = ns.exec(cmd.toArray(new String[0]));
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "probe finished");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
        + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(expectedExit, p.exitValue(), out);
    return out;
  }

  private static String codeSource(Class<?> c) throws Exception {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
