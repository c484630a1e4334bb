package io.torgate.bench.gateway;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.policy.ClientCaps;
import io.torgate.gateway.policy.ClientPolicy;
import io.torgate.gateway.policy.Clients;
import io.torgate.gateway.policy.Firewall;
import io.torgate.gateway.policy.FirewallRule;
import io.torgate.gateway.policy.Policy;
import io.torgate.gateway.relay.FlowLimits;
import io.torgate.tor.IsolationPolicy;
import io.torgate.tor.PortSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the per-client policy (issue 9) where it runs: the firewall on a new flow or a DNS query (a Qubes-like
 * firewall of six rules, the worst case scanning all of them to the default), the DNS rate check per query (policy
 * lookup among eight named clients plus the client's token bucket), and a new flow's admission and release
 * (per-client caps, global caps, new-streams bucket). None of them may allocate.
 * Run: {@code bash bench/run.sh PolicyBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicyBenchmark {
    private static final int CLIENT = Cidr.parseAddress("10.137.0.17");
    private static final int GATEWAY = Cidr.parseAddress("10.139.1.1");
    private static final int REMOTE = Cidr.parseAddress("198.51.100.7");
    private static final String NAME = "www.example.org";

    private Firewall firewall;
    private Clients clients;
    private FlowLimits limits;
    private long now;

    @Setup
    public void setUp() {
        firewall = new Firewall("work", List.of(
            new FirewallRule(true, true, null, null, null, FirewallRule.ANY),
            new FirewallRule(false, false, Cidr.parse("192.0.2.66/32"), null, null, FirewallRule.ANY),
            new FirewallRule(true, false, Cidr.parse("192.0.2.0/24"), null, PortSet.parse("80,443"), FirewallRule.TCP),
            new FirewallRule(true, false, null, "*.example.com", PortSet.of(443), FirewallRule.TCP),
            new FirewallRule(true, false, null, "*.onion", null, FirewallRule.ANY),
            new FirewallRule(true, false, null, "*.example.org", PortSet.of(443), FirewallRule.TCP)), false);
        List<ClientPolicy> named = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            // Unlimited streams per second and a DNS rate no benchmark loop reaches: the take always succeeds.
            named.add(new ClientPolicy("c" + i, new Cidr(Cidr.parseAddress("10.137.0.0") + 16 * i, 28), null,
                firewall, new ClientCaps(1 << 20, 1 << 20, 0, 1, 1_000_000, 1_000_000)));
        }
        clients = new Clients(new Policy(named, ClientPolicy.unnamed(Firewall.ACCEPT_ALL, ClientCaps.DEFAULTS),
            IsolationPolicy.defaults(), List.of(GATEWAY), DropPolicy.Action.PROHIBIT));
        limits = new FlowLimits(1 << 20, 1 << 20, clients);
        now = System.nanoTime();
    }

    /** A new TCP flow to an address no rule matches: all six rules scanned, then the default (drop). */
    @Benchmark
    public boolean firewallDefault() {
        return firewall.accepts(FirewallRule.TCP, REMOTE, true, null, 22, false);
    }

    /** A new TCP flow to a mapped name matched by the last rule (suffix comparison, case-insensitive). */
    @Benchmark
    public boolean firewallByName() {
        return firewall.accepts(FirewallRule.TCP, 0, false, NAME, 443, false);
    }

    /** A DNS query to the gateway: the client's policy among eight, its firewall's dns rule, its rate bucket. */
    @Benchmark
    public boolean dnsQuery() {
        Policy p = clients.policy();
        now += 2_000;
        return p.clientFor(CLIENT).firewall().accepts(FirewallRule.UDP, GATEWAY, true, null, 53,
            p.isGatewayAddress(GATEWAY)) && clients.tryAcquireDns(CLIENT, now);
    }

    /** A new flow admitted (caps, new-streams bucket) and released again (its SOCKS reply, then its end). */
    @Benchmark
    public Object admitAndRelease() {
        Object refused = limits.admit(CLIENT, now += 1_000);
        limits.synDone(CLIENT);
        limits.streamDone(CLIENT);
        return refused;
    }
}
