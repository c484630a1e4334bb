package io.torgate.tor;

import java.io.IOException;

/**
 * A failed SOCKS exchange in the blocking helpers, carrying its outcome.
 *
 * <p>Immutable after construction.
 */
public final class Socks5Exception extends IOException {
    private final transient Socks5Client.Failure failure;
    private final int replyCode;
    private final ClientAction action;

    Socks5Exception(Socks5Client client, String message) {
        super(message + ": " + client.failure() + (client.failure() == Socks5Client.Failure.REPLY
                ? " " + client.reply() : ""), client.lastError());
        this.failure = client.failure();
        this.replyCode = client.reply().code();
        this.action = client.clientAction();
    }

    public Socks5Client.Failure failure() {
        return failure;
    }

    /** The REP byte when {@link #failure()} is REPLY. */
    public int replyCode() {
        return replyCode;
    }

    public ClientAction action() {
        return action;
    }
}
