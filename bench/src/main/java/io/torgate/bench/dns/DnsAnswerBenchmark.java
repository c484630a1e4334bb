package io.torgate.bench.dns;

import io.torgate.gateway.dns.DnsConfig;
import io.torgate.gateway.dns.InlineDns;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Dns;
import io.torgate.wire.DnsName;
import java.nio.ByteBuffer;
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
 * Cost of answering a DNS query on the agent thread, without the hand-over: a resolve-mode cache hit and a
 * mapped-mode answer for a name already mapped, each from query bytes to response bytes (parse, rate limit,
 * canonical name + hash, table lookup, LRU touch, response with question copy and OPT). Run with {@code -prof gc}
 * to see that neither allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DnsAnswerBenchmark {
    private static final int CLIENT = 0x0A89000A;

    private InlineDns resolve;
    private InlineDns mapped;
    private ByteBuffer query;
    private int queryLength;
    private final ByteBuffer out = ByteBuffer.allocate(2048);

    @Setup
    public void setUp() {
        // Limits out of the way: the benchmark measures answering, not the token bucket refusing.
        DnsConfig base = DnsConfig.defaults().withLimits(1e15, Integer.MAX_VALUE, 64);
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis);
        resolve = new InlineDns(base, keys, () -> true, name -> 0xCB00710AL);
        mapped = new InlineDns(base.withMode(DnsConfig.Mode.MAPPED), keys, () -> true, name -> -1);
        query = ByteBuffer.allocate(512);
        query.putShort(0, (short) 0x1234).putShort(2, (short) 0x0100).putShort(4, (short) 1);
        int p = DnsName.write(query, Dns.HEADER_LENGTH, 512, "www.example-web-site.lab.test");
        query.putShort(p, (short) Dns.TYPE_A).putShort(p + 2, (short) Dns.CLASS_IN);
        // EDNS(0) OPT with a 1232-byte payload size, as dig and systemd-resolved send.
        query.putShort(10, (short) 1).put(p + 4, (byte) 0).putShort(p + 5, (short) Dns.TYPE_OPT)
            .putShort(p + 7, (short) 1232).putInt(p + 9, 0).putShort(p + 13, (short) 0);
        queryLength = p + 15;
        long now = System.nanoTime();
        if (resolve.answer(CLIENT, query, 0, queryLength, out, 0, now) == 0
            || mapped.answer(CLIENT, query, 0, queryLength, out, 0, now) == 0) {
            throw new IllegalStateException("warm-up query was not answered");
        }
    }

    @Benchmark
    public int cacheHit() {
        return resolve.answer(CLIENT, query, 0, queryLength, out, 0, System.nanoTime());
    }

    @Benchmark
    public int mappedAnswer() {
        return mapped.answer(CLIENT, query, 0, queryLength, out, 0, System.nanoTime());
    }
}
