package io.torgate.stack;

/**
 * The connection states of RFC 9293 §3.3.2. {@link #toString()} prints the RFC spelling ({@code SYN-RECEIVED}).
 *
 * <p>A gateway connection starts in {@link #LISTEN}: it is created for one 4-tuple when that tuple's SYN arrives,
 * so LISTEN here is a listener bound to a single remote, holding the SYN until the owner decides.
 */
public enum TcpState {
    CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
    TIME_WAIT;

    private final String rfcName = name().replace('_', '-');

    /** True once both sides' SYNs are acknowledged or being acknowledged: RFC 9293 "synchronized" states. */
    public boolean isSynchronized() {
        return ordinal() >= SYN_RECEIVED.ordinal();
    }

    /** True where segment text is accepted (RFC 9293 §3.10.7.4, "seventh, process the segment text"). */
    public boolean acceptsData() {
        return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
    }

    /** True where the application may still queue data to send (before CLOSE was issued, RFC 9293 §3.10.2). */
    public boolean canSend() {
        return this == SYN_RECEIVED || this == ESTABLISHED || this == CLOSE_WAIT;
    }

    @Override
    public String toString() {
        return rfcName;
    }
}
