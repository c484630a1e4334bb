package io.torgate.tun;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads libtorgate_tun.so from inside the jar, once per class loader: copies the resource to a temp file,
 * {@code System.load}s it (its JNI_OnLoad registers the natives of {@link Jni}), and deletes the file (the
 * mapping stays). A failure is not thrown but recorded, so callers can fall back to JNA and say why.
 * Thread-safe (class-initialisation holder).
 */
public final class NativeLoader {
  /** Where the build puts the library inside the torgate-tun jar. */
  public static final String RESOURCE = "/native/linux-x86_64/libtorgate_tun.so";
  /** Set this system property to "false" to skip the JNI library and use JNA. */
  public static final String ENABLE_PROPERTY = "torgate.tun.jni";

  private NativeLoader() {}

  private static final class Holder {
    static final Throwable FAILURE = Boolean.parseBoolean(System.getProperty(ENABLE_PROPERTY, "true"))
        ? load(RESOURCE) : new UnsupportedOperationException("disabled by -D" + ENABLE_PROPERTY + "=false");
  }

  /** Whether the JNI library is loaded (loading it on first call). */
  public static boolean isLoaded() {
    return failure() == null;
  }

  /** Why the JNI library could not be loaded, or null when it is loaded. */
  public static Throwable failure() {
    return Holder.FAILURE;
  }

  /** Extracts and loads the library resource; returns null on success or the cause of failure. */
  static Throwable load(String resource) {
    try {
      String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
      String arch = System.getProperty("os.arch", "");
      if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
        return new UnsatisfiedLinkError("no torgate native library for " + os + "/" + arch);
      }
      Path file;
      try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
        if (in == null) {
          return new UnsatisfiedLinkError("resource " + resource + " not found next to " + NativeLoader.class);
        }
        file = Files.createTempFile("libtorgate_tun-", ".so");
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      try {
        System.load(file.toAbsolutePath().toString());
      } finally {
        Files.deleteIfExists(file);
      }
      return null;
    } catch (IOException | LinkageError | SecurityException e) {
      return e;
    }
  }
}
