package io.torgate.tun;

/**
 * Child-JVM probe for the "no permission" tests: opens a device with the named implementation and prints the
 * outcome. Usage: {@code OpenProbe jni|jna NAME}. Exit 0 when opened, 3 with the exception message on stdout
 * when a {@link TunException} was thrown, 4 for anything else.
 */
public final class OpenProbe {
  private OpenProbe() {}

  public static void main(String[] args) {
    TunConfig config = TunConfig.builder(args[1]).build();
    try (TunDevice tun = args[0].equals("jni") ? NativeTun.open(config) : JnaTun.open(config)) {
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
