package io.torgate.gateway.capture;

import java.time.Instant;

/**
 * Wall-clock nanoseconds since the epoch for packet timestamps, read as {@link System#nanoTime()} plus an offset
 * taken once: monotonic within a capture (a wall-clock step does not reorder packets) and allocation-free.
 * Immutable and thread-safe.
 */
final class EpochClock {
    private final long epochBase;
    private final long nanoBase;

    EpochClock() {
        Instant now = Instant.now();
        this.nanoBase = System.nanoTime();
        this.epochBase = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    long now() {
        return epochBase + (System.nanoTime() - nanoBase);
    }
}
