package io.torgate.tor;

import java.util.Map;

/**
 * An asynchronous {@code 650 CIRC} event (control-spec §4.1.1), or one line of {@code GETINFO circuit-status}
 * (same syntax without the "CIRC" word): {@code CircuitID CircStatus [Path] [KEY=value...]}, where the keywords
 * include BUILD_FLAGS, PURPOSE, SOCKS_USERNAME, SOCKS_PASSWORD and CONFLUX_ID.
 *
 * <p>Immutable; thread-safe.
 *
 * @param circuitId tor's circuit id
 * @param status    LAUNCHED, BUILT, GUARD_WAIT, EXTENDED, FAILED, CLOSED
 * @param path      comma-separated {@code $fingerprint~nickname} hops, or "" when absent
 * @param keywords  keyword arguments, QuotedString values unescaped
 */
public record CircuitEvent(String circuitId, String status, String path, Map<String, String> keywords) {
    public CircuitEvent {
        keywords = Map.copyOf(keywords);
    }

    /** Parses the text of a 650 line starting with "CIRC"; null if it is not a CIRC event. */
    public static CircuitEvent parseEvent(String text) {
        if (!text.startsWith("CIRC ")) {
            return null;
        }
        return parseStatusLine(text.substring(5));
    }

    /** Parses one {@code circuit-status} line; null if malformed. */
    public static CircuitEvent parseStatusLine(String line) {
        ControlSyntax.Tokens t = ControlSyntax.tokenize(line);
        if (t.positional().size() < 2) {
            return null;
        }
        String path = t.positional().size() > 2 ? t.positional(2) : "";
        return new CircuitEvent(t.positional(0), t.positional(1), path, t.keywords());
    }

    public String socksUsername() {
        return keywords.get("SOCKS_USERNAME");
    }

    public String socksPassword() {
        return keywords.get("SOCKS_PASSWORD");
    }

    public String purpose() {
        return keywords.get("PURPOSE");
    }

    /** CONFLUX_ID when the circuit is part of a conflux set, else null. */
    public String confluxId() {
        return keywords.get("CONFLUX_ID");
    }
}
