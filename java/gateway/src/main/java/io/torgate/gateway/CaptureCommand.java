package io.torgate.gateway;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code torgate capture start|stop|status|dump ...}: packet capture on a running gateway, through its control
 * socket (no restart). The same as {@code torgate ctl capture ...}; this spelling exists because it is what an
 * operator looks for. Exit codes as {@link Ctl}'s.
 */
@Command(name = "capture", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Capture packets of a running gateway to pcapng files, through its control",
        "socket (no restart):",
        "  start [client=A.B.C.D] [flow=CLIENT:PORT-SERVER:PORT]",
        "        [dir=received,sent,dropped] [reason=R,...] [path=SUBDIR]",
        "        [prefix=NAME] [max-file=N[kmg]] [max-total=N[kmg]] [rotate=SECONDS]",
        "  stop | status",
        "  dump CLIENT [FILE]   the flight recorder's last packets of CLIENT",
        "                       ([capture] flight_recorder_packets)",
        "Files go to the [capture] directory (path= and FILE are relative to it).",
        "Dropped packets carry 'dropped: REASON' as their packet comment",
        "(tshark -e frame.comment)."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:the gateway refused (bad argument, capture already running; message on stderr)",
        "2:usage error", "3:invalid --config file", "4:the control socket cannot be reached or did not answer"})
final class CaptureCommand implements Callable<Integer> {
    @Option(names = "--socket", paramLabel = "PATH", description = "Control socket (default: from --config, else "
        + Ctl.DEFAULT_SOCKET + ").")
    Path socket;

    @Option(names = "--config", paramLabel = "FILE", description = "Read the socket path from this configuration.")
    Path config;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Parameters(arity = "1..*", paramLabel = "ARGS", description = "start ... | stop | status | dump CLIENT [FILE]")
    List<String> words;

    @Override
    public Integer call() {
        Ctl ctl = new Ctl();
        ctl.socket = socket;
        ctl.config = config;
        ctl.timeoutSeconds = timeoutSeconds;
        ctl.words = new ArrayList<>(List.of("capture"));
        ctl.words.addAll(words);
        return ctl.call();
    }
}
