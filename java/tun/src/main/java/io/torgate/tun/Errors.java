package io.torgate.tun;

/**
 * The one place that turns a {@code -errno} result from either implementation into an exception. EAGAIN is
 * not an error (it means "nothing more now") and maps to 0. Stateless; thread-safe.
 */
final class Errors {
  /** Linux errno values the Java side must recognise (asm-generic/errno-base.h, errno.h). */
  static final int EINTR = 4;
  static final int EAGAIN = 11;
  static final int EINVAL = 22;
  static final int ENAMETOOLONG = 36;
  static final int ENOTSUP = 95;

  private Errors() {}

  /**
   * Returns {@code result} when it is a count (&gt;= 0), 0 for -EAGAIN, and throws for any other -errno.
   *
   * @throws TunException naming the device, the operation and the errno text
   */
  static int check(String device, String operation, int result) throws TunException {
    if (result >= 0) {
      return result;
    }
    if (result == -EAGAIN) {
      return 0;
    }
    throw exception(device, operation, -result);
  }

  static TunException exception(String device, String operation, int errno) {
    return new TunException(device, operation, errno, text(errno));
  }

  /** strerror(3) text of {@code errno}, from the JNI library when loaded, else from libc through JNA. */
  static String text(int errno) {
    return NativeLoader.failure() == null ? Jni.strerror(errno) : Libc.strerror(errno);
  }
}
