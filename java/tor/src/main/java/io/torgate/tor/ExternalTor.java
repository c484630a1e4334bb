package io.torgate.tor;

import java.io.IOException;
import java.net.SocketAddress;

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
    private final ControlSubscriptions subscriptions = new ControlSubscriptions();
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
        control = subscriptions.open(controlAddress, password, false);
        return control;
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
    public synchronized void addControlListener(ControlEventListener l) {
        subscriptions.addListener(l, control);
    }

    @Override
    public void setEvents(String... names) throws IOException {
        subscriptions.setEvents(names, control());
    }

    @Override
    public synchronized void close() {
        if (control != null) {
            control.close();
            control = null;
        }
    }
}
