package io.torgate.gateway.capture;

import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.control.ControlException;
import io.torgate.gateway.control.ControlReply;
import io.torgate.gateway.control.ControlServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the control socket's {@code capture start|stop|dump|status} commands call: starts and stops a
 * {@link PcapCapture} behind the pipeline's {@link CaptureSwitch} (no restart) alongside the always-on
 * {@link FlightRecorder}, and dumps a client's recent packets. Every method returns the one-line answer for the
 * control client; bad arguments throw {@link IllegalArgumentException} with a message meant for that client.
 *
 * <p>Arguments of {@code start}: the {@link CaptureFilter#parse filter words} plus {@code path=DIRECTORY},
 * {@code prefix=NAME}, {@code max-file=BYTES}, {@code max-total=BYTES} (suffixes k, m, g) and
 * {@code rotate=SECONDS}, e.g. {@code capture start client=10.137.0.5 dir=dropped path=case42 max-total=100m}.
 * Paths ({@code path=}, the FILE of {@code dump}) are taken relative to the capture directory and must stay inside
 * it (the gateway writes as root: a control client must not choose where else).
 *
 * <p>Thread-safety: methods are synchronized (control commands are rare); the packet threads only ever see the
 * switch.
 */
public final class CaptureControl implements AutoCloseable {
    private final CaptureSwitch tap;
    private final FlightRecorder recorder;
    private final CaptureOptions defaults;
    private PcapCapture running;
    private int dumps;

    /**
     * @param tap the switch the pipeline calls
     * @param recorder the flight recorder to keep attached, or null for none
     * @param defaultDirectory where captures go without {@code path=}
     */
    public CaptureControl(CaptureSwitch tap, FlightRecorder recorder, Path defaultDirectory) {
        this(tap, recorder, CaptureOptions.defaults(defaultDirectory, "torgate", CaptureFilter.ALL));
    }

    /**
     * @param tap the switch the pipeline calls
     * @param recorder the flight recorder to keep attached, or null for none
     * @param defaults directory, prefix and sizes of a capture whose {@code start} does not override them
     */
    public CaptureControl(CaptureSwitch tap, FlightRecorder recorder, CaptureOptions defaults) {
        this.tap = tap;
        this.recorder = recorder;
        this.defaults = defaults;
        tap.attach(recorder);
    }

    /**
     * One control-socket command line after the word {@code capture}: {@code start ARGS}, {@code stop},
     * {@code status} or {@code dump CLIENT [FILE]} (without FILE: {@code DIRECTORY/dump-CLIENT-EPOCHSECONDS-N.pcapng}).
     *
     * @return the answer line
     * @throws IllegalArgumentException for an unknown subcommand or bad arguments (the message says which)
     * @throws IOException when a capture file cannot be created
     */
    public String command(String line) throws IOException {
        String[] words = line.trim().split("\\s+", 2);
        String rest = words.length > 1 ? words[1] : "";
        return switch (words[0]) {
            case "start" -> start(rest);
            case "stop" -> stop();
            case "status" -> status();
            case "dump" -> dump(rest);
            default -> throw new IllegalArgumentException("usage: capture start [FILTERS] [path=DIR] [prefix=NAME] "
                + "[max-file=N] [max-total=N] [rotate=SECONDS] | stop | status | dump CLIENT [FILE]");
        };
    }

    private String dump(String args) throws IOException {
        String[] w = args.trim().split("\\s+");
        if (w[0].isEmpty() || w.length > 2) {
            throw new IllegalArgumentException("usage: capture dump CLIENT [FILE]");
        }
        Path file;
        if (w.length == 2) {
            file = inside(w[1]);
            Files.createDirectories(file.getParent());
        } else {
            Files.createDirectories(defaults.directory());
            synchronized (this) {
                file = defaults.directory().resolve("dump-" + w[0] + "-" + System.currentTimeMillis() / 1000 + "-"
                    + (++dumps) + ".pcapng");
            }
        }
        return dump(w[0], file);
    }

    /** The usage line the control socket's {@code help} shows. */
    public static final String USAGE = "capture start [client=A.B.C.D] [flow=A:P-B:Q] [dir=received,sent,dropped] "
        + "[reason=R,...] [path=SUBDIR] [prefix=NAME] [max-file=N[kmg]] [max-total=N[kmg]] [rotate=SECONDS] "
        + "| stop | status | dump CLIENT [FILE]: pcapng capture while running, drop reasons as packet comments";

    /**
     * Adds {@code capture ...} to the control socket: the arguments go to {@link #command}; a bad argument or a file
     * that cannot be written is the operator's error ({@code error MESSAGE}, exit code 1 in {@code torgate ctl}).
     */
    public void register(ControlServer server) {
        server.register("capture", USAGE, request -> {
            try {
                return ControlReply.ok(command(String.join(" ", request.args())) + "\n");
            } catch (IllegalArgumentException | IOException e) {
                throw new ControlException(e.getMessage());
            }
        });
    }

    /** {@code capture start ARGS}: starts a capture (an error if one runs). */
    public synchronized String start(String args) throws IOException {
        if (running != null) {
            throw new IllegalArgumentException("a capture is already running in " + running.directory());
        }
        CaptureOptions o = options(args);
        running = new PcapCapture(o);
        tap.attach(recorder == null ? running : new TeeTap(recorder, running));
        return "capturing to " + o.directory().resolve(o.prefix() + "-*.pcapng");
    }

    /** {@code capture stop}: detaches and closes the running capture, writing what it buffered. */
    public synchronized String stop() {
        if (running == null) {
            return "no capture running";
        }
        tap.attach(recorder);
        PcapCapture c = running;
        running = null;
        c.close();
        return String.format("stopped: %d packets written, %d lost (ring full), %d write errors, %d files deleted, "
            + "%d cut short", c.written(), c.lost(), c.writeErrors(), c.filesDeleted(), c.cut());
    }

    /** {@code capture dump CLIENT PATH}: the client's recent packets into a pcapng file. */
    public String dump(String client, Path path) throws IOException {
        if (recorder == null) {
            throw new IllegalArgumentException("the flight recorder is off");
        }
        int n = recorder.dump(Cidr.parseAddress(client), path);
        return "dumped " + n + " packets of " + client + " to " + path;
    }

    /** {@code capture status}. */
    public synchronized String status() {
        String rec = recorder == null ? "recorder off" : "recorder: " + recorder.clients().length + " clients";
        if (running == null) {
            return "no capture running; " + rec;
        }
        return String.format("capturing to %s: %d written, %d lost; %s", running.directory(), running.written(),
            running.lost(), rec);
    }

    @Override
    public synchronized void close() {
        stop();
        tap.detach();
    }

    private CaptureOptions options(String args) {
        CaptureOptions d = defaults;
        Path dir = d.directory();
        String prefix = d.prefix();
        long maxFile = d.maxFileBytes();
        long maxTotal = d.maxTotalBytes();
        long rotate = d.maxFileNanos();
        List<String> filterWords = new ArrayList<>();
        for (String word : args.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            String key = eq < 0 ? word : word.substring(0, eq);
            String value = eq < 0 ? "" : word.substring(eq + 1);
            switch (key) {
                case "" -> { }
                case "path" -> dir = inside(value);
                case "prefix" -> prefix = value;
                case "max-file" -> maxFile = bytes(value);
                case "max-total" -> maxTotal = bytes(value);
                case "rotate" -> rotate = Math.multiplyExact(Long.parseLong(value), 1_000_000_000L);
                default -> filterWords.add(word);
            }
        }
        return new CaptureOptions(dir, prefix, CaptureFilter.parse(String.join(" ", filterWords)), maxFile, rotate,
            maxTotal, d.ringSlots(), d.snapLength());
    }

    /**
     * A path named by a control client, resolved against the capture directory and required to stay inside it: the
     * gateway writes as root, and the socket's group must not be able to make it overwrite files elsewhere.
     */
    private Path inside(String name) {
        Path home = defaults.directory().toAbsolutePath().normalize();
        Path p = home.resolve(name).normalize();
        if (name.isEmpty() || !p.startsWith(home)) {
            throw new IllegalArgumentException("'" + name + "' is outside the capture directory " + home);
        }
        return p;
    }

    private static long bytes(String value) {
        String v = value.toLowerCase(Locale.ROOT);
        int shift = switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        long n = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1));
        return Math.multiplyExact(n, 1L << shift);
    }
}
