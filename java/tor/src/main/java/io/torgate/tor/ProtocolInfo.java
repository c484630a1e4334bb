package io.torgate.tor;

import java.nio.file.Path;
import java.util.Set;

/**
 * The answer to {@code PROTOCOLINFO 1} (control-spec §3.21): accepted authentication methods, the cookie file
 * and tor's version.
 *
 * <p>Immutable; thread-safe.
 *
 * @param methods    e.g. NULL, HASHEDPASSWORD, COOKIE, SAFECOOKIE
 * @param cookieFile the cookie file, or null when cookie authentication is off
 * @param torVersion tor's version string, or "" if not reported
 */
public record ProtocolInfo(Set<String> methods, Path cookieFile, String torVersion) {
    public ProtocolInfo {
        methods = Set.copyOf(methods);
    }

    static ProtocolInfo parse(ControlReply r) {
        Set<String> methods = Set.of();
        Path cookie = null;
        String version = "";
        for (ControlReply.Line l : r.lines()) {
            ControlSyntax.Tokens t = ControlSyntax.tokenize(l.text());
            String first = t.positional(0);
            if ("AUTH".equals(first)) {
                String m = t.keywords().getOrDefault("METHODS", "");
                methods = m.isEmpty() ? Set.of() : Set.of(m.split(","));
                String f = t.keywords().get("COOKIEFILE");
                cookie = f != null ? Path.of(f) : null;
            } else if ("VERSION".equals(first)) {
                version = t.keywords().getOrDefault("Tor", "");
            }
        }
        return new ProtocolInfo(methods, cookie, version);
    }
}
