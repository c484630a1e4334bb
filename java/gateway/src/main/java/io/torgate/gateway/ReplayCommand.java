package io.torgate.gateway;

import io.torgate.gateway.capture.Replay;
import io.torgate.gateway.capture.ReplayOptions;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.ConfigException;
import io.torgate.gateway.config.ConfigLoader;
import io.torgate.gateway.config.GatewayConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code torgate replay FILE}: a capture (pcap or pcapng, from tcpdump, Wireshark or {@code torgate capture})
 * through the classifier and the TCP stack offline, with a virtual clock and a fake SOCKS upstream; prints each
 * flow's state transitions and each drop with its reason. Deterministic: the same file prints the same lines.
 * Exit codes: 0 replayed, 1 unreadable capture, 3 invalid configuration.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Replay a pcap/pcapng capture offline through the classifier and the TCP stack (deterministic).")
final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "The capture (.pcap or .pcapng).")
    Path file;

    @Option(names = "--config", description = "Take client ranges, gateway addresses, served ports, DNS and the "
        + "clients' firewalls from this configuration (otherwise Qubes' 10.137.0.0/16 and 10.138.0.0/16, no gateway "
        + "address, no DNS, no firewall).")
    Path config;

    @Option(names = "--clients", split = ",", paramLabel = "CIDR",
        description = "Client ranges (overrides --config), e.g. 10.99.0.0/24.")
    List<String> clients;

    @Option(names = "--gateway", split = ",", paramLabel = "ADDRESS",
        description = "The gateway's own addresses (overrides --config).")
    List<String> gateway;

    @Option(names = "--dns", negatable = true, description = "The captured gateway answered DNS (default: from "
        + "--config, else off: queries count as dns_unserved).")
    Boolean dns;

    @Option(names = "--upstream", defaultValue = "accept", paramLabel = "accept|refuse",
        description = "What the fake SOCKS upstream answers to every CONNECT (default: ${DEFAULT-VALUE}).")
    String upstream;

    @Option(names = "--drain", defaultValue = "120", paramLabel = "SECONDS",
        description = "Virtual time run after the last packet so timers play out (default: ${DEFAULT-VALUE}).")
    long drainSeconds;

    @Override
    public Integer call() {
        ReplayOptions o = ReplayOptions.defaults();
        if (config != null) {
            try {
                GatewayConfig c = ConfigLoader.load(config);
                o = o.withClients(c.network().clientRanges()).withGateway(c.network().gatewayAddresses())
                    .withServedPorts(c.network().servedTcpPorts()).withDns(c.dns().enabled()).withPolicy(c.policy());
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return Main.EXIT_CONFIG;
            }
        }
        try {
            if (clients != null) {
                o = o.withClients(clients.stream().map(Cidr::parse).toList());
            }
            if (dns != null) {
                o = o.withDns(dns);
            }
            if (gateway != null) {
                o = o.withGateway(gateway.stream().map(Cidr::parseAddress).toList());
            }
            o = o.withUpstream(switch (upstream) {
                case "accept" -> ReplayOptions.Upstream.ACCEPT;
                case "refuse" -> ReplayOptions.Upstream.REFUSE;
                default -> throw new IllegalArgumentException("--upstream must be accept or refuse");
            });
            if (drainSeconds < 0) {
                throw new IllegalArgumentException("--drain must not be negative");
            }
            o = o.withDrainNanos(Math.multiplyExact(drainSeconds, 1_000_000_000L));
        } catch (IllegalArgumentException | ArithmeticException e) {
            System.err.println("torgate replay: " + e.getMessage());
            return 2;
        }
        return Replay.run(file, System.out, o);
    }
}
