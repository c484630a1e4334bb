package io.torgate.bench.tun;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary JMH metrics for the CPU cost of a packet: {@code cpuNanos}, the CPU time (user + system) the
 * benchmark thread spent in an iteration, and {@code packets}, the packets it moved. JMH sums EVENTS counters
 * over iterations and forks, so {@code cpuNanos / packets} of the summary is the mean CPU time per packet. Unlike
 * wall-clock throughput it hardly moves when other processes compete for the CPUs, which on a shared machine is
 * what keeps a JNI/JNA comparison meaningful. One per benchmark thread; not thread-safe.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class CpuCost {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private long threadId;
  private long cpuStart;
  /** Packets moved in this iteration (a JMH counter). */
  public long packets;

  @Setup(Level.Iteration)
  public void start() {
    threadId = Thread.currentThread().threadId();
    cpuStart = threads.getThreadCpuTime(threadId);
    packets = 0;
  }

  /** Counts packets moved in this iteration. */
  void add(int n) {
    packets += n;
  }

  /** CPU nanoseconds of the benchmark thread in this iteration so far (a JMH counter). */
  public long cpuNanos() {
    return threads.getThreadCpuTime(threadId) - cpuStart;
  }
}
