package io.torgate.gateway.ops;

import io.torgate.gateway.relay.StreamInfo;
import io.torgate.tor.ControlEventListener;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.StreamEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Tor's view of our streams, kept from {@code 650 STREAM} events (control-spec 4.1.2) so that {@code ctl streams}
 * can name each of our streams' circuit. Two ways to pair one of our streams with tor's:
 * <ol>
 *   <li>by source: over a TCP SocksPort, the local address of our SOCKS socket is tor's SOURCE_ADDR (sent in the
 *       NEW event), unique per live stream;</li>
 *   <li>by credentials and order: over a Unix SocksPort SOURCE_ADDR is the listener's path for every stream, and
 *       tor reports nothing else per connection (not in the SOCKS reply either), so a stream's SOCKS password (its
 *       isolation key) and target are matched instead. One key and target may have several streams at once (a
 *       client opening two connections to one server). Among those, time decides what it can: tor's NEW event for
 *       one of ours cannot arrive before that stream's SYN, which comes before its CONNECT. When that leaves only
 *       one possible pairing, it is exact ({@code isolation_key}); when siblings were opened so close together that
 *       their events could belong to either, the output says {@code ambiguous} rather than guess (tor serves the
 *       SOCKS connections in its own order, so the order of NEW events is not our CONNECT order). Siblings share
 *       a key and so a circuit under IsolateSOCKSAuth (conflux is off, see java/tor Torrc), so an ambiguous stream
 *       still shows its circuit when every candidate is on the same one.</li>
 * </ol>
 * Only streams with our SOCKS username are kept; a CLOSED or FAILED event removes one; at most
 * {@value #MAX_TRACKED} are tracked (an overflow is counted, never grows memory).
 *
 * <p>Thread-safe: events arrive on the control reader thread, {@link #match} runs on control session threads.
 */
public final class TorStreams implements ControlEventListener {
    static final int MAX_TRACKED = 65_536;
    /** {@link Match#by()} of a stream paired by SOURCE_ADDR. */
    public static final String BY_SOURCE = "source_addr";
    /** {@link Match#by()} of a stream paired by isolation key, target and event order, with one possibility. */
    public static final String BY_KEY = "isolation_key";
    /** {@link Match#by()} of a stream whose tor stream cannot be told from its siblings' ({@code torStreamId} -1). */
    public static final String AMBIGUOUS = "ambiguous";

    /**
     * One of tor's streams. {@code sourceAddr} is null until known; {@code seenNanos} is {@link System#nanoTime()}
     * when its first event arrived.
     */
    public record TorStream(long streamId, String status, String circuitId, String target, String sourceAddr,
                            String password, long seenNanos) {
    }

    /**
     * The pairing of one of our streams: tor's stream ({@code -1} when {@link #AMBIGUOUS}) and circuit ({@code null}
     * when ambiguous candidates are on different circuits), and how they were matched.
     */
    public record Match(long torStreamId, String circuitId, String by) {
    }

    private final Map<Long, TorStream> live = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private volatile long overflows;

    public TorStreams() {
        this(System::nanoTime);
    }

    /** With {@code clock} in place of {@link System#nanoTime()} (tests). */
    TorStreams(LongSupplier clock) {
        this.clock = clock;
    }

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
            password != null ? password : old != null ? old.password() : null,
            old != null ? old.seenNanos() : clock.getAsLong()));
    }

    /** Tor's live streams we track (a copy). */
    public List<TorStream> streams() {
        return new ArrayList<>(live.values());
    }

    /** Events that could not be tracked because {@value #MAX_TRACKED} streams were live. */
    public long overflows() {
        return overflows;
    }

    /**
     * Tor's stream and circuit for each of {@code ours} (all our open streams, so that siblings are seen together),
     * by our stream id; a stream tor reports nothing for (yet) is absent.
     */
    public Map<Long, Match> match(List<StreamInfo> ours) {
        List<TorStream> tor = new ArrayList<>(live.values());
        Map<Long, Match> out = new HashMap<>();
        Set<Long> taken = new HashSet<>();
        Map<String, List<StreamInfo>> oursByGroup = new HashMap<>();
        for (StreamInfo s : ours) {
            TorStream bySource = s.socksLocal() == null ? null : bySource(tor, s.socksLocal());
            if (bySource != null) {
                out.put(s.id(), new Match(bySource.streamId(), bySource.circuitId(), BY_SOURCE));
                taken.add(bySource.streamId());
            } else if (s.isolationKey() != null) {
                oursByGroup.computeIfAbsent(group(s), k -> new ArrayList<>()).add(s);
            }
        }
        Map<String, List<TorStream>> torByGroup = new HashMap<>();
        for (TorStream t : tor) {
            if (!taken.contains(t.streamId()) && t.password() != null && t.target() != null) {
                torByGroup.computeIfAbsent(t.password() + ' ' + t.target().toLowerCase(Locale.ROOT),
                    k -> new ArrayList<>()).add(t);
            }
        }
        oursByGroup.forEach((g, mine) -> StreamOrder.pair(mine, torByGroup.getOrDefault(g, List.of()), out));
        return out;
    }

    private static TorStream bySource(List<TorStream> tor, String socksLocal) {
        for (TorStream t : tor) {
            if (socksLocal.equals(t.sourceAddr())) {
                return t;
            }
        }
        return null;
    }

    /** Key and target as tor's events name them: the password, then {@code host:port} (the name we sent, if any). */
    static String group(StreamInfo s) {
        String host = s.hostname() != null ? s.hostname() : io.torgate.gateway.config.Cidr.format(s.destination());
        return s.isolationKey() + ' ' + host.toLowerCase(Locale.ROOT) + ':' + s.destinationPort();
    }
}
