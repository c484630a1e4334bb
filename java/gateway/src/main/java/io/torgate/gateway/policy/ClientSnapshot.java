package io.torgate.gateway.policy;

import io.torgate.gateway.classify.DropReason;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A copy of one client's state for the control socket and metrics (read API of issue 9's {@code clients}).
 * Immutable.
 *
 * @param address the client's IPv4 address (big-endian int; {@code Cidr.format} prints it)
 * @param name the {@code [[clients]]} name whose range holds it, or {@code *}
 * @param profile the isolation profile it gets on ports no isolation rule claims
 * @param firewall the name of its firewall
 * @param synsInFlight SYNs waiting for a SOCKS reply now
 * @param streams open streams now
 * @param streamsOpened streams admitted so far
 * @param dnsQueries DNS queries seen so far
 * @param refused non-zero refusal counts by reason: firewall, firewall_dns, firewall_reset, syn_limit_client,
 *                stream_limit_client, stream_rate_limit_client, dns_rate_limit_client (any reason counted per
 *                client)
 */
public record ClientSnapshot(int address, String name, String profile, String firewall, int synsInFlight,
                             int streams, long streamsOpened, long dnsQueries, Map<DropReason, Long> refused) {
    public ClientSnapshot {
        refused = Collections.unmodifiableMap(new EnumMap<>(refused.isEmpty()
            ? new EnumMap<>(DropReason.class) : refused));
    }

    /** Refusals for one reason (0 when none). */
    public long refused(DropReason reason) {
        return refused.getOrDefault(reason, 0L);
    }

    /** All refusals of the client, whatever the reason. */
    public long refusedTotal() {
        long n = 0;
        for (long v : refused.values()) {
            n += v;
        }
        return n;
    }
}
