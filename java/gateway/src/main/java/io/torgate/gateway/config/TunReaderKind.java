package io.torgate.gateway.config;

/**
 * Which thread reads each TUN queue ({@code [pipeline] tun_reader}).
 *
 * <p>{@link #THREAD}: a reader thread per queue moves packets into a ring and wakes the workers that got some. A
 * client segment that finds its worker asleep costs two thread wake-ups (reader, then worker); measured by
 * {@code bench/rig/stages.py} at about 150 µs of a relayed segment's time on a 2-vCPU VM.
 *
 * <p>{@link #WORKER} (run-to-completion): worker {@code i} reads queue {@code i} itself in the same loop that
 * serves its sockets and timers; its selector's epoll set also holds the TUN fd, so one {@code epoll_wait} sleeps
 * on both and a segment costs one wake-up. Packets of another worker's shard still go through the queue's ring to
 * that worker. Needs the JNI TUN shim and the JDK's epoll selector; without them the pipeline falls back to
 * {@link #THREAD} and logs why.
 */
public enum TunReaderKind {
    THREAD, WORKER;

    /**
     * The default: {@link #WORKER}, which won every row of two same-run rig comparisons against {@link #THREAD}
     * (bench/results/rig.md, "run-to-completion worker").
     */
    public static final TunReaderKind DEFAULT = WORKER;
}
