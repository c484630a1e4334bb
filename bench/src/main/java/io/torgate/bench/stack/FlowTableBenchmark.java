package io.torgate.bench.stack;

import io.torgate.stack.FlowTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Flow lookup per segment: {@code get} of a present 4-tuple (cycling through all flows so caches see a realistic
 * spread) and of an absent one (a SYN for a new flow), with the table at its configured fill.
 */
public class FlowTableBenchmark extends StackBenchmarkDefaults {
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
