package io.torgate.gateway.pipeline;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.capture.CaptureTap;
import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.config.IdleKind;
import io.torgate.gateway.config.TunReaderKind;
import io.torgate.gateway.testing.FakeTun;
import io.torgate.gateway.testing.Packets;
import io.torgate.tun.TunDevice;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The multi-queue dispatch of {@link Pipeline} over in-memory queues (the real-TUN counterpart, with the kernel's
 * flow steering, is {@code MultiQueueLabTest}): one reader and ring per queue, every packet handled by the worker
 * its flow hash names whichever queue it arrived on, worker {@code w} writing on queue {@code w % queues}, and the
 * misqueued counter counting exactly the TCP packets that arrived on another queue than their worker's.
 */
class MultiQueuePipelineTest {
    private static final String CLIENT = "10.137.0.5";
    private static final String REMOTE = "93.184.216.34";
    private static final int WORKERS = 3;
    private static final int QUEUES = 2;

    /** Records which shard saw each source port, and echoes every packet on its worker's transmit queue. */
    static final class Echo implements ShardHandler {
        final Map<Integer, Integer> shardOfPort;
        final AtomicInteger handled;
        WorkerContext context;

        Echo(Map<Integer, Integer> shardOfPort, AtomicInteger handled) {
            this.shardOfPort = shardOfPort;
            this.handled = handled;
        }

        @Override
        public void start(WorkerContext context) {
            this.context = context;
        }

        @Override
        public void onPacket(PacketEvent event, ByteBuffer buf, long nowNanos) {
            Integer before = shardOfPort.putIfAbsent(event.sourcePort, context.shard());
            if (before != null && before != context.shard()) {
                throw new AssertionError("port " + event.sourcePort + " seen by shards " + before + " and "
                    + context.shard());
            }
            TxQueue tx = context.tx();
            int off = tx.claim();
            for (int i = 0; i < event.ipLength; i++) {
                tx.buffer().put(off + i, buf.get(event.ipOffset + i));
            }
            tx.commit(event.ipLength);
            handled.incrementAndGet();
        }
    }

    private static PacketClassifier classifier() {
        return new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")), List.of(ip("10.139.1.1")), List.of(),
            DropPolicy.dropAll());
    }

    @ParameterizedTest
    @EnumSource(TunReaderKind.class)
    void everyPacketReachesItsFlowsWorkerFromAnyQueueAndEchoesOnThatWorkersQueue(TunReaderKind reader) throws Exception {
        FakeTun[] tuns = {new FakeTun(1500), new FakeTun(1500)};
        Map<Integer, Integer> shardOfPort = new ConcurrentHashMap<>();
        AtomicInteger handled = new AtomicInteger();
        int flows = 40;
        int perFlow = 25;
        int[] expectedPerQueue = new int[QUEUES];
        try (Pipeline p = new Pipeline(List.<TunDevice>of(tuns[0], tuns[1]),
            new GatewayConfig.Pipeline(WORKERS, 64, 8, IdleKind.BLOCK, reader), classifier(),
            i -> new Echo(shardOfPort, handled), CaptureTap.NONE)) {
            assertEquals(reader == TunReaderKind.WORKER, p.workersReadTun());
            p.start();
            assertEquals(QUEUES, p.queues());
            for (int i = 0; i < flows * perFlow; i++) {
                int flow = i % flows;
                int queue = (i / flows + flow) % QUEUES; // each flow's packets arrive on both queues
                expectedPerQueue[queue]++;
                tuns[queue].inject(Packets.syn(CLIENT, 20000 + flow, REMOTE, 443));
                if (i % 101 == 0) {
                    Thread.sleep(1); // let workers sleep and be woken by either reader
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (handled.get() < flows * perFlow && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertEquals(flows * perFlow, handled.get(), "every packet handled once");
            assertEquals(flows, shardOfPort.size());
            assertEquals(expectedPerQueue[0], p.packetsIn(0));
            assertEquals(expectedPerQueue[1], p.packetsIn(1));
            assertEquals(flows * perFlow, p.packetsIn());
            // Worker w writes on queue w % 2: queue 0 carries shards 0 and 2, queue 1 shard 1.
            int[] echoed = new int[QUEUES];
            for (int q = 0; q < QUEUES; q++) {
                for (byte[] packet : tuns[q].drainWritten()) {
                    int port = ByteBuffer.wrap(packet).getShort(20) & 0xFFFF;
                    int shard = shardOfPort.get(port);
                    assertEquals(shard % QUEUES, q, "port " + port + " of shard " + shard + " echoed on queue " + q);
                    echoed[q]++;
                }
            }
            assertEquals(flows * perFlow, echoed[0] + echoed[1]);
            assertTrue(echoed[0] > 0 && echoed[1] > 0, "both queues written: " + echoed[0] + " + " + echoed[1]);
            // Half of each flow's packets were injected on the queue its worker does not write on.
            long misqueued = 0;
            for (int i = 0; i < flows * perFlow; i++) {
                int flow = i % flows;
                int queue = (i / flows + flow) % QUEUES;
                misqueued += shardOfPort.get(20000 + flow) % QUEUES != queue ? 1 : 0;
            }
            assertEquals(misqueued, p.misqueued(), "misqueued counts packets on another worker's queue");
            assertTrue(misqueued > 0);
        }
    }

    @Test
    void eachQueueHasItsOwnClassifierCounters() throws Exception {
        FakeTun[] tuns = {new FakeTun(1500), new FakeTun(1500)};
        try (Pipeline p = new Pipeline(List.<TunDevice>of(tuns[0], tuns[1]),
            new GatewayConfig.Pipeline(2, 64, 8, IdleKind.BLOCK), classifier(), i -> new Echo(
                new ConcurrentHashMap<>(), new AtomicInteger()), CaptureTap.NONE)) {
            p.start();
            tuns[0].inject(Packets.ping(CLIENT, REMOTE));
            tuns[1].inject(Packets.ping(CLIENT, REMOTE));
            tuns[1].inject(Packets.ping(CLIENT, REMOTE));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (p.drops(DropReason.ICMP) < 3 && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertEquals(3, p.drops(DropReason.ICMP), "drops summed over both readers' classifiers");
            assertEquals(2 + 2, p.allCounters().size(), "two classifiers, two workers");
            assertEquals(0, p.misqueued(), "only TCP counts as misqueued");
        }
    }

    /** Counts what the pipeline reports to its capture tap, from any thread. */
    static final class CountingTap implements CaptureTap {
        final AtomicInteger received = new AtomicInteger();
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();

        @Override
        public void received(ByteBuffer buf, int offset, int length) {
            received.incrementAndGet();
        }

        @Override
        public void sent(ByteBuffer buf, int offset, int length) {
            sent.incrementAndGet();
        }

        @Override
        public void dropped(ByteBuffer buf, int offset, int length, DropReason reason) {
            dropped.incrementAndGet();
        }
    }

    @ParameterizedTest
    @EnumSource(TunReaderKind.class)
    void captureSeesEveryQueueAndShardTasksReachEveryWorker(TunReaderKind reader) throws Exception {
        FakeTun[] tuns = {new FakeTun(1500), new FakeTun(1500)};
        CountingTap tap = new CountingTap();
        AtomicInteger handled = new AtomicInteger();
        try (Pipeline p = new Pipeline(List.<TunDevice>of(tuns[0], tuns[1]),
            new GatewayConfig.Pipeline(WORKERS, 64, 8, IdleKind.BLOCK, reader), classifier(),
            i -> new Echo(new ConcurrentHashMap<>(), handled), tap)) {
            p.start();
            for (int i = 0; i < 20; i++) {
                tuns[i % QUEUES].inject(Packets.syn(CLIENT, 30000 + i, REMOTE, 443));
            }
            tuns[1].inject(Packets.ping(CLIENT, REMOTE));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((handled.get() < 20 || tap.sent.get() < 20 || tap.dropped.get() < 1)
                && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertEquals(20, tap.received.get(), "both readers report what they read");
            assertEquals(1, tap.dropped.get(), "and what their classifiers dropped");
            assertEquals(20, tap.sent.get(), "every worker's transmit queue reports what it wrote");
            List<String> ran = p.onEachShard((shard, handler, now) -> shard + "@" + Thread.currentThread().getName())
                .get(5, TimeUnit.SECONDS);
            assertEquals(List.of("0@torgate-shard-0", "1@torgate-shard-1", "2@torgate-shard-2"), ran);
            assertTrue(p.healthy(), "both readers and every worker run");
        }
    }

    @Test
    void moreQueuesThanWorkersIsRefused() {
        FakeTun[] tuns = {new FakeTun(1500), new FakeTun(1500)};
        assertThrows(IllegalArgumentException.class, () -> new Pipeline(List.<TunDevice>of(tuns[0], tuns[1]),
            new GatewayConfig.Pipeline(1, 64, 8, IdleKind.BLOCK), classifier(), i -> new Echo(
                new ConcurrentHashMap<>(), new AtomicInteger()), CaptureTap.NONE));
    }
}
