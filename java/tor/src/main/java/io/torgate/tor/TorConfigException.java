package io.torgate.tor;

import java.io.IOException;

/**
 * Tor refused its configuration ({@code tor --verify-config} failed): the message carries tor's own output so the
 * operator sees which line of the override file is wrong.
 *
 * <p>Immutable.
 */
public final class TorConfigException extends IOException {
    private final String torOutput;

    public TorConfigException(String torrc, String torOutput) {
        super("tor rejected its configuration " + torrc + ":\n" + torOutput.strip());
        this.torOutput = torOutput;
    }

    /** What tor printed. */
    public String torOutput() {
        return torOutput;
    }
}
