package io.torgate.gateway.config;

/**
 * How a shard worker waits when it has nothing to do.
 * {@link #BLOCK} (default) sleeps in {@code Selector.select} until a packet, a socket or a timer needs it: about
 * zero CPU when idle, one wake-up syscall from the reader per idle-to-busy transition.
 * {@link #BACKOFF} spins, then yields, then parks in the selector: lower latency under bursty load.
 * {@link #SPIN} never sleeps ({@code selectNow} in a loop): lowest latency, burns one core per worker.
 */
public enum IdleKind {
    BLOCK, BACKOFF, SPIN
}
