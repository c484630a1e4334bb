package io.torgate.gateway;

import io.torgate.gateway.config.ConfigException;
import io.torgate.gateway.config.ConfigLoader;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.control.ControlReply;
import io.torgate.gateway.control.Json;
import io.torgate.gateway.relay.HostnameResolver;
import io.torgate.tor.TorConfigException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code torgate} command line: {@code run}, {@code check-config}, {@code ctl}, {@code lab}, {@code capture}
 * ({@link CaptureCommand}), {@code replay} ({@link ReplayCommand}), {@code version}, {@code completion}. Exit codes,
 * the same for every subcommand: 0 success, 1 runtime failure (or the gateway answered a ctl command with an
 * error), 2 usage error, 3 invalid configuration, 4 something needed is unavailable (the control socket, the lab).
 */
@Command(name = "torgate", mixinStandardHelpOptions = true, version = Main.VERSION,
    description = "Transparent Tor gateway: TUN -> userspace TCP -> SOCKS5 to Tor.",
    subcommands = {Main.Run.class, Main.CheckConfig.class, Ctl.class, Tools.Lab.class, CaptureCommand.class,
        ReplayCommand.class, Tools.Version.class, Tools.Completion.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:runtime failure, or the gateway answered a ctl command with an error",
        "2:usage error", "3:invalid configuration", "4:unavailable: the control socket or the lab cannot be reached"})
public final class Main {
    static final String VERSION = "torgate 0.1.0";
    static final int EXIT_RUNTIME = 1;
    static final int EXIT_CONFIG = 3;
    static final int EXIT_UNAVAILABLE = 4;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with every subcommand (also what the completion script is generated from). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // lab passes its arguments (--clients 2 ...) to lab.sh untouched.
        cl.getSubcommands().get("lab").setUnmatchedOptionsArePositionalParams(true);
        return cl;
    }

    /**
     * Starts the gateway and runs until SIGTERM/SIGINT, then shuts down cleanly. When the packet path stops on its
     * own (the TUN reader or a shard worker died, e.g. the TUN was deleted) it logs the cause and exits
     * {@value #EXIT_RUNTIME}: a gateway that no longer reads would otherwise stay up and silent, and outside
     * systemd's watchdog nothing would restart it. The clients stay failed closed meanwhile (no reader, no path).
     */
    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the gateway.")
    static final class Run implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "TOML configuration file.")
        Path config;

        @Option(names = "--log-level", defaultValue = "INFO",
            description = "java.util.logging level for io.torgate (FINE shows per-flow decisions).")
        String logLevel;

        @Override
        public Integer call() throws Exception {
            GatewayConfig c;
            try {
                c = ConfigLoader.load(config);
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return EXIT_CONFIG;
            }
            configureLogging(Level.parse(logLevel));
            // Before the (slow) start: the JVM's own SIGHUP action would end the process.
            AtomicReference<Gateway> running = new AtomicReference<>();
            onSighupReload(running, config);
            Gateway gateway;
            try {
                gateway = Gateway.start(c, HostnameResolver.NONE);
            } catch (TorConfigException e) {
                // A bad extra torrc is a configuration error: show tor's own message, not a stack trace.
                System.err.println(e.getMessage());
                return EXIT_CONFIG;
            }
            // Type=notify under systemd (deploy/systemd/torgate.service); does nothing without $NOTIFY_SOCKET.
            SystemdNotify sd = SystemdNotify.fromEnvironment();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("torgate-shutdown").unstarted(() -> {
                sd.stopping();
                gateway.close();
                sd.close();
                stopped.countDown();
            }));
            running.set(gateway);
            registerReload(gateway, config);
            System.out.println("torgate: running on " + gateway.tun().name());
            sd.ready("running on " + gateway.tun().name());
            sd.startWatchdog(gateway.pipeline()::healthy);
            CompletableFuture<String> died = gateway.pipeline().failure();
            died.thenRun(stopped::countDown);
            stopped.await();
            String cause = died.getNow(null);
            if (cause != null) {
                // Returning makes main() call System.exit, whose shutdown hook closes the gateway as for SIGTERM.
                System.err.println("torgate: exiting: the packet path stopped (" + cause + ")");
                return EXIT_RUNTIME;
            }
            return 0;
        }
    }

    /**
     * SIGHUP reloads {@code file} ({@link Gateway#reload(Path)}) on its own thread. A file that fails validation
     * changes nothing: the errors (file:line:column: key: message) are logged and the running configuration stays.
     * A SIGHUP before the gateway runs is logged and ignored (installed early so it never ends the process).
     */
    static void onSighupReload(AtomicReference<Gateway> gateway, Path file) {
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> Thread.ofPlatform().name("torgate-reload")
            .start(() -> reload(gateway.get(), file)));
    }

    /**
     * {@code torgate ctl reload} on the control socket (when configured): the same reload as SIGHUP, with the
     * outcome as the answer; a file that fails validation changes nothing and every error (file:line:column: key:
     * message) is sent back.
     */
    static void registerReload(Gateway gateway, Path file) {
        if (gateway.control() == null) {
            return;
        }
        gateway.control().register("reload", "reload: re-read " + file + " like SIGHUP (new rules for new flows at "
            + "once; flows the new firewall denies are reset); a file that fails validation changes nothing", r -> {
                ReloadResult result;
                try {
                    result = gateway.reload(file);
                } catch (ConfigException e) {
                    return new ControlReply(false, "reload of " + file + " refused (" + e.errors().size()
                        + " error(s)); the running configuration stays", String.join("\n", e.errors()) + "\n");
                }
                if (!r.json()) {
                    return ControlReply.ok(result + "\n");
                }
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("applied", result.applied());
                j.put("needs_restart", result.needsRestart());
                j.put("flows_reset", result.flowsReset());
                return ControlReply.ok(Json.write(j));
            });
    }

    /** Reloads and logs the outcome; never throws. */
    static void reload(Gateway gateway, Path file) {
        java.lang.System.Logger log = System.getLogger(Main.class.getName());
        if (gateway == null) {
            log.log(java.lang.System.Logger.Level.WARNING, "SIGHUP while starting: ignored (send it again once "
                + "running)");
            return;
        }
        try {
            gateway.reload(file);
        } catch (ConfigException e) {
            log.log(java.lang.System.Logger.Level.WARNING, "reload of {0} refused, the running configuration stays:"
                + "\n{1}", file, e.getMessage());
        } catch (RuntimeException e) {
            log.log(java.lang.System.Logger.Level.ERROR, "reload of " + file + " failed", e);
        }
    }

    /** Validates a configuration file and prints every error. */
    @Command(name = "check-config", mixinStandardHelpOptions = true, description = "Validate a configuration.")
    static final class CheckConfig implements Callable<Integer> {
        @Parameters(index = "0", description = "TOML configuration file.")
        Path config;

        @Override
        public Integer call() {
            try {
                ConfigLoader.load(config);
                System.out.println(config + ": ok");
                return 0;
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return EXIT_CONFIG;
            }
        }
    }

    /** Routes System.Logger (backed by java.util.logging) for io.torgate to stderr at the given level. */
    static void configureLogging(Level level) {
        Logger torgate = Logger.getLogger("io.torgate");
        torgate.setLevel(level);
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(level);
        torgate.addHandler(handler);
        torgate.setUseParentHandlers(false);
    }
}
