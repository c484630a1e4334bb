package io.torgate.tun.testing;

/** A block of test code that may throw anything; see {@link NetNs#run(ThrowingRunnable)}. */
@FunctionalInterface
public interface ThrowingRunnable {
  void run() throws Exception;
}
