package io.torgate.bench.sink;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.HdrHistogram.Histogram;

/**
 * The rig's bounded load generator, run in the client namespace against {@link RigServer} (directly, through a
 * transparent gateway, or through a SOCKS5 server with {@code --socks}).
 *
 * <ul>
 *   <li>{@code crr}: each of {@code --conns} threads loops connect, one 64-byte request, 64-byte response, server
 *       close (netperf TCP_CRR style); latency of the whole exchange in an HdrHistogram.</li>
 *   <li>{@code rr}: each thread keeps one connection and loops request/response (TCP_RR style).</li>
 *   <li>{@code up} / {@code down}: one stream for {@code --seconds}, bytes counted after the warm-up.</li>
 *   <li>{@code idle}: opens {@code --conns} connections (each proven end to end by one exchange), prints
 *       {@code idle: ready}, holds them for {@code --seconds}.</li>
 * </ul>
 *
 * <p>Everything is bounded: workers stop at the deadline, and a watchdog closes any socket still blocked 3 s
 * later (counted as an error). Output: one {@code key=value} line on stdout; {@code --hist FILE} also writes the
 * latency percentile distribution (HdrHistogram format, microseconds) for the rig's plot.
 *
 * <p>Thread-safety: each worker owns its socket and histogram; totals are merged after the workers are joined.
 */
public final class RigLoad {
    private static final long GRACE_NANOS = 3_000_000_000L;

    private String mode = "crr";
    private InetSocketAddress target;
    private InetSocketAddress socks;
    private int conns = 1;
    private double seconds = 3;
    private double warmup = 0.5;
    private Path hist;
    private final AtomicLong errors = new AtomicLong();
    private AtomicReferenceArray<SocketChannel> current;
    private volatile long deadline;
    private volatile long measureFrom;

    public static void main(String[] args) throws Exception {
        RigLoad load = new RigLoad();
        load.parse(args);
        System.out.println(load.run());
        System.exit(0);
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode" -> mode = args[++i];
                case "--target" -> target = Args.endpoint(args[++i]);
                case "--socks" -> socks = Args.endpoint(args[++i]);
                case "--conns" -> conns = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--hist" -> hist = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (target == null || conns < 1 || seconds <= 0) {
            throw new IllegalArgumentException("usage: RigLoad --mode crr|rr|up|down|idle --target IP:PORT"
                + " [--socks IP:PORT] [--conns N] [--seconds S] [--warmup S] [--hist FILE]");
        }
    }

    private String run() throws Exception {
        current = new AtomicReferenceArray<>(conns);
        long now = System.nanoTime();
        measureFrom = now + (long) (warmup * 1e9);
        deadline = measureFrom + (long) (seconds * 1e9);
        if (mode.equals("idle")) {
            return new IdleHold(this).run();
        }
        Thread watchdog = Thread.ofPlatform().daemon().name("watchdog").start(this::watchdog);
        List<Thread> workers = new ArrayList<>();
        List<Histogram> histograms = new ArrayList<>();
        AtomicLong bytes = new AtomicLong();
        for (int i = 0; i < conns; i++) {
            Histogram h = new Histogram(60_000_000_000L, 3);
            histograms.add(h);
            int slot = i;
            workers.add(Thread.ofPlatform().name("load-" + i).start(() -> worker(slot, h, bytes)));
        }
        for (Thread t : workers) {
            t.join();
        }
        watchdog.interrupt();
        double elapsed = seconds;
        if (mode.equals("up") || mode.equals("down")) {
            return String.format("mode=%s bytes=%d gbps=%.3f errors=%d", mode, bytes.get(),
                bytes.get() * 8 / elapsed / 1e9, errors.get());
        }
        Histogram all = new Histogram(60_000_000_000L, 3);
        histograms.forEach(all::add);
        if (hist != null) {
            try (PrintStream out = new PrintStream(Files.newOutputStream(hist))) {
                all.outputPercentileDistribution(out, 5, 1000.0);
            }
        }
        return String.format("mode=%s conns=%d ops=%d rate=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f"
                + " max_us=%.1f errors=%d", mode, conns, all.getTotalCount(), all.getTotalCount() / elapsed,
            us(all, 50), us(all, 90), us(all, 99), us(all, 99.9), all.getMaxValue() / 1000.0, errors.get());
    }

    private static double us(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    private void worker(int slot, Histogram h, AtomicLong bytes) {
        ByteBuffer req = ByteBuffer.allocate(RigServer.MESSAGE);
        ByteBuffer resp = ByteBuffer.allocate(RigServer.MESSAGE);
        SocketChannel keep = null;
        while (System.nanoTime() < deadline) {
            try {
                switch (mode) {
                    case "crr" -> crrOnce(slot, h, req, resp);
                    case "rr" -> {
                        if (keep == null) {
                            keep = open(slot);
                        }
                        long t0 = System.nanoTime();
                        exchange(keep, req, resp, (byte) 'R');
                        record(h, t0);
                    }
                    case "up", "down" -> stream(slot, bytes);
                    default -> throw new IllegalArgumentException("unknown mode " + mode);
                }
            } catch (IOException e) {
                errors.incrementAndGet();
                Io.closeQuietly(keep);
                keep = null;
                pauseAfterError();
            }
        }
        Io.closeQuietly(keep);
    }

    private void crrOnce(int slot, Histogram h, ByteBuffer req, ByteBuffer resp) throws IOException {
        long t0 = System.nanoTime();
        try (SocketChannel c = open(slot)) {
            exchange(c, req, resp, (byte) 'C');
            resp.clear().limit(1);
            if (c.read(resp) >= 0) {
                throw new IOException("server did not close after the response");
            }
        }
        record(h, t0);
    }

    private void record(Histogram h, long t0) {
        long t1 = System.nanoTime();
        if (t0 >= measureFrom && t1 <= deadline) {
            h.recordValue(Math.min(t1 - t0, h.getHighestTrackableValue()));
        }
    }

    private static void exchange(SocketChannel c, ByteBuffer req, ByteBuffer resp, byte kind) throws IOException {
        req.clear();
        req.put(0, kind);
        Io.writeFully(c, req);
        resp.clear();
        while (resp.hasRemaining()) {
            if (c.read(resp) < 0) {
                throw new IOException("EOF before the response");
            }
        }
    }

    private void stream(int slot, AtomicLong bytes) throws IOException {
        boolean up = mode.equals("up");
        ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
        try (SocketChannel c = open(slot)) {
            Io.writeFully(c, ByteBuffer.wrap(new byte[] {(byte) (up ? 'U' : 'D')}));
            long counted = 0;
            long now;
            while ((now = System.nanoTime()) < deadline) {
                buf.clear();
                int n = up ? c.write(buf) : c.read(buf);
                if (n < 0) {
                    throw new IOException("EOF during download");
                }
                if (now >= measureFrom) {
                    counted += n;
                }
            }
            bytes.addAndGet(counted);
        }
    }

    /** Connects (through SOCKS5 when asked) and registers the socket for the watchdog. */
    SocketChannel open(int slot) throws IOException {
        SocketChannel c = SocketChannel.open();
        current.set(slot, c);
        try {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.connect(socks != null ? socks : target);
            if (socks != null) {
                Socks5Connect.connect(c, target);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            Io.closeQuietly(c);
            throw e;
        }
    }

    /** After the deadline, closes whatever a worker is still blocked on, so the run ends in bounded time. */
    private void watchdog() {
        try {
            long wait = deadline + GRACE_NANOS - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            for (int i = 0; i < current.length(); i++) {
                SocketChannel c = current.get(i);
                if (c != null && c.isOpen()) {
                    errors.incrementAndGet();
                    Io.closeQuietly(c);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A refused connection returns at once: back off a little so an error loop does not burn the CPU. */
    private static void pauseAfterError() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    int conns() {
        return conns;
    }

    long deadline() {
        return deadline;
    }

    AtomicLong errors() {
        return errors;
    }
}
