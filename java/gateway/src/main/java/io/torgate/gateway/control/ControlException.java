package io.torgate.gateway.control;

/** An operator error in a control request (unknown command, bad argument): reported as {@code error MESSAGE}. */
public final class ControlException extends Exception {
    public ControlException(String message) {
        super(message);
    }
}
