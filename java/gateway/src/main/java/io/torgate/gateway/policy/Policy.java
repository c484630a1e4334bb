package io.torgate.gateway.policy;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.tor.IsolationPolicy;
import java.util.List;

/**
 * The live, reloadable part of the configuration (issue 9): the named clients with their firewalls and limits,
 * the policy for every other client, the isolation rules, and the gateway's own addresses (for the {@code dns}
 * firewall target). A reload builds a new instance and swaps it in ({@link Clients#policy(Policy)}); new flows see
 * it at once, existing ones are checked again by their shard.
 *
 * <p>Immutable; thread-safe. {@link #clientFor} is a loop over an array (clients are VMs, so few): no allocation.
 */
public final class Policy {
    private final ClientPolicy[] clients;
    private final ClientPolicy unnamed;
    private final IsolationPolicy isolation;
    private final int[] gatewayAddresses;
    private final DropPolicy.Action firewallAnswer;

    /**
     * @param clients named clients; their ranges must not overlap (the loader checks)
     * @param unnamed the policy of every other client address
     * @param firewallAnswer how a denied SYN or DNS datagram is answered ({@code [drop] firewall}): DROP (silence),
     *                       REJECT (TCP RST; ICMP administratively prohibited for UDP) or PROHIBIT (ICMP
     *                       administratively prohibited for both, as Qubes' firewall answers)
     */
    public Policy(List<ClientPolicy> clients, ClientPolicy unnamed, IsolationPolicy isolation,
                  List<Integer> gatewayAddresses, DropPolicy.Action firewallAnswer) {
        this.clients = clients.toArray(new ClientPolicy[0]);
        this.unnamed = unnamed;
        this.isolation = isolation;
        this.gatewayAddresses = gatewayAddresses.stream().mapToInt(Integer::intValue).toArray();
        this.firewallAnswer = firewallAnswer;
    }

    /** No named clients, no firewall, the default isolation rules and the given caps for everyone. */
    public static Policy open(ClientCaps caps) {
        return new Policy(List.of(), ClientPolicy.unnamed(Firewall.ACCEPT_ALL, caps), IsolationPolicy.defaults(),
            List.of(), DropPolicy.Action.PROHIBIT);
    }

    /** How a denied SYN or DNS datagram is answered. */
    public DropPolicy.Action firewallAnswer() {
        return firewallAnswer;
    }

    /** The policy of {@code address}: its {@code [[clients]]} entry, else the unnamed one. */
    public ClientPolicy clientFor(int address) {
        for (ClientPolicy c : clients) {
            if (c.range().contains(address)) {
                return c;
            }
        }
        return unnamed;
    }

    /** True when {@code address} is one of the gateway's own addresses (the {@code dns} firewall target). */
    public boolean isGatewayAddress(int address) {
        for (int a : gatewayAddresses) {
            if (a == address) {
                return true;
            }
        }
        return false;
    }

    public List<ClientPolicy> clients() {
        return List.of(clients);
    }

    public ClientPolicy unnamed() {
        return unnamed;
    }

    public IsolationPolicy isolation() {
        return isolation;
    }

    /** Equal clients, unnamed policy, isolation rules and gateway addresses (what a reload compares). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Policy p && java.util.Arrays.equals(p.clients, clients) && p.unnamed.equals(unnamed)
            && p.isolation.rules().equals(isolation.rules()) && p.isolation.fallback().equals(isolation.fallback())
            && java.util.Arrays.equals(p.gatewayAddresses, gatewayAddresses) && p.firewallAnswer == firewallAnswer;
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(clients) * 31 + unnamed.hashCode();
    }
}
