package io.torgate.bench.stack;

import io.torgate.stack.FlowTable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Flow lookup per segment: {@code get} of a present 4-tuple (cycling through all flows so caches see a realistic
 * spread) and of an absent one (a SYN for a new flow), with the table at its configured fill.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FlowTableBenchmark {
    private static final int SERVER = 0xC0A80001;

    @Param({"1000", "50000"})
    public int flows;

    private FlowTable<Object> table;
    private int[] clients;
    private int[] ports;
    private int next;

    @Setup
    public void setUp() {
        table = new FlowTable<>(flows, 42);
        clients = new int[flows];
        ports = new int[flows];
        for (int i = 0; i < flows; i++) {
            clients[i] = 0x0A000000 | (i % 250 + 2);
            ports[i] = 32768 + i / 250;
            table.put(clients[i], ports[i], SERVER, 443, Integer.valueOf(i));
        }
    }

    @Benchmark
    public Object getHit() {
        if (++next == flows) {
            next = 0;
        }
        return table.get(clients[next], ports[next], SERVER, 443);
    }

    @Benchmark
    public Object getMiss() {
        if (++next == flows) {
            next = 0;
        }
        return table.get(clients[next], ports[next], SERVER, 80);
    }
}
