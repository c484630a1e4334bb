package io.torgate.tun;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/** Resolves the native address of a direct buffer, once, at set-up (never per packet). Stateless. */
final class DirectMemory {
  private DirectMemory() {}

  static long address(ByteBuffer direct) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("not a direct buffer");
    }
    // The JNI library's GetDirectBufferAddress when it is loaded; JNA's equivalent otherwise.
    long address = NativeLoader.failure() == null ? Jni.address(direct) : Pointer.nativeValue(
        Native.getDirectBufferPointer(direct));
    if (address == 0) {
      throw new IllegalStateException("direct buffer without an address");
    }
    return address;
  }
}
