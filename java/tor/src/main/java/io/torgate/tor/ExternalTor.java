package io.torgate.tor;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tor the gateway does not run: configured SocksPort and ControlPort/ControlSocket endpoints. The control
 * connection is (re)opened and authenticated on demand, so a restarted tor is picked up again.
 *
 * <p>Thread-safe.
 */
public final class ExternalTor implements TorService {
    private final SocketAddress socks;
    private final SocketAddress controlAddress;
    private final String password;
    private final List<ControlEventListener> listeners = new CopyOnWriteArrayList<>();
    private volatile String[] events = {};
    private ControlClient control;

    /**
     * @param socks          tor's SocksPort (needs IsolateSOCKSAuth, and ExtendedErrors for the onion codes)
     * @param controlAddress tor's ControlPort or ControlSocket
     * @param password       control password for HASHEDPASSWORD, or null to use the cookie
     */
    public ExternalTor(SocketAddress socks, SocketAddress controlAddress, String password) {
        this.socks = socks;
        this.controlAddress = controlAddress;
        this.password = password;
    }

    @Override
    public SocketAddress socksAddress() {
        return socks;
    }

    @Override
    public synchronized ControlClient control() throws IOException {
        if (control != null && control.isOpen()) {
            return control;
        }
        ControlClient c = ControlClient.connect(controlAddress, null);
        try {
            ControlAuth.authenticate(c, password);
            listeners.forEach(c::addListener);
            if (events.length > 0) {
                c.setEvents(events);
            }
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        control = c;
        return c;
    }

    /** Ready when the control port answers and tor reports bootstrap 100%. */
    @Override
    public boolean isReady() {
        try {
            return BootstrapStatus.parse(control().getInfo("status/bootstrap-phase")).done();
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void addControlListener(ControlEventListener l) {
        listeners.add(l);
        synchronized (this) {
            if (control != null) {
                control.addListener(l);
            }
        }
    }

    @Override
    public void setEvents(String... names) throws IOException {
        events = names.clone();
        control().setEvents(names);
    }

    @Override
    public synchronized void close() {
        if (control != null) {
            control.close();
            control = null;
        }
    }
}
