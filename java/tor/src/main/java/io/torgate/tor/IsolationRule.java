package io.torgate.tor;

/**
 * One ordered policy rule: streams from a matching client to a matching destination port use {@code profile}.
 *
 * <p>Immutable; thread-safe.
 *
 * @param client  the clients it applies to, or null for every client
 * @param ports   the destination ports it applies to, or null for every port
 * @param profile the profile to use
 */
public record IsolationRule(ClientMatch client, PortSet ports, IsolationProfile profile) {
    public IsolationRule {
        java.util.Objects.requireNonNull(profile, "profile");
    }

    public boolean matches(int clientAddress, int destPort) {
        return (client == null || client.matches(clientAddress)) && (ports == null || ports.contains(destPort));
    }
}
