package io.torgate.gateway;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The small subcommands: {@code version}, {@code lab}, {@code completion}. */
final class Tools {
    private Tools() {
    }

    /** The version of torgate and of the runtime it runs on. */
    @Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version and the runtime.")
    static final class Version implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println(Main.VERSION);
            System.out.println("java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
            return 0;
        }
    }

    /**
     * Runs the lab of the source checkout (test-vms/lab.sh: client VMs as network namespaces, a private Tor
     * network, torgate as the gateway). Found at $TORGATE_LAB, else in a test-vms/ above the jar or the current
     * directory; the .deb does not ship it.
     */
    @Command(name = "lab", mixinStandardHelpOptions = true,
        description = {"Run the lab of a torgate checkout (test-vms/lab.sh): up [--clients N] | down | status | "
            + "exec CLIENT CMD... | gateway start|stop (see test-vms/README.md).",
            "Found at $TORGATE_LAB, else as test-vms/lab.sh above the jar or the working directory. Needs root."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:lab.sh succeeded", "4:the lab is not installed (not a checkout)",
            "other:lab.sh's own exit code"})
    static final class Lab implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "ARG", description = "Arguments for lab.sh (default: status).")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws IOException, InterruptedException {
            Path lab = find();
            if (lab == null) {
                System.err.println("""
                    torgate lab: the lab is not installed here. It is test-vms/lab.sh of a torgate source checkout \
                    (it is not part of the .deb): run this from inside a checkout, or set \
                    TORGATE_LAB=/path/to/torgate/test-vms/lab.sh.""");
                return Main.EXIT_UNAVAILABLE;
            }
            List<String> cmd = new ArrayList<>(List.of("bash", lab.toString()));
            cmd.addAll(args.isEmpty() ? List.of("status") : args);
            return new ProcessBuilder(cmd).inheritIO().start().waitFor();
        }

        static Path find() {
            String env = System.getenv("TORGATE_LAB");
            if (env != null && !env.isEmpty()) {
                Path p = Path.of(env);
                return Files.isRegularFile(p) ? p : null;
            }
            Path found = search(Path.of("").toAbsolutePath());
            if (found == null) {
                try {
                    found = search(Path.of(Tools.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
                } catch (URISyntaxException | RuntimeException e) {
                    return null;
                }
            }
            return found;
        }

        /** test-vms/lab.sh in {@code from} or one of its parents. */
        static Path search(Path from) {
            for (Path d = from; d != null; d = d.getParent()) {
                Path lab = d.resolve("test-vms").resolve("lab.sh");
                if (Files.isRegularFile(lab)) {
                    return lab;
                }
            }
            return null;
        }
    }

    /** Prints a completion script: {@code source <(torgate completion bash)} (bash; zsh with bashcompinit). */
    @Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script for torgate.",
            "bash: source <(torgate completion bash), or save it as /etc/bash_completion.d/torgate.",
            "zsh: autoload -U +X bashcompinit && bashcompinit, then the same."})
    static final class Completion implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", defaultValue = "bash", paramLabel = "SHELL",
            description = "bash (default) or zsh.")
        String shell;

        @Override
        public Integer call() {
            if (!"bash".equals(shell) && !"zsh".equals(shell)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "SHELL must be bash or zsh");
            }
            System.out.print(AutoComplete.bash("torgate", spec.root().commandLine()));
            return 0;
        }
    }
}
