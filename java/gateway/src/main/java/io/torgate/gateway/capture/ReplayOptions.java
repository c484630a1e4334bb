package io.torgate.gateway.capture;

import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.policy.Policy;
import java.util.List;

/**
 * How {@link Replay} sets up the offline gateway. Immutable.
 *
 * @param clientRanges source prefixes of clients (packets from elsewhere are spoofed; packets to them from
 *     elsewhere are the original server's side of a flow and feed the fake upstream instead)
 * @param gatewayAddresses the gateway's own addresses
 * @param servedTcpPorts TCP ports served on the gateway's addresses
 * @param upstream what the fake SOCKS upstream answers to every CONNECT
 * @param drainNanos after the last packet, virtual time runs on at most this long so timers (retransmissions,
 *     TIME-WAIT) play out
 * @param dnsServed the captured gateway answered DNS (UDP/TCP port 53): queries are noted, not {@code dns_unserved}
 * @param policy the clients' firewalls to apply to new flows and DNS queries, or null for none
 */
public record ReplayOptions(List<Cidr> clientRanges, List<Integer> gatewayAddresses, List<Integer> servedTcpPorts,
                            Upstream upstream, long drainNanos, boolean dnsServed, Policy policy) {
    /** The fake SOCKS server's answer to every CONNECT. */
    public enum Upstream {
        /** Success: the held SYN is answered with a SYN-ACK. */
        ACCEPT,
        /** Failure (general SOCKS server failure): the held SYN is answered with a RST. */
        REFUSE
    }

    public ReplayOptions {
        clientRanges = List.copyOf(clientRanges);
        gatewayAddresses = List.copyOf(gatewayAddresses);
        servedTcpPorts = List.copyOf(servedTcpPorts);
    }

    /**
     * Qubes' client ranges (10.137.0.0/16, 10.138.0.0/16), no gateway address, upstream accepts, 120 s drain, no
     * DNS service, no firewall.
     */
    public static ReplayOptions defaults() {
        return new ReplayOptions(List.of(Cidr.parse("10.137.0.0/16"), Cidr.parse("10.138.0.0/16")), List.of(),
            List.of(), Upstream.ACCEPT, 120_000_000_000L, false, null);
    }

    public ReplayOptions withClients(List<Cidr> ranges) {
        return new ReplayOptions(ranges, gatewayAddresses, servedTcpPorts, upstream, drainNanos, dnsServed, policy);
    }

    public ReplayOptions withGateway(List<Integer> addresses) {
        return new ReplayOptions(clientRanges, addresses, servedTcpPorts, upstream, drainNanos, dnsServed, policy);
    }

    public ReplayOptions withUpstream(Upstream u) {
        return new ReplayOptions(clientRanges, gatewayAddresses, servedTcpPorts, u, drainNanos, dnsServed, policy);
    }

    public ReplayOptions withServedPorts(List<Integer> ports) {
        return new ReplayOptions(clientRanges, gatewayAddresses, ports, upstream, drainNanos, dnsServed, policy);
    }

    public ReplayOptions withDrainNanos(long nanos) {
        return new ReplayOptions(clientRanges, gatewayAddresses, servedTcpPorts, upstream, nanos, dnsServed, policy);
    }

    public ReplayOptions withDns(boolean served) {
        return new ReplayOptions(clientRanges, gatewayAddresses, servedTcpPorts, upstream, drainNanos, served, policy);
    }

    public ReplayOptions withPolicy(Policy p) {
        return new ReplayOptions(clientRanges, gatewayAddresses, servedTcpPorts, upstream, drainNanos, dnsServed, p);
    }

    /** True when an address is in a client range. */
    boolean isClient(int address) {
        for (Cidr c : clientRanges) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
