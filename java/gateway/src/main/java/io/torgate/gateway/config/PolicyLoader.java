package io.torgate.gateway.config;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.policy.ClientCaps;
import io.torgate.gateway.policy.ClientPolicy;
import io.torgate.gateway.policy.Firewall;
import io.torgate.gateway.policy.FirewallRule;
import io.torgate.gateway.policy.Policy;
import io.torgate.tor.ClientMatch;
import io.torgate.tor.IsolationDimension;
import io.torgate.tor.IsolationPolicy;
import io.torgate.tor.IsolationProfile;
import io.torgate.tor.IsolationRule;
import io.torgate.tor.PortSet;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tomlj.TomlParseResult;

/**
 * Reads the live policy of a configuration (issue 9): {@code [isolation]} (default profile, extra profiles, ordered
 * rules by client and destination port), {@code [firewalls.NAME]} (Qubes-style ordered rules and a default) and
 * {@code [[clients]]} (named client ranges with their profile, firewall and limits). Problems go to the shared error
 * list with file, line and key, like the rest of {@link ConfigLoader}. Stateless; any thread.
 */
final class PolicyLoader {
    /** The firewall every client without one of its own gets, when defined. */
    static final String DEFAULT_FIREWALL = "default";

    private PolicyLoader() {
    }

    static Policy load(String file, TomlParseResult toml, List<String> errors, GatewayConfig.Network network,
                       ClientCaps caps, DropPolicy.Action firewallAnswer) {
        TomlSection root = new TomlSection(file, toml, "", null, errors);
        TomlSection iso = new TomlSection(file, toml, "isolation", errors);
        Map<String, IsolationProfile> profiles = profiles(iso);
        IsolationProfile fallback = profile(iso, "default_profile", "default", profiles);
        Map<String, Firewall> firewalls = firewalls(root);
        Firewall defaultFirewall = firewalls.getOrDefault(DEFAULT_FIREWALL, Firewall.ACCEPT_ALL);
        List<ClientPolicy> clients = clients(root, network, caps, profiles, firewalls, defaultFirewall);
        List<IsolationRule> rules = isolationRules(iso, profiles, clients);
        iso.rejectUnknownKeys();
        return new Policy(clients, ClientPolicy.unnamed(defaultFirewall, caps), new IsolationPolicy(rules, fallback),
            network.gatewayAddresses(), firewallAnswer);
    }

    /** The built-in profiles plus {@code [isolation.profiles.NAME]}. */
    private static Map<String, IsolationProfile> profiles(TomlSection iso) {
        Map<String, IsolationProfile> out = new LinkedHashMap<>();
        for (IsolationProfile p : IsolationProfile.BUILTIN) {
            out.put(p.name(), p);
        }
        for (TomlSection s : iso.tables("profiles", false)) {
            String name = s.name().substring("isolation.profiles.".length());
            List<IsolationDimension> dims = s.list("isolate", List.of(), PolicyLoader::dimension);
            long rotate = s.integer("rotate_seconds", 0, 0, 86_400 * 365L);
            s.rejectUnknownKeys();
            if (out.containsKey(name)) {
                s.error("isolate", "profile '" + name + "' is built in; choose another name");
                continue;
            }
            out.put(name, new IsolationProfile(name, dims.isEmpty() ? Set.of() : EnumSet.copyOf(dims),
                rotate * 1000));
        }
        return out;
    }

    private static IsolationDimension dimension(String v) {
        return switch (v) {
            case "client" -> IsolationDimension.CLIENT_ADDRESS;
            case "destination_address" -> IsolationDimension.DEST_ADDRESS;
            case "destination_port" -> IsolationDimension.DEST_PORT;
            case "socks_auth" -> IsolationDimension.CLIENT_SOCKS_AUTH;
            default -> throw new IllegalArgumentException("'" + v
                + "' is not one of client, destination_address, destination_port, socks_auth");
        };
    }

    /** A profile named by {@code key}; an unknown name is an error listing the known ones. */
    private static IsolationProfile profile(TomlSection s, String key, String fallback,
                                            Map<String, IsolationProfile> profiles) {
        String name = s.string(key, fallback);
        if (name == null) {
            return null;
        }
        IsolationProfile p = profiles.get(name);
        if (p == null) {
            s.error(key, "unknown profile '" + name + "' (known: " + String.join(", ", new TreeSet<>(profiles.keySet()))
                + "; define others under [isolation.profiles.NAME])");
        }
        return p == null ? IsolationProfile.DEFAULT : p;
    }

    /** {@code [firewalls.NAME]}: {@code default = "accept"|"drop"}, {@code rules = [{action = ..., ...}, ...]}. */
    private static Map<String, Firewall> firewalls(TomlSection root) {
        Map<String, Firewall> out = new LinkedHashMap<>();
        for (TomlSection s : root.tables("firewalls", false)) {
            String name = s.name().substring("firewalls.".length());
            boolean accept = action(s, "default", "accept");
            List<FirewallRule> rules = new ArrayList<>();
            for (TomlSection r : s.tables("rules", true)) {
                FirewallRule rule = rule(r);
                if (rule != null) {
                    rules.add(rule);
                }
            }
            s.rejectUnknownKeys();
            out.put(name, new Firewall(name, rules, accept));
        }
        return out;
    }

    private static boolean action(TomlSection s, String key, String fallback) {
        String v = s.string(key, fallback);
        if (v == null) {
            s.error(key, "is required: \"accept\" or \"drop\"");
            return false;
        }
        if (!"accept".equals(v) && !"drop".equals(v)) {
            s.error(key, "must be \"accept\" or \"drop\" (got '" + v + "')");
        }
        return "accept".equals(v);
    }

    /** One rule: {@code action}, and {@code special = "dns"} or any of {@code host}, {@code ports}, {@code proto}. */
    private static FirewallRule rule(TomlSection r) {
        boolean accept = action(r, "action", null);
        String special = r.string("special", null);
        if (special != null && !"dns".equals(special)) {
            r.error("special", "the only special target is \"dns\" (got '" + special + "')");
        }
        Object host = r.parsed("host", null, PolicyLoader::host);
        PortSet ports = ports(r);
        int proto = r.parsed("proto", FirewallRule.ANY, v -> switch (v) {
            case "tcp" -> FirewallRule.TCP;
            case "udp" -> FirewallRule.UDP;
            case "any" -> FirewallRule.ANY;
            default -> throw new IllegalArgumentException("must be \"tcp\", \"udp\" or \"any\" (got '" + v + "')");
        });
        r.rejectUnknownKeys();
        try {
            return new FirewallRule(accept, "dns".equals(special), host instanceof Cidr c ? c : null,
                host instanceof String h ? h : null, ports, proto);
        } catch (IllegalArgumentException e) {
            r.error("special", e.getMessage());
            return null;
        }
    }

    /** A prefix or address ({@code 10.0.0.0/8}, {@code 192.0.2.1}) or a name ({@code example.com}, {@code *.onion}). */
    private static Object host(String v) {
        if (v.contains("/") || !v.isEmpty() && v.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            return Cidr.parse(v);
        }
        return new FirewallRule(true, false, null, v, null, FirewallRule.ANY).host();
    }

    /** {@code ports = 443} or {@code ports = "80,443,8000-8100"}. */
    static PortSet ports(TomlSection r) {
        r.know("ports");
        if (r.table() == null || !r.table().contains(List.of("ports"))) {
            return null;
        }
        Object v = r.table().get(List.of("ports"));
        String text = v instanceof Long n ? Long.toString(n) : v instanceof String str ? str : null;
        if (text == null) {
            r.error("ports", "must be a port (443) or a string of ports and ranges (\"80,443,8000-8100\")");
            return null;
        }
        try {
            PortSet set = PortSet.parse(text);
            if (set.size() == 0 || set.contains(0)) {
                throw new IllegalArgumentException("empty or port 0");
            }
            return set;
        } catch (IllegalArgumentException e) {
            r.error("ports", "'" + text + "' is not ports 1..65535 and ranges lo-hi, comma-separated");
            return null;
        }
    }

    private static List<ClientPolicy> clients(TomlSection root, GatewayConfig.Network network, ClientCaps defaults,
                                              Map<String, IsolationProfile> profiles, Map<String, Firewall> firewalls,
                                              Firewall defaultFirewall) {
        List<ClientPolicy> out = new ArrayList<>();
        List<TomlSection> where = new ArrayList<>();
        for (TomlSection s : root.tables("clients", true)) {
            String name = s.string("name", null);
            if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
                s.error("name", "is required: 1..64 letters, digits, '.', '_' or '-'");
                name = "?";
            } else if (taken(out, name)) {
                s.error("name", "'" + name + "' is used by another [[clients]] entry");
            }
            Cidr range = s.parsed("range", null, Cidr::parse);
            if (range == null && !s.keys().contains("range")) {
                s.error("range", "is required: the client's address or CIDR range, e.g. \"10.137.0.5\"");
            }
            if (range != null && network.clientRanges().stream().noneMatch(r -> r.prefixLength() <= range.prefixLength()
                && r.contains(range.network()))) {
                s.error("range", range + " is outside every [network] client_ranges " + network.clientRanges());
            }
            for (int i = 0; range != null && i < out.size(); i++) {
                if (out.get(i).range().overlaps(range)) {
                    s.error("range", range + " overlaps " + where.get(i).name() + " '" + out.get(i).name() + "' ("
                        + out.get(i).range() + ")");
                }
            }
            IsolationProfile profile = profile(s, "profile", null, profiles);
            String fw = s.string("firewall", null);
            if (fw != null && !firewalls.containsKey(fw)) {
                s.error("firewall", "unknown firewall '" + fw + "' (known: " + String.join(", ",
                    new TreeSet<>(firewalls.keySet())) + "; define it under [firewalls." + fw + "])");
            }
            ClientCaps caps = caps(s, defaults, "");
            s.rejectUnknownKeys();
            if (range != null) {
                out.add(new ClientPolicy(name, range, profile, fw == null ? defaultFirewall
                    : firewalls.getOrDefault(fw, Firewall.ACCEPT_ALL), caps));
                where.add(s);
            }
        }
        return out;
    }

    /**
     * Per-client limits: a {@code [[clients]]} entry's keys ({@code suffix} empty, defaults {@code d} from
     * {@code [limits]}), or {@code [limits]}' own {@code *_per_client} keys.
     */
    static ClientCaps caps(TomlSection s, ClientCaps d, String suffix) {
        return new ClientCaps(
            (int) s.integer("syns_in_flight" + suffix, d.synsInFlight(), 1, 1 << 20),
            (int) s.integer("streams" + suffix, d.streams(), 1, 1 << 20),
            (int) s.integer("new_streams_per_second" + suffix, d.newStreamsPerSecond(), 0, 1_000_000),
            (int) s.integer("new_streams_burst" + suffix, d.newStreamsBurst(), 1, 1_000_000),
            (int) s.integer("dns_queries_per_second" + suffix, d.dnsQueriesPerSecond(), 1, 1_000_000),
            (int) s.integer("dns_burst" + suffix, d.dnsBurst(), 1, 1_000_000));
    }

    /**
     * {@code [[isolation.rules]]} in order ({@code ports}, {@code client}, {@code profile}); without any, the default
     * mail rule. Then each client's own profile, for the ports no rule claims.
     */
    private static List<IsolationRule> isolationRules(TomlSection iso, Map<String, IsolationProfile> profiles,
                                                      List<ClientPolicy> clients) {
        List<IsolationRule> rules = new ArrayList<>();
        if (iso.table() == null || !iso.table().contains(List.of("rules"))) {
            rules.addAll(IsolationPolicy.defaults().rules());
        }
        for (TomlSection s : iso.tables("rules", true)) {
            PortSet ports = ports(s);
            String client = s.string("client", null);
            ClientPolicy c = clients.stream().filter(p -> p.name().equals(client)).findFirst().orElse(null);
            if (client != null && c == null) {
                s.error("client", "unknown client '" + client + "' (name one of the [[clients]] entries)");
            }
            IsolationProfile p = profile(s, "profile", null, profiles);
            if (p == null) {
                s.error("profile", "is required: the profile streams matching this rule get");
            }
            s.rejectUnknownKeys();
            if (p != null) {
                rules.add(new IsolationRule(c == null ? null : match(c), ports, p));
            }
        }
        for (ClientPolicy c : clients) {
            if (c.profile() != null) {
                rules.add(new IsolationRule(match(c), null, c.profile()));
            }
        }
        return rules;
    }

    private static ClientMatch match(ClientPolicy c) {
        return new ClientMatch(c.name(), c.range().network(), c.range().prefixLength());
    }

    private static boolean taken(List<ClientPolicy> clients, String name) {
        for (ClientPolicy c : clients) {
            if (c.name().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
