package io.torgate.gateway.relay;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.policy.Clients;
import io.torgate.gateway.policy.Firewall;
import io.torgate.gateway.policy.FirewallRule;
import io.torgate.gateway.policy.Policy;
import io.torgate.tor.Socks5Codec;
import io.torgate.tor.SocksRequest;

/**
 * Asks the client's firewall about each new thing a worker is about to serve: a transparent stream (destination
 * address, or the name the client looked up when the address is a DNS-mapped one), a DNS query (the {@code dns}
 * target when it goes to a gateway address), a CONNECT on a gateway SOCKS port (the requested name or address), and
 * again every live flow after a reload. Denials are counted for the client.
 *
 * <p>Ownership: one per worker, confined to its thread; the {@link Policy} it reads is immutable, {@link Clients} is
 * thread-safe. Allocation-free.
 */
final class PolicyGate {
    private final Clients clients;
    private final HostnameResolver names;
    private final ClientTable shardClients;

    /**
     * @param clients every client's live state and the policy (shared by all shards)
     * @param shardClients this shard's per-client counters (what {@code torgate ctl clients} sums over shards)
     */
    PolicyGate(Clients clients, HostnameResolver names, ClientTable shardClients) {
        this.clients = clients;
        this.names = names;
        this.shardClients = shardClients;
    }

    Policy policy() {
        return clients.policy();
    }

    /**
     * The firewall's verdict on a new TCP flow that is not to a gateway SOCKS port.
     *
     * @return null when accepted, else {@link DropReason#FIREWALL} or {@link DropReason#FIREWALL_DNS}
     */
    DropReason checkTcp(Policy p, int client, int destination, int port) {
        if (port == PacketClassifier.DNS_PORT) {
            return allowsDns(p, client, destination, FirewallRule.TCP) ? null : DropReason.FIREWALL_DNS;
        }
        Firewall fw = p.clientFor(client).firewall();
        boolean virtual = names.isVirtual(destination);
        CharSequence name = virtual ? names.hostnameFor(destination) : null;
        return fw.accepts(FirewallRule.TCP, destination, !virtual, name, port, false) ? null : DropReason.FIREWALL;
    }

    /** A DNS query from {@code client} to {@code server}:53 over {@code proto}. */
    boolean allowsDns(Policy p, int client, int server, int proto) {
        return p.clientFor(client).firewall().accepts(proto, server, true, null, PacketClassifier.DNS_PORT,
            p.isGatewayAddress(server));
    }

    /**
     * A complete request on a gateway SOCKS port. CONNECT is checked against its destination (the name when given by
     * name, which then matches no network rule); RESOLVE and RESOLVE_PTR are name lookups through the gateway, so
     * they count as the {@code dns} target.
     */
    DropReason checkSocks(Policy p, int client, int gatewayAddress, SocksRequest q) {
        if (q.command() != Socks5Codec.CMD_CONNECT) {
            return allowsDns(p, client, gatewayAddress, FirewallRule.TCP) ? null : DropReason.FIREWALL_DNS;
        }
        boolean byName = q.hasHost();
        boolean ok = p.clientFor(client).firewall().accepts(FirewallRule.TCP, byName ? 0 : q.ipv4(), !byName,
            byName ? q.host() : null, q.port(), false);
        return ok ? null : DropReason.FIREWALL;
    }

    /** Whether the live flow {@code f} may go on under {@code p} (a reload's re-check). */
    boolean allows(Policy p, Flow f) {
        return switch (f.phase) {
            case Flow.DNS -> allowsDns(p, f.client, f.destination, FirewallRule.TCP);
            case Flow.CONNECTING, Flow.RELAYING, Flow.SOCKS_UPSTREAM -> f.serverProfile != null
                ? checkSocks(p, f.client, f.destination, f.server.request()) == null
                : checkTcp(p, f.client, f.destination, f.destinationPort) == null;
            default -> true; // a SOCKS request still being read, or a flow already closing
        };
    }

    /** Counts a denial for the client, in the shared client state and in this shard's client counters. */
    void count(int client, DropReason reason) {
        clients.state(client).count(reason);
        shardClients.of(client).drop(reason);
    }

    /** Counts in the shared client state only (the caller's refuse/abort counts the shard's). */
    void countShared(int client, DropReason reason) {
        clients.state(client).count(reason);
    }
}
