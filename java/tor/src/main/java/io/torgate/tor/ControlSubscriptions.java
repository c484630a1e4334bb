package io.torgate.tor;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a {@link TorService} re-applies to every new control connection: event listeners and the SETEVENTS set,
 * so a reconnect (tor restarted, external tor bounced) is invisible to subscribers.
 *
 * <p>Thread-safe.
 */
final class ControlSubscriptions {
    private final List<ControlEventListener> listeners = new CopyOnWriteArrayList<>();
    private volatile String[] events = {};

    /** Remembers {@code l} and adds it to {@code current} (may be null). */
    void addListener(ControlEventListener l, ControlClient current) {
        listeners.add(l);
        if (current != null) {
            current.addListener(l);
        }
    }

    /** Remembers the event set and subscribes {@code current} to it. */
    void setEvents(String[] names, ControlClient current) throws IOException {
        events = names.clone();
        current.setEvents(names);
    }

    /**
     * Connects, authenticates (cookie, or {@code password} if given), optionally takes ownership of tor (it exits
     * when this connection closes), and applies the listeners and events. Closes the connection on any failure.
     */
    ControlClient open(SocketAddress address, String password, boolean takeOwnership) throws IOException {
        ControlClient c = ControlClient.connect(address, null);
        try {
            ControlAuth.authenticate(c, password);
            if (takeOwnership) {
                c.takeOwnership();
                // TAKEOWNERSHIP supersedes the PID watch; control-spec §3.23 asks controllers to drop the option.
                c.commandOk("RESETCONF __OwningControllerProcess");
            }
            listeners.forEach(c::addListener);
            String[] e = events;
            if (e.length > 0) {
                c.setEvents(e);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }
}
