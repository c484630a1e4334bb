package io.torgate.tun;

/**
 * Child-JVM probe for the "no permission" tests: opens a device with the named implementation and prints the
 * outcome. Usage: {@code OpenProbe jni|jna|auto NAME} (auto: {@link TunDevice#open}). Exit 0 when opened, 3 with the exception message on stdout
 * when a {@link TunException} was thrown, 4 for anything else.
 */
public final class OpenProbe {
  private OpenProbe() {}

  public static void main(String[] args) {
    TunConfig config = TunConfig.builder(args[1]).build();
    try (TunDevice tun = switch (args[0]) {
      case "jni" -> NativeTun.open(config);
      case "jna" -> JnaTun.open(config);
      default -> TunDevice.open(config);
    }) {
      System.out.println("opened " + tun.name() + " native=" + tun.isNative());
      System.exit(0);
    } catch (TunException e) {
      System.out.println("errno=" + e.errno() + " " + e.getMessage());
      System.exit(3);
    } catch (Throwable t) {
      t.printStackTrace(System.out);
      System.exit(4);
    }
  }
}
