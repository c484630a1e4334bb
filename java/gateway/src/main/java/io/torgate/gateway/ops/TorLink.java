package io.torgate.gateway.ops;

import io.torgate.tor.BootstrapStatus;
import io.torgate.tor.CircuitEvent;
import io.torgate.tor.ControlClient;
import io.torgate.tor.ManagedTor;
import io.torgate.tor.NewIdentity;
import io.torgate.tor.TorService;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;

/**
 * The gateway's line to tor's control port for operators: bootstrap state, circuit paths, stream tracking
 * ({@link TorStreams}) and per-client new identity ({@link NewIdentity}). Works with the managed tor's
 * ControlSocket or an external tor's configured control port; without one every query answers "unknown".
 * The event subscription (STREAM, CIRC) is retried by each query until it succeeds once; the {@link TorService}
 * re-applies it on every reconnect afterwards.
 *
 * <p>Thread-safe (control session and metrics threads).
 */
public final class TorLink {
    private static final Logger LOG = System.getLogger(TorLink.class.getName());

    /** Tor's state for status output. */
    public record State(String mode, String process, int bootstrapProgress, String bootstrapTag, String error) {
    }

    private final TorService tor;
    private final ManagedTor managed;
    private final TorStreams streams = new TorStreams();
    private final NewIdentity newIdentity;
    private volatile boolean subscribed;

    /**
     * @param tor the control connection provider, or null when no control port is configured
     * @param managed the managed tor (same object as {@code tor}), or null for an external one
     * @param newIdentity bumps epochs and closes circuits
     */
    public TorLink(TorService tor, ManagedTor managed, NewIdentity newIdentity) {
        this.tor = tor;
        this.managed = managed;
        this.newIdentity = newIdentity;
        if (tor != null) {
            tor.addControlListener(streams);
            tor.addControlListener(newIdentity);
            subscribe();
        }
    }

    /** Whether a control port is configured at all. */
    public boolean hasControl() {
        return tor != null;
    }

    public TorStreams streams() {
        return streams;
    }

    public NewIdentity newIdentity() {
        return newIdentity;
    }

    private void subscribe() {
        if (subscribed || tor == null) {
            return;
        }
        try {
            tor.setEvents("STREAM", "CIRC");
            subscribed = true;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "tor control port: cannot subscribe to STREAM/CIRC events yet: {0}", e.toString());
        }
    }

    /** The control connection (subscribing first if that has not worked yet). */
    public ControlClient control() throws IOException {
        if (tor == null) {
            throw new IOException("no tor control port configured ([tor] control, or mode = \"managed\")");
        }
        subscribe();
        return tor.control();
    }

    /** Bootstrap and process state; never throws (errors are reported in the state). */
    public State state() {
        String mode = managed != null ? "managed" : "external";
        String process = managed != null ? managed.state().name().toLowerCase(java.util.Locale.ROOT) : "-";
        if (tor == null) {
            return new State(mode, process, -1, "unknown", "no control port configured");
        }
        try {
            BootstrapStatus b = BootstrapStatus.parse(control().getInfo("status/bootstrap-phase"));
            return new State(mode, process, b.progress(), b.tag(), null);
        } catch (IOException | RuntimeException e) {
            return new State(mode, process, -1, "unknown", e.getMessage());
        }
    }

    /** Circuit id → exit relay ({@code nickname~$FINGERPRINT} as tor lists the last hop) of every circuit. */
    public Map<String, String> exits() {
        Map<String, String> exits = new HashMap<>();
        if (tor == null) {
            return exits;
        }
        try {
            for (CircuitEvent c : control().circuitStatus()) {
                String path = c.path();
                if (!path.isEmpty()) {
                    exits.put(c.circuitId(), path.substring(path.lastIndexOf(',') + 1));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "circuit-status failed: {0}", e.toString());
        }
        return exits;
    }
}
