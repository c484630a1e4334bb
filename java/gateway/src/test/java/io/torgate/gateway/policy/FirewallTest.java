package io.torgate.gateway.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.torgate.gateway.config.Cidr;
import io.torgate.tor.PortSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Qubes firewall semantics, table-driven: first matching rule wins, else the default. */
class FirewallTest {
    private static final int TCP = FirewallRule.TCP;
    private static final int UDP = FirewallRule.UDP;
    private static final int GW = Cidr.parseAddress("10.139.1.1");
    private static final int WEB = Cidr.parseAddress("192.0.2.80");
    private static final int OTHER = Cidr.parseAddress("198.51.100.7");
    private static final int VIRTUAL = Cidr.parseAddress("10.192.0.9");

    private static FirewallRule rule(boolean accept, String net, String host, String ports, int proto) {
        return new FirewallRule(accept, false, net == null ? null : Cidr.parse(net), host,
            ports == null ? null : PortSet.parse(ports), proto);
    }

    /** A Qubes-typical policy: DNS, the web server on 80/443, names under example.org, onions; default drop. */
    private static final Firewall TYPICAL = new Firewall("typical", List.of(
        new FirewallRule(true, true, null, null, null, FirewallRule.ANY),
        rule(false, "192.0.2.80/32", null, "8080", FirewallRule.ANY),
        rule(true, "192.0.2.0/24", null, "80,443", TCP),
        rule(true, null, "*.example.org", null, TCP),
        rule(true, null, "exact.test", "443", TCP),
        rule(true, null, "*.onion", null, FirewallRule.ANY)), false);

    /** proto, address, addressKnown, name, port, toGatewayDns, expected, why. */
    static Stream<Arguments> cases() {
        return Stream.of(
            Arguments.of(UDP, GW, true, null, 53, true, true, "dns target over UDP"),
            Arguments.of(TCP, GW, true, null, 53, true, true, "dns target over TCP"),
            Arguments.of(UDP, OTHER, true, null, 53, false, false, "DNS to another address is not the dns target"),
            Arguments.of(TCP, WEB, true, null, 80, false, true, "network + port + proto"),
            Arguments.of(TCP, WEB, true, null, 443, false, true, "second port of the list"),
            Arguments.of(TCP, WEB, true, null, 8080, false, false, "an earlier drop wins over a later accept"),
            Arguments.of(TCP, WEB, true, null, 22, false, false, "port outside the rule: default drop"),
            Arguments.of(UDP, WEB, true, null, 80, false, false, "proto tcp only"),
            Arguments.of(TCP, OTHER, true, null, 80, false, false, "address outside the network"),
            Arguments.of(TCP, VIRTUAL, false, "www.example.org", 443, false, true, "name under *.example.org"),
            Arguments.of(TCP, VIRTUAL, false, "WWW.Example.ORG.", 443, false, true, "case and trailing dot"),
            Arguments.of(TCP, VIRTUAL, false, "example.org", 443, false, false, "*.x does not match x itself"),
            Arguments.of(TCP, VIRTUAL, false, "badexample.org", 443, false, false, "suffix on a label boundary"),
            Arguments.of(TCP, VIRTUAL, false, "exact.test", 443, false, true, "exact name and port"),
            Arguments.of(TCP, VIRTUAL, false, "exact.test", 80, false, false, "exact name, other port"),
            Arguments.of(TCP, VIRTUAL, false, "a.exact.test", 443, false, false, "exact name only"),
            Arguments.of(TCP, VIRTUAL, false, "abcdefghij.onion", 80, false, true, ".onion names"),
            Arguments.of(TCP, Cidr.parseAddress("192.0.2.1"), false, "x.test", 80, false, false,
                "a name-only destination never matches a network rule"),
            Arguments.of(TCP, OTHER, true, null, 443, false, false, "no name: name rules do not match"));
    }

    @ParameterizedTest(name = "{7}")
    @MethodSource("cases")
    void firstMatchWinsElseDefault(int proto, int address, boolean known, String name, int port, boolean dns,
                                   boolean expected, String why) {
        assertEquals(expected, TYPICAL.accepts(proto, address, known, name, port, dns), why);
    }

    @Test
    void defaultAcceptAndEmptyFirewall() {
        Firewall denyWeb = new Firewall("deny-web", List.of(rule(false, null, null, "80", TCP)), true);
        assertEquals(false, denyWeb.accepts(TCP, WEB, true, null, 80, false));
        assertEquals(true, denyWeb.accepts(TCP, WEB, true, null, 81, false));
        assertEquals(true, Firewall.ACCEPT_ALL.accepts(UDP, GW, true, null, 53, true));
    }

    @Test
    void rejectsMalformedRules() {
        assertThrows(IllegalArgumentException.class, () -> new FirewallRule(true, true, Cidr.parse("10.0.0.0/8"),
            null, null, FirewallRule.ANY), "dns takes nothing else");
        assertThrows(IllegalArgumentException.class, () -> rule(true, null, "bad name!", null, TCP));
        assertThrows(IllegalArgumentException.class, () -> rule(true, "10.0.0.0/8", "x.test", null, TCP));
    }
}
