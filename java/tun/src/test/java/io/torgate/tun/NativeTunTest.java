package io.torgate.tun;

import static io.torgate.tun.testing.TestPackets.IPV4_HEADER;
import static io.torgate.tun.testing.TestPackets.UDP_HEADER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every {@link TunDeviceContract} test against the JNI batch implementation, plus loader checks. */
class NativeTunTest extends TunDeviceContract {

  @Override
  TunDevice open(TunConfig config) throws IOException {
    return NativeTun.open(config);
  }

  @Override
  boolean isNativeImplementation() {
    return true;
  }

  @Test
  void libraryLoadsFromTheJarResourceAndIsTheDefault() throws Exception {
    assertNull(NativeLoader.failure(), "native library failed to load");
    assertTrue(NativeLoader.class.getResource(NativeLoader.RESOURCE) != null);
    try (TunDevice tun = ns.call(() -> TunDevice.open(config("tgd0").build()))) {
      assertTrue(tun.isNative());
    }
  }

  @Test
  void missingLibraryIsRecordedAndOpenFallsBackToJna() throws Exception {
    Throwable failure = NativeLoader.load("/native/linux-x86_64/no-such-library.so");
    assertInstanceOf(UnsatisfiedLinkError.class, failure);
    assertTrue(failure.getMessage().contains("no-such-library.so"), failure.getMessage());
    try (TunDevice tun = ns.call(() -> Tuns.open(config("tgf0").build(), failure))) {
      assertInstanceOf(JnaTun.class, tun);
    }
  }

  /** A JVM that cannot use the JNI library opens with JNA and logs why (here: switched off by property). */
  @Test
  void openFallsBackToJnaWithALogLineSayingWhy() throws Exception {
    String out = probe(List.of(), List.of("-D" + NativeLoader.ENABLE_PROPERTY + "=false"), "auto", "tgfb0", 0);
    assertTrue(out.contains("opened tgfb0 native=false"), out);
    assertTrue(out.contains("native library unavailable") && out.contains("disabled by -Dtorgate.tun.jni=false"),
        out);
  }

  /**
   * The worker's run-to-completion wait: a Selector with the TUN in its epoll set sleeps while the TUN is empty,
   * returns (with no key) once the kernel routes a packet into it, keeps returning while the packet is unread
   * (level-triggered), and sleeps again once it is read.
   */
  @Test
  void selectorWakesWhileTheTunHasAPacket() throws Exception {
    try (TunDevice tun = openInNs(config("tgsel0").build());
         Selector selector = Selector.open();
         DatagramChannel ch = ns.call(() -> DatagramChannel.open().bind(new InetSocketAddress(TUN_ADDR, 0)))) {
      assertTrue(tun.wakeSelector(selector), "the JDK's epoll selector takes the TUN fd");
      PacketBatch batch = new PacketBatch(8, SLOT);
      while (tun.read(batch, 0, batch.capacity()) > 0) {
        // drain anything the kernel sent when the link came up (e.g. IPv6 router solicitations)
      }
      long start = System.nanoTime();
      assertEquals(0, selector.select(200), "no key is ever selected for the TUN");
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(150) || tun.read(batch, 0, 8) > 0,
          "an empty TUN lets select sleep (or a stray kernel packet woke it)");
      while (tun.read(batch, 0, batch.capacity()) > 0) {
        // as above
      }
      ch.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), new InetSocketAddress(PEER, 5000));
      start = System.nanoTime();
      selector.select(30_000);
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "select returned for the packet");
      assertEquals(0, selector.selectNow(), "still no key for the TUN");
      readAtLeast(tun, batch, 1);
      assertEquals(IPV4_HEADER + UDP_HEADER + 3, batch.length(0));
    }
  }

  @Test
  void jnaFallbackCannotWakeASelector() throws Exception {
    try (TunDevice tun = ns.call(() -> JnaTun.open(config("tgsel1").build()));
         Selector selector = Selector.open()) {
      assertFalse(tun.wakeSelector(selector));
    }
  }

  /** The JNA path must hard-code kernel constants; here they are checked against the C headers. */
  @Test
  void jnaConstantsMatchTheCHeaders() {
    int[] fromC = Jni.kernelConstants();
    assertEquals(Libc.KERNEL_CONSTANTS.toString(), Arrays.toString(fromC));
    assertEquals(Libc.VNET_HDR_SIZE, Jni.vnetHeaderLength());
    assertEquals(Libc.IFNAMSIZ - 1, Jni.maxNameLength());
  }
}
