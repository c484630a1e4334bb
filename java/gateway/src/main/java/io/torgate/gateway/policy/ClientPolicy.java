package io.torgate.gateway.policy;

import io.torgate.gateway.config.Cidr;
import io.torgate.tor.IsolationProfile;
import java.util.Objects;

/**
 * What applies to one configured client range ({@code [[clients]]}): its name, its firewall, its limits and the
 * isolation profile its streams get on ports no isolation rule claims. Immutable; thread-safe.
 *
 * @param name a label for logs and the control socket ({@code *} for the defaults of unnamed clients)
 * @param range the client addresses (a /32 for one VM)
 * @param profile the isolation profile, or null for the global default
 * @param firewall the firewall
 * @param caps the limits
 */
public record ClientPolicy(String name, Cidr range, IsolationProfile profile, Firewall firewall, ClientCaps caps) {
    /** Name of the policy that applies to client addresses outside every {@code [[clients]]} range. */
    public static final String UNNAMED = "*";

    public ClientPolicy {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(range, "range");
        Objects.requireNonNull(firewall, "firewall");
        Objects.requireNonNull(caps, "caps");
    }

    /** The policy of clients not named in the configuration. */
    public static ClientPolicy unnamed(Firewall firewall, ClientCaps caps) {
        return new ClientPolicy(UNNAMED, new Cidr(0, 0), null, firewall, caps);
    }
}
