package io.torgate.tor;

import java.util.Map;

/**
 * An asynchronous {@code 650 STREAM} event (control-spec §4.1.2):
 * {@code STREAM StreamID StreamStatus CircuitID Target [KEY=value...]}, with the isolation fields tor reports:
 * SOCKS_USERNAME, SOCKS_PASSWORD, SESSION_GROUP, NYM_EPOCH, ISO_FIELDS.
 *
 * <p>Immutable; thread-safe.
 *
 * @param streamId  tor's stream id
 * @param status    NEW, NEWRESOLVE, REMAP, SENTCONNECT, SENTRESOLVE, SUCCEEDED, FAILED, CLOSED, DETACHED, ...
 * @param circuitId the circuit carrying it ("0" while unattached)
 * @param target    {@code host:port}
 * @param keywords  every keyword argument, QuotedString values unescaped
 */
public record StreamEvent(String streamId, String status, String circuitId, String target,
                          Map<String, String> keywords) {
    public StreamEvent {
        keywords = Map.copyOf(keywords);
    }

    /** Parses the text of a 650 line starting with "STREAM"; null if it is not a well-formed STREAM event. */
    public static StreamEvent parse(String text) {
        ControlSyntax.Tokens t = ControlSyntax.tokenize(text);
        if (!"STREAM".equals(t.positional(0)) || t.positional().size() < 5) {
            return null;
        }
        return new StreamEvent(t.positional(1), t.positional(2), t.positional(3), t.positional(4), t.keywords());
    }

    public String socksUsername() {
        return keywords.get("SOCKS_USERNAME");
    }

    public String socksPassword() {
        return keywords.get("SOCKS_PASSWORD");
    }

    public String sessionGroup() {
        return keywords.get("SESSION_GROUP");
    }

    public String nymEpoch() {
        return keywords.get("NYM_EPOCH");
    }

    public String isoFields() {
        return keywords.get("ISO_FIELDS");
    }

    public String purpose() {
        return keywords.get("PURPOSE");
    }

    /** The port of the target, or -1. */
    public int targetPort() {
        int colon = target.lastIndexOf(':');
        try {
            return colon < 0 ? -1 : Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
