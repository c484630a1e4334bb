package io.torgate.gateway.ops;

import io.torgate.gateway.relay.StreamInfo;
import io.torgate.tor.ControlEventListener;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.StreamEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tor's view of our streams, kept from {@code 650 STREAM} events (control-spec 4.1.2) so that {@code ctl streams}
 * can name each of our streams' circuit. Two ways to pair one of our streams with tor's:
 * <ol>
 *   <li>by source: over a TCP SocksPort, the local address of our SOCKS socket is tor's SOURCE_ADDR (sent in the
 *       NEW event), unique per live stream;</li>
 *   <li>by credentials: over a Unix SocksPort SOURCE_ADDR names no port, so the stream's SOCKS password (its
 *       isolation key) and target are matched instead. Streams sharing a key share a circuit under
 *       IsolateSOCKSAuth (conflux aside), so the circuit is still the right one.</li>
 * </ol>
 * Only streams with our SOCKS username are kept; a CLOSED or FAILED event removes one; at most
 * {@value #MAX_TRACKED} are tracked (an overflow is counted, never grows memory).
 *
 * <p>Thread-safe: events arrive on the control reader thread, {@link #match} runs on control session threads.
 */
public final class TorStreams implements ControlEventListener {
    static final int MAX_TRACKED = 65_536;

    /** One of tor's streams. {@code sourceAddr} is null until known. */
    public record TorStream(long streamId, String status, String circuitId, String target, String sourceAddr,
                            String password) {
    }

    /** The pairing of one of our streams: tor's stream and circuit ids, and how they were matched. */
    public record Match(long torStreamId, String circuitId, String by) {
    }

    private final Map<Long, TorStream> live = new ConcurrentHashMap<>();
    private volatile long overflows;

    @Override
    public void onStream(StreamEvent e) {
        long id;
        try {
            id = Long.parseLong(e.streamId());
        } catch (NumberFormatException ex) {
            return;
        }
        if ("CLOSED".equals(e.status()) || "FAILED".equals(e.status())) {
            live.remove(id);
            return;
        }
        TorStream old = live.get(id);
        if (old == null && !IsolationKey.USERNAME.equals(e.socksUsername())) {
            return; // not ours (tor's own streams, other SOCKS clients)
        }
        if (old == null && live.size() >= MAX_TRACKED) {
            overflows++;
            return;
        }
        String source = e.keywords().get("SOURCE_ADDR");
        String password = e.socksPassword();
        // Keep the target of the NEW event: it is what we sent; a later REMAP event names the resolved address.
        live.put(id, new TorStream(id, e.status(), e.circuitId(), old != null ? old.target() : e.target(),
            source != null ? source : old != null ? old.sourceAddr() : null,
            password != null ? password : old != null ? old.password() : null));
    }

    /** Tor's live streams we track (a copy). */
    public List<TorStream> streams() {
        return new ArrayList<>(live.values());
    }

    /** Events that could not be tracked because {@value #MAX_TRACKED} streams were live. */
    public long overflows() {
        return overflows;
    }

    /** Tor's stream and circuit for one of ours, or null when tor reports none (yet). */
    public Match match(StreamInfo s) {
        if (s.socksLocal() != null) {
            for (TorStream t : live.values()) {
                if (s.socksLocal().equals(t.sourceAddr())) {
                    return new Match(t.streamId(), t.circuitId(), "source_addr");
                }
            }
        }
        if (s.isolationKey() == null) {
            return null;
        }
        TorStream best = null;
        for (TorStream t : live.values()) {
            if (s.isolationKey().equals(t.password()) && targetMatches(s, t.target())
                    && (best == null || attached(t) && !attached(best)
                        || attached(t) == attached(best) && t.streamId() < best.streamId())) {
                best = t;
            }
        }
        return best == null ? null : new Match(best.streamId(), best.circuitId(), "isolation_key");
    }

    private static boolean attached(TorStream t) {
        return !"0".equals(t.circuitId());
    }

    /** Tor's target is {@code host:port}: the name we sent (mapped DNS) or the address. */
    static boolean targetMatches(StreamInfo s, String target) {
        int colon = target.lastIndexOf(':');
        if (colon < 0 || !target.substring(colon + 1).equals(Integer.toString(s.destinationPort()))) {
            return false;
        }
        String host = target.substring(0, colon);
        return host.equalsIgnoreCase(s.hostname() != null ? s.hostname()
            : io.torgate.gateway.config.Cidr.format(s.destination()));
    }
}
