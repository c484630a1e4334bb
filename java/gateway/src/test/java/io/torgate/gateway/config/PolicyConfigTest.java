package io.torgate.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.policy.ClientPolicy;
import io.torgate.gateway.policy.FirewallRule;
import io.torgate.gateway.policy.Policy;
import io.torgate.tor.IsolationDimension;
import io.torgate.tor.IsolationProfile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** [[clients]], [isolation] and [firewalls.*]: what they build, and every error class with file, line and key. */
class PolicyConfigTest {
    /** Four lines, so a key on line 5 of a test's text is the first line after this. */
    private static final String BASE = """
        socks.endpoint = "127.0.0.1:9050"
        [network]
        client_ranges = ["10.137.0.0/16"]
        gateway_addresses = ["10.139.1.1"]
        """;

    private static final String TWO_CLIENTS = BASE + """
        [[clients]]
        name = "work"
        range = "10.137.0.5"
        profile = "browser"
        firewall = "work"
        streams = 8
        new_streams_per_second = 20
        dns_queries_per_second = 5
        [[clients]]
        name = "anon"
        range = "10.137.1.0/24"
        [firewalls.work]
        default = "drop"
        rules = [
          { action = "accept", special = "dns" },
          { action = "accept", host = "*.example.org", ports = "80,443", proto = "tcp" },
          { action = "accept", host = "192.0.2.0/24", ports = 8000 },
        ]
        [isolation]
        default_profile = "default"
        [isolation.profiles.research]
        isolate = ["client", "destination_address"]
        rotate_seconds = 600
        [[isolation.rules]]
        ports = "25,587"
        profile = "mail"
        [[isolation.rules]]
        client = "anon"
        profile = "research"
        """;

    private static List<String> errors(String toml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse("t.toml", toml)).errors();
    }

    /** The one error of {@code toml} starts with {@code where} ("t.toml:LINE:COL: key") and contains {@code hint}. */
    private static void assertError(String toml, String where, String hint) {
        List<String> errors = errors(toml);
        assertTrue(errors.stream().anyMatch(e -> e.startsWith(where) && e.contains(hint)),
            "wanted '" + where + " ... " + hint + "' in " + errors);
    }

    @Test
    void buildsClientsFirewallsAndIsolation() throws Exception {
        GatewayConfig c = ConfigLoader.parse("t.toml", TWO_CLIENTS);
        Policy p = c.policy();
        int work = Cidr.parseAddress("10.137.0.5");
        int anon = Cidr.parseAddress("10.137.1.77");
        ClientPolicy w = p.clientFor(work);
        assertEquals("work", w.name());
        assertEquals(8, w.caps().streams());
        assertEquals(64, w.caps().synsInFlight(), "the [limits] default");
        assertEquals(20, w.caps().newStreamsPerSecond());
        assertEquals(5, w.caps().dnsQueriesPerSecond());
        assertEquals("anon", p.clientFor(anon).name());
        assertEquals(ClientPolicy.UNNAMED, p.clientFor(Cidr.parseAddress("10.137.9.9")).name());
        assertEquals(3, w.firewall().rules().size());
        assertFalse(w.firewall().defaultAccept());
        assertTrue(w.firewall().accepts(FirewallRule.UDP, Cidr.parseAddress("10.139.1.1"), true, null, 53, true));
        assertTrue(w.firewall().accepts(FirewallRule.TCP, 0, false, "www.example.org", 443, false));
        assertTrue(w.firewall().accepts(FirewallRule.UDP, Cidr.parseAddress("192.0.2.3"), true, null, 8000, false));
        assertFalse(w.firewall().accepts(FirewallRule.TCP, 0, false, "example.com", 443, false));
        assertTrue(p.clientFor(anon).firewall().defaultAccept(), "no firewall: accept all");
        assertEquals("mail", p.isolation().profileFor(work, 587).name(), "port rules first");
        assertEquals("browser", p.isolation().profileFor(work, 443).name(), "then the client's profile");
        IsolationProfile research = p.isolation().profileFor(anon, 443);
        assertEquals("research", research.name());
        assertEquals(600_000, research.rotationMillis());
        assertTrue(research.has(IsolationDimension.DEST_ADDRESS) && !research.has(IsolationDimension.DEST_PORT));
        assertEquals("default", p.isolation().profileFor(Cidr.parseAddress("10.137.9.9"), 443).name());
        assertEquals(DropPolicy.Action.PROHIBIT, p.firewallAnswer(), "Qubes' answer by default");
        assertTrue(p.isGatewayAddress(Cidr.parseAddress("10.139.1.1")));
    }

    @Test
    void defaultsWithoutThePolicySections() throws Exception {
        Policy p = ConfigLoader.parse("t.toml", BASE).policy();
        assertTrue(p.clients().isEmpty());
        assertEquals("mail", p.isolation().profileFor(1, 993).name(), "the built-in mail rule");
        assertEquals("default", p.isolation().profileFor(1, 443).name());
        assertEquals("accept-all", p.unnamed().firewall().name());
        Policy d = ConfigLoader.parse("t.toml", BASE + "[firewalls.default]\ndefault = \"drop\"\n"
            + "[drop]\nfirewall = \"reject\"\n").policy();
        assertFalse(d.unnamed().firewall().defaultAccept(), "[firewalls.default] applies to unnamed clients");
        assertEquals(DropPolicy.Action.REJECT, d.firewallAnswer());
        assertEquals(DropPolicy.Action.DROP, ConfigLoader.parse("t.toml", BASE + "[drop]\nfirewall = \"drop\"\n")
            .policy().firewallAnswer());
    }

    @Test
    void syntaxErrorNamesFileAndLine() {
        assertError(BASE + "[[clients]]\nname = \"x\nrange = \"10.137.0.5\"\n", "t.toml:6:", "syntax");
    }

    @Test
    void unknownKeysNameFileLineAndKey() {
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.5\"\nstreamz = 3\n", "t.toml:8:1: clients[0].streamz",
            "unknown key");
        assertError(BASE + "[firewalls.fw]\nrules = [{ action = \"accept\", hots = \"x.test\" }]\n",
            "t.toml:6:", "firewalls.fw.rules[0].hots: unknown key");
        assertError(BASE + "[isolation]\ndefault = \"mail\"\n", "t.toml:6:1: isolation.default", "unknown key");
        assertError(BASE + "[isolation.profiles.p]\nisolate = [\"client\"]\nrotate = 5\n",
            "t.toml:7:1: isolation.profiles.p.rotate", "unknown key");
    }

    @Test
    void wrongTypesNameFileLineAndKey() {
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.5\"\nstreams = \"many\"\n",
            "t.toml:8:1: clients[0].streams", "must be an integer");
        assertError(BASE + "[[clients]]\nname = 5\nrange = \"10.137.0.5\"\n", "t.toml:6:1: clients[0].name",
            "must be a string");
        assertError(BASE + "[firewalls.fw]\nrules = [{ action = \"accept\", ports = true }]\n",
            "t.toml:6:", "firewalls.fw.rules[0].ports: must be a port");
        assertError("clients = 3\n" + BASE, "t.toml:1:1: clients", "must be an array of tables");
        assertError(BASE + "[limits]\nnew_streams_per_second_per_client = 1.5\n",
            "t.toml:6:1: limits.new_streams_per_second_per_client", "must be an integer");
    }

    @Test
    void badCidrsNameFileLineAndKey() {
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.0/33\"\n", "t.toml:7:1: clients[0].range",
            "prefix length 33");
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.300.1\"\n", "t.toml:7:1: clients[0].range",
            "octet above 255");
        assertError(BASE + "[firewalls.fw]\nrules = [{ action = \"drop\", host = \"10.0.0.0/x\" }]\n", "t.toml:6:",
            "firewalls.fw.rules[0].host: '10.0.0.0/x' has no numeric prefix length");
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.138.0.5\"\n", "t.toml:7:1: clients[0].range",
            "outside every [network] client_ranges");
    }

    @Test
    void overlappingClientRangesNameFileLineAndKey() {
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.0/24\"\n"
            + "[[clients]]\nname = \"b\"\nrange = \"10.137.0.9\"\n", "t.toml:10:1: clients[1].range",
            "10.137.0.9/32 overlaps clients[0] 'a' (10.137.0.0/24)");
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.1\"\n"
            + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.2\"\n", "t.toml:9:1: clients[1].name", "is used by");
    }

    @Test
    void unknownProfilesAndReferencesNameFileLineAndKey() {
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.5\"\nprofile = \"paranoia\"\n",
            "t.toml:8:1: clients[0].profile", "unknown profile 'paranoia' (known: browser, default, mail, paranoid");
        assertError(BASE + "[isolation]\ndefault_profile = \"nope\"\n", "t.toml:6:1: isolation.default_profile",
            "unknown profile 'nope'");
        assertError(BASE + "[[isolation.rules]]\nports = \"25\"\nprofile = \"nope\"\n",
            "t.toml:7:1: isolation.rules[0].profile", "unknown profile");
        assertError(BASE + "[[isolation.rules]]\nclient = \"ghost\"\nprofile = \"mail\"\n",
            "t.toml:6:1: isolation.rules[0].client", "unknown client 'ghost'");
        assertError(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.5\"\nfirewall = \"strict\"\n",
            "t.toml:8:1: clients[0].firewall", "unknown firewall 'strict'");
        assertError(BASE + "[isolation.profiles.mail]\nisolate = [\"client\"]\n", "t.toml:6:1: isolation.profiles.mail",
            "is built in");
        assertError(BASE + "[isolation.profiles.p]\nisolate = [\"client\", \"planet\"]\n",
            "t.toml:6:1: isolation.profiles.p.isolate", "element 1: 'planet' is not one of");
    }

    @Test
    void badRulesNameFileLineAndKey() {
        assertError(BASE + "[firewalls.fw]\nrules = [{ host = \"x.test\" }]\n", "t.toml:6:",
            "firewalls.fw.rules[0].action: is required");
        assertError(BASE + "[firewalls.fw]\nrules = [{ action = \"allow\" }]\n", "t.toml:6:",
            "firewalls.fw.rules[0].action: must be \"accept\" or \"drop\"");
        assertError(BASE + "[firewalls.fw]\nrules = [{ action = \"accept\", special = \"dns\", ports = 53 }]\n",
            "t.toml:6:", "the dns special target takes no host");
        assertError(BASE + "[firewalls.fw]\nrules = [{ action = \"accept\", ports = \"70000\" }]\n", "t.toml:6:",
            "is not ports 1..65535");
        assertError(BASE + "[firewalls.fw]\nrules = [{ action = \"accept\", proto = \"icmp\" }]\n", "t.toml:6:",
            "proto: must be \"tcp\", \"udp\" or \"any\"");
        assertError(BASE + "[drop]\nfirewall = \"bounce\"\n", "t.toml:6:1: drop.firewall", "or \"prohibit\"");
        assertError(BASE + "[drop]\nudp_port = \"prohibit\"\n", "t.toml:6:1: drop.udp_port", "must be \"drop\" or");
    }

    @Test
    void everyErrorIsReportedInOneRun() {
        List<String> errors = errors(BASE + "[[clients]]\nname = \"a\"\nrange = \"10.137.0.0/40\"\nprofile = \"x\"\n"
            + "bogus = 1\n");
        assertEquals(3, errors.size(), errors.toString());
        assertTrue(errors.get(0).startsWith("t.toml:7:1: clients[0].range"), errors.get(0));
        assertTrue(errors.get(2).startsWith("t.toml:9:1: clients[0].bogus"), errors.get(2));
    }
}
