package io.torgate.gateway.config;

/**
 * How a shard worker waits when it has nothing to do.
 * {@link #BLOCK} (default) sleeps in {@code Selector.select} until a packet, a socket or a timer needs it: about
 * zero CPU when idle, one wake-up syscall from the reader per idle-to-busy transition.
 * {@link #BACKOFF} keeps polling (its TUN queue, ring and sockets) for 50 µs after its last work, then blocks as
 * {@link #BLOCK}: a segment that follows within 50 µs costs no wake-up; an idle worker burns at most 50 µs per
 * wake-up (timers, a stray packet).
 * {@link #SPIN} never sleeps ({@code selectNow} in a loop): lowest latency, burns one core per worker.
 */
public enum IdleKind {
    BLOCK, BACKOFF, SPIN
}
