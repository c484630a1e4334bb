package io.torgate.bench.tor;

import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.IsolationKeys;
import io.torgate.tor.IsolationPolicy;
import io.torgate.tor.IsolationProfile;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of choosing a profile and deriving the isolation key of one new stream (once per SYN, on a shard worker).
 * Destinations and ports cycle so nothing is cached by accident.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IsolationKeyBenchmark {
    private IsolationKeys keys;
    private IsolationPolicy policy;
    private int i;

    @Setup
    public void setup() {
        keys = new IsolationKeys(new byte[32], new ClientEpochs(), () -> 0L);
        policy = IsolationPolicy.defaults();
    }

    @Benchmark
    public IsolationKey deriveByAddress() {
        int n = i++;
        int port = 1 + (n & 1023);
        IsolationProfile p = policy.profileFor(0x0A890005 + (n & 7), port);
        return keys.derive(p, 0x0A890005 + (n & 7), null, 0xC0000200 + (n & 255), port, null);
    }

    @Benchmark
    public IsolationKey deriveByHostName() {
        int n = i++;
        return keys.derive(IsolationProfile.DEFAULT, 0x0A890005, "www.example.com", 0, 443 + (n & 7), null);
    }
}
