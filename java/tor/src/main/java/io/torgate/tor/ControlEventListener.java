package io.torgate.tor;

/**
 * Receives asynchronous control-port events. Called on the {@link ControlClient}'s reader thread, one event at a
 * time in arrival order: implementations must be quick (hand work to another thread) and must not call
 * {@link ControlClient} commands synchronously, which would wait on the very thread that reads their replies.
 */
public interface ControlEventListener {
    default void onStream(StreamEvent event) {
    }

    default void onCircuit(CircuitEvent event) {
    }

    /** Every other 6xx event (STATUS_CLIENT, NOTICE, ...), as received. */
    default void onOther(ControlReply event) {
    }

    /** The connection ended (tor exited, or {@link ControlClient#close()}). */
    default void onClosed() {
    }
}
