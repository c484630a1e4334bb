package io.torgate.gateway;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.policy.ClientPolicy;
import io.torgate.gateway.policy.Policy;
import java.util.ArrayList;
import java.util.List;

/** Compares a running configuration with a reloaded one: what can change live, what needs a restart. Stateless. */
final class ReloadDiff {
    private ReloadDiff() {
    }

    /**
     * The sections and keys of {@code next} that differ from {@code cur} but are fixed while running: the TUN, the
     * network and classifier, the pipeline, the SOCKS endpoint, DNS, the gateway SOCKS ports, tor, capture, the
     * control socket, metrics, the global caps and buffer sizes, and every {@code [drop]} class but {@code firewall}.
     */
    static List<String> needsRestart(GatewayConfig cur, GatewayConfig next) {
        List<String> out = new ArrayList<>();
        section(out, "tun", cur.tun(), next.tun());
        section(out, "network", cur.network(), next.network());
        section(out, "pipeline", cur.pipeline(), next.pipeline());
        section(out, "socks", cur.socks(), next.socks());
        section(out, "dns", cur.dns(), next.dns());
        section(out, "socks_ports", cur.socksPorts(), next.socksPorts());
        section(out, "tor", cur.tor(), next.tor());
        section(out, "capture", cur.capture(), next.capture());
        section(out, "control", cur.control(), next.control());
        section(out, "metrics", cur.metrics(), next.metrics());
        GatewayConfig.Limits a = cur.limits();
        GatewayConfig.Limits b = next.limits();
        section(out, "limits.syns_in_flight", a.synsInFlight(), b.synsInFlight());
        section(out, "limits.streams", a.streams(), b.streams());
        section(out, "limits.buffer_bytes", a.bufferBytes(), b.bufferBytes());
        section(out, "limits.tcp_buffer_bytes", a.tcpBufferBytes(), b.tcpBufferBytes());
        section(out, "limits.relay_buffer_bytes", a.relayBufferBytes(), b.relayBufferBytes());
        for (int r = 0; r < DropReason.COUNT; r++) {
            DropReason reason = DropReason.of(r);
            if (reason != DropReason.FIREWALL && cur.drops().action(reason) != next.drops().action(reason)) {
                out.add("drop." + reason.label());
            }
        }
        return out;
    }

    private static void section(List<String> out, String name, Object cur, Object next) {
        if (!cur.equals(next)) {
            out.add(name);
        }
    }

    /** Which parts of the live policy differ: {@code clients}, {@code firewalls}, {@code isolation}, ... */
    static List<String> policyChanges(Policy cur, Policy next) {
        List<String> parts = new ArrayList<>();
        if (!names(cur).equals(names(next)) || !ranges(cur).equals(ranges(next))) {
            parts.add("clients");
        }
        if (!firewalls(cur).equals(firewalls(next)) || cur.firewallAnswer() != next.firewallAnswer()) {
            parts.add("firewalls");
        }
        if (!cur.isolation().rules().equals(next.isolation().rules())
            || !cur.isolation().fallback().equals(next.isolation().fallback())) {
            parts.add("isolation");
        }
        if (!caps(cur).equals(caps(next))) {
            parts.add("client limits");
        }
        return parts.isEmpty() ? List.of("policy") : parts;
    }

    private static List<String> names(Policy p) {
        return p.clients().stream().map(ClientPolicy::name).toList();
    }

    private static List<Object> ranges(Policy p) {
        return p.clients().stream().map(c -> (Object) c.range()).toList();
    }

    private static List<Object> firewalls(Policy p) {
        List<Object> out = new ArrayList<>();
        out.add(p.unnamed().firewall());
        p.clients().forEach(c -> out.add(c.firewall()));
        return out;
    }

    private static List<Object> caps(Policy p) {
        List<Object> out = new ArrayList<>();
        out.add(p.unnamed().caps());
        p.clients().forEach(c -> out.add(c.caps()));
        return out;
    }
}
