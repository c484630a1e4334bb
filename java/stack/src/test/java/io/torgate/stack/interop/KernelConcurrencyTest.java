package io.torgate.stack.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.torgate.stack.TcpConfig;
import io.torgate.stack.TcpCounters;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * 200 kernel connections open at once, transfer concurrently and close cleanly; afterwards (TIME-WAIT shortened to
 * 200 ms) the flow table is empty. Half use echo (the client closes first, so our side goes through CLOSE-WAIT and
 * LAST-ACK), half use source (we close first and pass through FIN-WAIT and TIME-WAIT).
 */
class KernelConcurrencyTest {
    private static final int CONNECTIONS = 200;
    private static final long BYTES = 256 * 1024;

    @Test
    void twoHundredConcurrentConnectionsOpenTransferAndClose() throws Exception {
        TcpConfig cfg = KernelInteropTest.config().receiveBuffer(64 * 1024).sendBuffer(64 * 1024);
        try (InteropLab lab = InteropLab.start(cfg, 256, null, null)) {
            lab.within(Duration.ofSeconds(120), () -> run(lab));
        }
    }

    private static void run(InteropLab lab) throws Exception {
        // Connect all first (in the namespace, on this platform thread), so all 200 are open at the same time.
        List<SocketChannel> channels = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                channels.add(lab.connect(i % 2 == 0 ? ServiceFlow.ECHO_PORT : ServiceFlow.SOURCE_PORT));
            }
            InteropLab.await(() -> lab.server.flowCount == CONNECTIONS, 2_000);
            assertEquals(CONNECTIONS, lab.server.flowCount, "all connections open at once");
            List<Callable<Void>> jobs = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                SocketChannel ch = channels.get(i);
                long seed = 100 + i;
                jobs.add(i % 2 == 0 ? () -> echo(ch, seed) : () -> download(ch));
            }
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Future<Void> f : pool.invokeAll(jobs)) {
                    f.get();
                }
            }
        } finally {
            for (SocketChannel ch : channels) {
                ch.close();
            }
        }
        InteropLab.await(() -> lab.server.flowCount == 0, 10_000);
        lab.checkServer();
        assertEquals(0, lab.server.flowCount, "flow table empty after TIME-WAIT: " + lab.server.describe());
        assertEquals(CONNECTIONS, lab.server.accepted);
        assertEquals(CONNECTIONS, lab.server.closed);
        // Cleanly: by FIN handshakes, not by resets or given-up retransmissions.
        TcpCounters c = lab.server.counters;
        String why = lab.server.describe();
        assertEquals(0, c.get(TcpCounters.RESETS_IN), why);
        assertEquals(0, c.get(TcpCounters.RESETS_OUT), why);
        assertEquals(0, c.get(TcpCounters.RETRY_LIMIT), why);
    }

    private static Void echo(SocketChannel ch, long seed) throws Exception {
        KernelClient.Transfer[] t = KernelClient.echo(ch, BYTES, seed);
        assertEquals(BYTES, t[1].bytes());
        assertArrayEquals(t[0].sha256(), t[1].sha256());
        return null;
    }

    private static Void download(SocketChannel ch) throws Exception {
        KernelClient.Transfer t = KernelClient.download(ch, BYTES);
        assertEquals(BYTES, t.bytes());
        assertArrayEquals(PatternStream.sha256(ServiceFlow.SOURCE_SEED, BYTES), t.sha256());
        return null;
    }
}
