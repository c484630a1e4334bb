package io.torgate.tor;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * "New identity" for one client VM: bump its epoch, so its next streams get keys (and so circuits) it never used,
 * and close the circuits its earlier streams used, leaving every other client's circuits alone.
 *
 * <p>Attribution: every key of a client starts with the client's tag ({@link IsolationKey}); a circuit belongs to
 * a client when the SOCKS_PASSWORD of its streams (STREAM events, tracked here as a {@link ControlEventListener})
 * or of the circuit itself ({@code GETINFO circuit-status}) starts with that tag and the username is ours. Under
 * {@code IsolateSOCKSAuth} a circuit only ever carries one credential set, so there is no shared circuit to spare.
 *
 * <p>Thread-safe: events arrive on the control reader thread, {@link #newIdentity} runs on any other thread.
 */
public final class NewIdentity implements ControlEventListener {
    private static final System.Logger LOG = System.getLogger(NewIdentity.class.getName());

    private final IsolationKeys keys;
    /** circuit id → SOCKS password of the streams it carried. */
    private final Map<String, String> circuitPasswords = new ConcurrentHashMap<>();

    public NewIdentity(IsolationKeys keys) {
        this.keys = keys;
    }

    @Override
    public void onStream(StreamEvent e) {
        if (!"0".equals(e.circuitId()) && IsolationKey.USERNAME.equals(e.socksUsername()) && e.socksPassword() != null
                && ("SENTCONNECT".equals(e.status()) || "SUCCEEDED".equals(e.status())
                    || "SENTRESOLVE".equals(e.status()))) {
            circuitPasswords.put(e.circuitId(), e.socksPassword());
        }
    }

    @Override
    public void onCircuit(CircuitEvent e) {
        if ("CLOSED".equals(e.status()) || "FAILED".equals(e.status())) {
            circuitPasswords.remove(e.circuitId());
        }
    }

    /** Number of circuits currently attributed from STREAM events (for status output and tests). */
    public int trackedCircuits() {
        return circuitPasswords.size();
    }

    /** The circuits attributed to {@code client}: tracked ones plus those tor reports in circuit-status. */
    public Set<String> circuitsOf(int client, ControlClient control) throws IOException {
        String tag = IsolationKey.hex(keys.clientTag(client));
        Set<String> ids = new HashSet<>();
        circuitPasswords.forEach((id, pw) -> {
            if (pw.startsWith(tag)) {
                ids.add(id);
            }
        });
        List<CircuitEvent> status = control.circuitStatus();
        for (CircuitEvent c : status) {
            String pw = c.socksPassword();
            if (pw != null && pw.startsWith(tag) && IsolationKey.USERNAME.equals(c.socksUsername())) {
                ids.add(c.circuitId());
            }
        }
        // Conflux (tor >= 0.4.8, on by default): a stream moves between the legs of its linked set, and
        // circuit-status shows the SOCKS fields on one leg only. Seen in the lab: after closing only the attributed
        // leg, the client's old stream went on over the other leg, and that leg then carried the next epoch's
        // stream too. So a client's circuits include every leg of their sets.
        Set<String> sets = new HashSet<>();
        for (CircuitEvent c : status) {
            if (ids.contains(c.circuitId()) && c.confluxId() != null) {
                sets.add(c.confluxId());
            }
        }
        for (CircuitEvent c : status) {
            if (c.confluxId() != null && sets.contains(c.confluxId())) {
                ids.add(c.circuitId());
            }
        }
        return ids;
    }

    /**
     * New identity for {@code client}: bumps its epoch first (so no new stream can pick an old key), then closes
     * its circuits. Returns the number of circuits closed.
     */
    public int newIdentity(int client, ControlClient control) throws IOException {
        long epoch = keys.epochs().bump(client);
        int closed = 0;
        for (String id : circuitsOf(client, control)) {
            if (control.closeCircuit(id)) {
                closed++;
            }
            circuitPasswords.remove(id);
        }
        LOG.log(System.Logger.Level.INFO, "new identity for client {0}: epoch {1}, {2} circuits closed",
                ClientMatchFormat.ipv4(client), epoch, closed);
        return closed;
    }
}
