package io.torgate.gateway.policy;

import java.util.List;

/**
 * A named client firewall with Qubes semantics: ordered rules, the first that matches decides; none matching, the
 * default policy decides. Checked for every new TCP flow, every gateway SOCKS port CONNECT and every DNS query,
 * and for every existing flow again after a reload.
 *
 * <p>Immutable; thread-safe; {@link #accepts} is a loop over an array and allocates nothing.
 */
public final class Firewall {
    /** No rules, default accept: what a client without a firewall gets. */
    public static final Firewall ACCEPT_ALL = new Firewall("accept-all", List.of(), true);

    private final String name;
    private final FirewallRule[] rules;
    private final boolean defaultAccept;

    public Firewall(String name, List<FirewallRule> rules, boolean defaultAccept) {
        this.name = name;
        this.rules = rules.toArray(new FirewallRule[0]);
        this.defaultAccept = defaultAccept;
    }

    /** See {@link FirewallRule#matches} for the arguments. */
    public boolean accepts(int proto, int address, boolean addressKnown, CharSequence name, int port,
                           boolean toGatewayDns) {
        for (FirewallRule r : rules) {
            if (r.matches(proto, address, addressKnown, name, port, toGatewayDns)) {
                return r.accept();
            }
        }
        return defaultAccept;
    }

    public String name() {
        return name;
    }

    public List<FirewallRule> rules() {
        return List.of(rules);
    }

    public boolean defaultAccept() {
        return defaultAccept;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Firewall f && f.name.equals(name) && f.defaultAccept == defaultAccept
            && java.util.Arrays.equals(f.rules, rules);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + java.util.Arrays.hashCode(rules);
    }

    @Override
    public String toString() {
        return name + " " + rules() + " default " + (defaultAccept ? "accept" : "drop");
    }
}
