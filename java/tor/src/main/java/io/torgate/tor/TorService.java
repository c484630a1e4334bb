package io.torgate.tor;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * The tor the gateway talks to, managed ({@link ManagedTor}) or external ({@link ExternalTor}): where its
 * SocksPort is and a control connection that survives restarts of tor (listeners and event subscriptions are
 * carried over to each new connection).
 *
 * <p>Implementations are thread-safe.
 */
public interface TorService extends AutoCloseable {
    /** The SocksPort (TCP or Unix) with IsolateSOCKSAuth and ExtendedErrors. */
    SocketAddress socksAddress();

    /** The current authenticated control connection; throws if tor is not reachable right now. */
    ControlClient control() throws IOException;

    /** True while tor is up and bootstrapped; the gateway refuses new flows (RST) otherwise. */
    boolean isReady();

    /** Adds an event listener to the current and every future control connection. */
    void addControlListener(ControlEventListener listener);

    /** Subscribes to events (SETEVENTS) now and after every reconnect. */
    void setEvents(String... events) throws IOException;

    @Override
    void close();
}
