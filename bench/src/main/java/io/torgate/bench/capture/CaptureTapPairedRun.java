package io.torgate.bench.capture;

import java.util.Arrays;

/**
 * A noise-robust complement to {@link CaptureTapBenchmark} for a shared, loaded machine: the same two loops (the
 * benchmark's own methods) measured in alternating rounds in one JVM, so slow changes in background load hit both
 * alike, and the per-round difference is summarised by its median. Prints ns per packet.
 * Run: {@code java -cp bench/target/benchmarks.jar io.torgate.bench.capture.CaptureTapPairedRun [mode] [rounds]}.
 */
public final class CaptureTapPairedRun {
    private static final long ROUND_NANOS = 2_000_000L;
    private static volatile int sink;

    private CaptureTapPairedRun() {
    }

    public static void main(String[] args) throws Exception {
        CaptureTapBenchmark b = new CaptureTapBenchmark();
        b.mode = args.length > 0 ? args[0] : "off";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        b.setUp();
        try {
            for (int i = 0; i < rounds / 4; i++) { // warm-up: both loops reach C2 before anything is kept
                time(b, true);
                time(b, false);
            }
            double[] base = new double[rounds];
            double[] tap = new double[rounds];
            double[] diff = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                boolean baseFirst = (i & 1) == 0; // alternate the order too
                base[i] = baseFirst ? time(b, true) : 0;
                tap[i] = time(b, false);
                if (!baseFirst) {
                    base[i] = time(b, true);
                }
                diff[i] = tap[i] - base[i];
            }
            System.out.printf("mode=%s rounds=%d ns/packet: baseline median %.2f min %.2f | tap median %.2f min %.2f"
                    + " | paired difference median %.2f (p25 %.2f, p75 %.2f)%n", b.mode, rounds, median(base),
                min(base), median(tap), min(tap), median(diff), quantile(diff, 0.25), quantile(diff, 0.75));
        } finally {
            b.tearDown();
        }
    }

    /** Runs one loop for about {@link #ROUND_NANOS}; returns ns per packet. */
    private static double time(CaptureTapBenchmark b, boolean baseline) {
        int acc = 0;
        long calls = 0;
        long start = System.nanoTime();
        long end;
        do {
            for (int i = 0; i < 64; i++) {
                acc += baseline ? b.baseline() : b.tap();
            }
            calls += 64;
            end = System.nanoTime();
        } while (end - start < ROUND_NANOS);
        sink += acc;
        return (double) (end - start) / (calls * CaptureTapBenchmark.BATCH);
    }

    private static double median(double[] v) {
        return quantile(v, 0.5);
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
