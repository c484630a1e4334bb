package io.torgate.gateway.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.dns.FakeTorSocks.Answer;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Dns;
import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * Mapped mode answers without any tor round trip: the latency distribution, from a worker handing a query over
 * ({@link DnsService#submitUdp}) to the agent passing the finished reply packet to the sink, over the real agent
 * thread. Half the queries are names never seen (a map insert and a String), half repeat a mapped name. The fake
 * tor records nothing. Prints the percentiles (recorded in bench/results/dns.md).
 */
class MappedLatencyTest {
    private static final int QUERIES = 20_000;
    private static final int CLIENT = 0x0A89000A;
    private static final int SERVER = 0x0A8B0101;

    @Test
    void mappedAnswersNeverWaitForTor() throws Exception {
        long[] sentAt = new long[QUERIES];
        Histogram latency = new Histogram(60_000_000_000L, 3);
        Semaphore answered = new Semaphore(0);
        DnsReplySink sink = new DnsReplySink() {
            @Override
            public void send(ByteBuffer packet, int offset, int length) {
                long now = System.nanoTime();
                int id = packet.getShort(offset + UdpReplies.HEADERS) & 0xFFFF;
                int rcode = packet.get(offset + UdpReplies.HEADERS + 3) & 0x0F;
                int answers = packet.getShort(offset + UdpReplies.HEADERS + 6);
                if (rcode == Dns.RCODE_NOERROR && answers == 1) {
                    latency.recordValue(now - sentAt[id]);
                }
                answered.release();
            }

            @Override
            public void flush() {
            }
        };
        DnsConfig config = DnsConfig.defaults().withMode(DnsConfig.Mode.MAPPED).withLimits(1e9, 1_000_000_000, 64)
            .withMap(65_536, null);
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis);
        try (FakeTorSocks tor = new FakeTorSocks(s -> Answer.fail(1));
             DnsService service = new DnsService(config, keys, () -> true, tor.address(), sink)) {
            service.start();
            byte[][] queries = new byte[QUERIES][];
            for (int i = 0; i < QUERIES; i++) {
                String name = i % 2 == 0 ? "host" + i + ".lab.test" : "host" + (i - 1) + ".lab.test";
                queries[i] = DnsMessages.query(i, name, Dns.TYPE_A, 1232);
            }
            for (int i = 0; i < QUERIES; i++) {
                sentAt[i & 0xFFFF] = System.nanoTime();
                assertTrue(service.submitUdp(CLIENT, 40000, SERVER, 53, ByteBuffer.wrap(queries[i]), 0,
                    queries[i].length));
                // One at a time: this is the latency of an answer, not of a queue under load.
                assertTrue(answered.tryAcquire(5, TimeUnit.SECONDS), "answer " + i);
            }
            assertEquals(0, tor.seen.size(), "no tor round trip");
            assertEquals(QUERIES, service.stats().get(DnsCounter.MAPPED_ANSWERS));
        }
        assertEquals(QUERIES, latency.getTotalCount());
        System.out.printf("mapped-mode answer latency, submit -> reply packet, %d queries (us): p50=%.1f p90=%.1f "
                + "p99=%.1f p99.9=%.1f max=%.1f%n", latency.getTotalCount(),
            latency.getValueAtPercentile(50) / 1e3, latency.getValueAtPercentile(90) / 1e3,
            latency.getValueAtPercentile(99) / 1e3, latency.getValueAtPercentile(99.9) / 1e3,
            latency.getMaxValue() / 1e3);
        // Generous bound for a shared 2-core machine; a tor round trip is tens of milliseconds.
        assertTrue(latency.getValueAtPercentile(99) < 20_000_000L, "p99 below 20 ms");
    }
}
