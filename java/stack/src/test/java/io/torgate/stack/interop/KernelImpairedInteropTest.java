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

    @Test
    void downloadOfHundredMebibytesSurvivesLossReorderDuplicationCorruption() throws Exception {
        Impairment in = netem(21);
        Impairment out = netem(22);
        try (InteropLab lab = InteropLab.start(KernelInteropTest.config(), 16, in, out)) {
            lab.within(Duration.ofSeconds(240), () -> KernelInteropTest.download(lab, 100 * MIB));
            assertImpaired(lab, in, out);
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
