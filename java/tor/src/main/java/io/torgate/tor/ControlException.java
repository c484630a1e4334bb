package io.torgate.tor;

import java.io.IOException;

/**
 * Tor answered a control command with an error status (4xx/5xx); carries the reply.
 *
 * <p>Immutable.
 */
public final class ControlException extends IOException {
    private final transient ControlReply reply;

    public ControlException(String command, ControlReply reply) {
        super(command + " failed: " + reply);
        this.reply = reply;
    }

    public ControlReply reply() {
        return reply;
    }

    public int status() {
        return reply.status();
    }
}
