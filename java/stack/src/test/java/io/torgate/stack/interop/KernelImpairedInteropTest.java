package io.torgate.stack.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The kernel's TCP against ours over a TUN with an impaired path in both directions (netem's parameters: 5% loss,
 * 25% reordering with delay, 5% duplication, 1% corruption; see {@link Impairment} for why it is applied by the
 * server rather than by {@code sch_netem}): 100 MiB in each direction still arrive SHA-256-exact, and the
 * corrupted segments were really dropped by checksum on our side.
 */
class KernelImpairedInteropTest {
    private static final long MIB = KernelInteropTest.MIB;
    private static final long DELAY_NANOS = 2_000_000L;

    private static Impairment netem(long seed) {
        return new Impairment(0.05, 0.05, 0.01, 0.25, DELAY_NANOS, seed, 4096, 2048);
    }

    @Test
    void uploadOfHundredMebibytesSurvivesLossReorderDuplicationCorruption() throws Exception {
        Impairment in = netem(11);
        Impairment out = netem(12);
        try (InteropLab lab = InteropLab.start(KernelInteropTest.config(), 16, in, out)) {
            lab.within(Duration.ofSeconds(240), () -> KernelInteropTest.upload(lab, 100 * MIB, 5));
            assertImpaired(lab, in, out);
        }
    }

    /**
     * Our sender through the impaired path. {@code -Dtorgate.interop.seeds=N} repeats it with N seed pairs (each in
     * a fresh lab, each bounded; {@code -Dtorgate.interop.firstSeed=K} starts at the K-th), to show the recovery
     * never stalls; one line per seed goes to stdout.
     */
    @Test
    void downloadOfHundredMebibytesSurvivesLossReorderDuplicationCorruption() throws Exception {
        int first = Integer.getInteger("torgate.interop.firstSeed", 0);
        int seeds = Integer.getInteger("torgate.interop.seeds", 1);
        for (int i = first; i < first + seeds; i++) {
            long seed = 21 + 100L * i;
            Impairment in = netem(seed);
            Impairment out = netem(seed + 1);
            long start = System.nanoTime();
            try (InteropLab lab = InteropLab.start(KernelInteropTest.config(), 16, in, out)) {
                lab.within(Duration.ofSeconds(240), () -> KernelInteropTest.download(lab, 100 * MIB));
                assertImpaired(lab, in, out);
                System.out.printf("impaired download seed %d: %.1f s, %s%n", seed,
                    (System.nanoTime() - start) / 1e9, lab.server.recoveryCounters());
            }
        }
    }

    @Test
    void echoBothWaysAtOnceSurvivesTheSameImpairment() throws Exception {
        Impairment in = netem(31);
        Impairment out = netem(32);
        try (InteropLab lab = InteropLab.start(KernelInteropTest.config(), 16, in, out)) {
            lab.within(Duration.ofSeconds(180), () -> KernelInteropTest.echo(lab, 16 * MIB, 7));
            assertImpaired(lab, in, out);
        }
    }

    /** The path really did all four things, and corrupted inbound segments were caught by a checksum. */
    private static void assertImpaired(InteropLab lab, Impairment in, Impairment out) {
        String what = lab.server.describe() + " out[" + out + "]";
        for (Impairment i : new Impairment[] {in, out}) {
            assertTrue(i.dropped > 0 && i.duplicated > 0 && i.corrupted > 0 && i.delayed > 0, what);
        }
        long caught = lab.server.badIpv4 + lab.server.counters.wireErrors(io.torgate.wire.WireError.BAD_CHECKSUM);
        assertTrue(caught > 0, "corrupted segments were rejected by checksum: " + what);
    }
}
