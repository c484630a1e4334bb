package io.torgate.gateway;

import io.torgate.gateway.config.ConfigException;
import io.torgate.gateway.config.ConfigLoader;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.control.ControlReply;
import io.torgate.gateway.control.CtlClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code torgate ctl COMMAND [ARG...] [--json]}: one request to a running gateway's control socket, the output on
 * stdout, an error on stderr. The socket is {@code --socket}, else the {@code [control] socket} of
 * {@code --config}, else {@value #DEFAULT_SOCKET}.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Ask a running gateway through its control socket.",
        "Commands: status, clients, streams, kill STREAM, newnym CLIENT, reload, metrics, help (and what other "
            + "modules register, e.g. capture)."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the command succeeded", "1:the gateway answered with an error (the message is on stderr)",
        "2:usage error", "3:invalid --config file", "4:the control socket cannot be reached (not running, no "
            + "permission) or did not answer in time"})
final class Ctl implements Callable<Integer> {
    static final String DEFAULT_SOCKET = "/run/torgate/control.sock";

    @Option(names = "--socket", paramLabel = "PATH", description = "Control socket (default: from --config, else "
        + DEFAULT_SOCKET + ").")
    Path socket;

    @Option(names = "--config", paramLabel = "FILE", description = "Read the socket path from this configuration.")
    Path config;

    @Option(names = "--json", description = "Machine-readable output (JSON).")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments.")
    List<String> words;

    @Override
    public Integer call() {
        Path path = socket;
        if (path == null && config != null) {
            try {
                GatewayConfig c = ConfigLoader.load(config);
                if (!c.control().enabled()) {
                    System.err.println(config + ": no [control] socket configured");
                    return Main.EXIT_CONFIG;
                }
                path = c.control().socket();
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return Main.EXIT_CONFIG;
            }
        }
        if (path == null) {
            path = Path.of(DEFAULT_SOCKET);
        }
        String request = String.join(" ", words) + (json ? " --json" : "");
        ControlReply reply;
        try {
            reply = CtlClient.send(path, request, timeoutSeconds * 1000L);
        } catch (IOException e) {
            System.err.println("torgate ctl: " + path + ": " + e.getMessage());
            return Main.EXIT_UNAVAILABLE;
        }
        if (!reply.ok()) {
            System.err.println("torgate ctl: " + reply.message());
            System.err.print(reply.body()); // details, e.g. every validation error of a refused reload
            return 1;
        }
        System.out.print(reply.body());
        System.out.flush();
        return 0;
    }
}
