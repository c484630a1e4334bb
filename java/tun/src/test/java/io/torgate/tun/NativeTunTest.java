package io.torgate.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
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

  /** The JNA path must hard-code kernel constants; here they are checked against the C headers. */
  @Test
  void jnaConstantsMatchTheCHeaders() {
    int[] fromC = Jni.kernelConstants();
    assertEquals(Libc.KERNEL_CONSTANTS.toString(), Arrays.toString(fromC));
    assertEquals(Libc.VNET_HDR_SIZE, Jni.vnetHeaderLength());
    assertEquals(Libc.IFNAMSIZ - 1, Jni.maxNameLength());
  }
}
