package io.torgate.gateway.pipeline;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.config.IdleKind;
import io.torgate.gateway.config.TunReaderKind;
import io.torgate.gateway.testing.FakeTun;
import io.torgate.gateway.testing.Packets;
import io.torgate.wire.Icmp;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class PipelineTest {
    private static final String CLIENT = "10.137.0.5";
    private static final String REMOTE = "93.184.216.34";

    /** Records which shard saw which flow, and echoes nothing. */
    static final class Recorder implements ShardHandler {
        final ConcurrentLinkedQueue<String> seen;
        final AtomicInteger shutdowns;
        int shard;

        Recorder(ConcurrentLinkedQueue<String> seen, AtomicInteger shutdowns) {
            this.seen = seen;
            this.shutdowns = shutdowns;
        }

        @Override
        public void start(WorkerContext context) {
            shard = context.shard();
        }

        @Override
        public void onPacket(PacketEvent event, ByteBuffer buf, long nowNanos) {
            seen.add(shard + ":" + event.sourcePort + ":" + event.flowHash);
        }

        @Override
        public void shutdown(long nowNanos) {
            shutdowns.incrementAndGet();
        }
    }

    /** A pipeline whose TUN is read as {@code reader} says (FakeTun stands in for the fd in the selector). */
    private static Pipeline pipeline(FakeTun tun, TunReaderKind reader, DropPolicy policy, int workers,
                                     IdleKind idle, ConcurrentLinkedQueue<String> seen, AtomicInteger shutdowns)
            throws Exception {
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip("10.139.1.1")), List.of(), policy);
        Pipeline p = new Pipeline(tun, new GatewayConfig.Pipeline(workers, 64, 8, idle, reader), classifier,
            i -> new Recorder(seen, shutdowns));
        assertEquals(reader == TunReaderKind.WORKER, p.workersReadTun(), "the TUN is read by " + reader);
        return p;
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertTrue(condition.getAsBoolean(), "condition not reached in 5 s");
    }

    @ParameterizedTest
    @EnumSource(TunReaderKind.class)
    void everyTcpPacketReachesExactlyTheShardOfItsFlowAcrossRingWraps(TunReaderKind reader) throws Exception {
        FakeTun tun = new FakeTun(1500);
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        AtomicInteger shutdowns = new AtomicInteger();
        try (Pipeline p = pipeline(tun, reader, DropPolicy.dropAll(), 3, IdleKind.BLOCK, seen, shutdowns)) {
            p.start();
            int packets = 1000; // the ring has 64 slots: many wraps, and reads split at the wrap
            for (int i = 0; i < packets; i++) {
                tun.inject(Packets.syn(CLIENT, 10000 + i % 50, REMOTE, 80));
                if (i % 97 == 0) {
                    Thread.sleep(1); // let workers fall asleep and be woken
                }
            }
            await(() -> seen.size() == packets);
            for (String s : seen) {
                String[] f = s.split(":");
                assertEquals(Integer.remainderUnsigned(Integer.parseInt(f[2]), 3), Integer.parseInt(f[0]), s);
            }
            assertEquals(packets, p.packetsIn());
        }
        assertEquals(3, shutdowns.get());
        tun.close();
    }

    @ParameterizedTest
    @EnumSource(TunReaderKind.class)
    void shardTasksRunOnEachWorkerThreadAndFailOnceStopped(TunReaderKind reader) throws Exception {
        FakeTun tun = new FakeTun(1500);
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        Pipeline p = pipeline(tun, reader, DropPolicy.dropAll(), 3, IdleKind.BLOCK, seen, new AtomicInteger());
        p.start();
        Thread.sleep(20); // the workers are asleep in their selectors: submit must wake them
        List<String> ran = p.onEachShard((shard, handler, now) -> shard + "@" + Thread.currentThread().getName()
            + "/" + ((Recorder) handler).shard).get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(List.of("0@torgate-shard-0/0", "1@torgate-shard-1/1", "2@torgate-shard-2/2"), ran);
        java.util.concurrent.CompletableFuture<Object> failing = p.onEachShard((shard, handler, now) -> {
            if (shard == 1) {
                throw new IllegalArgumentException("no such stream");
            }
            return shard;
        }).thenApply(r -> (Object) r);
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
            java.util.concurrent.ExecutionException.class, () -> failing.get(5, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("no such stream", e.getCause().getMessage());
        p.close();
        java.util.concurrent.CompletableFuture<List<Integer>> late = p.onEachShard((shard, handler, now) -> shard);
        e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
            () -> late.get(5, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
        tun.close();
    }

    /** The TUN cannot be read any more (a deleted device): the reader ends and the pipeline reports why. */
    @ParameterizedTest
    @EnumSource(TunReaderKind.class)
    void aReaderThatCannotReadTheTunIsReportedWithItsCause(TunReaderKind reader) throws Exception {
        FakeTun tun = new FakeTun(1500);
        try (Pipeline p = pipeline(tun, reader, DropPolicy.dropAll(), 2, IdleKind.BLOCK, new ConcurrentLinkedQueue<>(),
                new AtomicInteger())) {
            p.start();
            Thread.sleep(20);
            assertFalse(p.failure().isDone(), "a running pipeline has not failed");
            tun.failReads(new java.io.IOException("File descriptor in bad state (EBADFD)"));
            String cause = p.failure().get(5, java.util.concurrent.TimeUnit.SECONDS);
            String thread = reader == TunReaderKind.WORKER ? "torgate-shard-0" : "torgate-tun-reader";
            assertTrue(cause.startsWith(thread + " died: ") && cause.contains("TUN fake0 read failed")
                && cause.contains("EBADFD"), cause);
            await(() -> !p.healthy());
        }
        tun.close();
    }

    /** An Error escapes a worker's loop (its guard catches RuntimeExceptions only): the worker's end is reported. */
    @Test
    void aWorkerKilledByAnErrorIsReported() throws Exception {
        FakeTun tun = new FakeTun(1500);
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip("10.139.1.1")), List.of(), DropPolicy.dropAll());
        ShardHandler dies = (event, buf, nowNanos) -> {
            throw new StackOverflowError("simulated");
        };
        try (Pipeline p = new Pipeline(tun, new GatewayConfig.Pipeline(1, 64, 8, IdleKind.BLOCK), classifier,
                i -> dies)) {
            p.start();
            tun.inject(Packets.syn(CLIENT, 10000, REMOTE, 80));
            String cause = p.failure().get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("torgate-shard-0 died: java.lang.StackOverflowError: simulated", cause);
            await(() -> !p.healthy());
        }
        tun.close();
    }

    /** close() ends every pipeline thread: that is a stop, not a failure. */
    @ParameterizedTest
    @EnumSource(TunReaderKind.class)
    void closingIsNotAFailure(TunReaderKind reader) throws Exception {
        FakeTun tun = new FakeTun(1500);
        Pipeline p = pipeline(tun, reader, DropPolicy.dropAll(), 2, IdleKind.BLOCK, new ConcurrentLinkedQueue<>(),
            new AtomicInteger());
        p.start();
        Thread.sleep(20);
        p.close();
        assertFalse(p.healthy(), "every thread ended");
        Thread.sleep(100);
        assertFalse(p.failure().isDone(), "closing is not a failure");
        tun.close();
    }

    @ParameterizedTest
    @EnumSource(TunReaderKind.class)
    void dropModeIsSilentAndCounted(TunReaderKind reader) throws Exception {
        FakeTun tun = new FakeTun(1500);
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        try (Pipeline p = pipeline(tun, reader, DropPolicy.dropAll(), 2, IdleKind.BACKOFF, seen,
                new AtomicInteger())) {
            p.start();
            tun.inject(Packets.ping(CLIENT, REMOTE));
            tun.inject(Packets.udp(CLIENT, 5000, REMOTE, 123, new byte[48]));
            tun.inject(Packets.ipv6());
            tun.inject(Packets.syn("192.168.1.9", 5000, REMOTE, 80));
            tun.inject(Packets.syn(CLIENT, 5000, "10.139.1.1", 22));
            await(() -> p.drops(DropReason.TO_GATEWAY) == 1);
            assertEquals(1, p.drops(DropReason.ICMP));
            assertEquals(1, p.drops(DropReason.UDP_PORT));
            assertEquals(1, p.drops(DropReason.IPV6));
            assertEquals(1, p.drops(DropReason.SPOOFED_SOURCE));
            Thread.sleep(50);
            assertNull(tun.nextWritten(0));
            assertTrue(seen.isEmpty(), "dropped packets never reach a handler");
        }
        tun.close();
    }

    @ParameterizedTest
    @EnumSource(TunReaderKind.class)
    void rejectModeAnswersTcpWithRstAndUdpWithAdminProhibited(TunReaderKind reader) throws Exception {
        FakeTun tun = new FakeTun(1500);
        DropPolicy policy = DropPolicy.of(Map.of(DropReason.UDP_PORT, DropPolicy.Action.REJECT,
            DropReason.TO_GATEWAY, DropPolicy.Action.REJECT));
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        try (Pipeline p = pipeline(tun, reader, policy, 2, IdleKind.BLOCK, seen, new AtomicInteger())) {
            p.start();
            byte[] udp = Packets.udp(CLIENT, 5000, REMOTE, 443, new byte[30]);
            tun.inject(udp);
            byte[] icmp = tun.nextWritten(5000);
            assertNotNull(icmp, "ICMP administratively prohibited");
            ByteBuffer b = ByteBuffer.wrap(icmp);
            Ipv4 ipv4 = new Ipv4().wrap(b, 0, icmp.length);
            assertEquals(WireError.OK, ipv4.checkLength());
            assertTrue(ipv4.verifyChecksum());
            assertEquals(Ipv4.PROTO_ICMP, ipv4.protocol());
            assertEquals(ip(REMOTE), ipv4.sourceAddress());
            assertEquals(ip(CLIENT), ipv4.destinationAddress());
            Icmp reply = new Icmp().wrap(b, 20, icmp.length - 20);
            assertEquals(Icmp.TYPE_DESTINATION_UNREACHABLE, reply.type());
            assertEquals(Icmp.CODE_ADMIN_PROHIBITED, reply.code());
            assertTrue(reply.verifyChecksum());
            byte[] quoted = new byte[28];
            b.get(28, quoted);
            assertArrayEquals(java.util.Arrays.copyOf(udp, 28), quoted, "quotes the datagram's header");

            tun.inject(Packets.syn(CLIENT, 40000, "10.139.1.1", 22));
            byte[] rst = tun.nextWritten(5000);
            assertNotNull(rst, "RST");
            Tcp tcp = new Tcp().wrap(ByteBuffer.wrap(rst), 20, rst.length - 20);
            assertTrue(tcp.rst() && tcp.ack());
            assertEquals(1001, tcp.ackNumber(), "ACK = SEG.SEQ + SEG.LEN (the SYN)");
            assertEquals(0, tcp.sequenceNumber());
            assertEquals(22, tcp.sourcePort());
            assertEquals(40000, tcp.destinationPort());
            assertTrue(tcp.verifyChecksum(ip("10.139.1.1"), ip(CLIENT)));
            assertEquals(1, p.drops(DropReason.UDP_PORT));
            assertEquals(1, p.drops(DropReason.TO_GATEWAY));

            tun.inject(Packets.tcp(CLIENT, 40001, "10.139.1.1", 22, Tcp.RST, 5, 0, new byte[0]));
            tun.inject(Packets.ping(CLIENT, REMOTE));
            await(() -> p.drops(DropReason.ICMP) == 1);
            Thread.sleep(50);
            assertNull(tun.nextWritten(0), "a RST is never answered, ICMP never rejected");
        }
        tun.close();
    }

    /** BACKOFF too: its spin is bounded in time (50 µs after the last work), then it blocks like BLOCK. */
    @ParameterizedTest
    @CsvSource({"THREAD, BLOCK", "WORKER, BLOCK", "THREAD, BACKOFF", "WORKER, BACKOFF"})
    void idleWorkersSleepInsteadOfBurningACore(TunReaderKind reader, IdleKind idle) throws Exception {
        FakeTun tun = new FakeTun(1500);
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        try (Pipeline p = pipeline(tun, reader, DropPolicy.dropAll(), 2, idle, seen, new AtomicInteger())) {
            p.start();
            tun.inject(Packets.syn(CLIENT, 10000, REMOTE, 80));
            await(() -> seen.size() == 1);
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            List<Thread> shards = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("torgate-shard-")).toList();
            assertEquals(2, shards.size());
            long before = shards.stream().mapToLong(t -> mx.getThreadCpuTime(t.threadId())).sum();
            Thread.sleep(1_000);
            long used = shards.stream().mapToLong(t -> mx.getThreadCpuTime(t.threadId())).sum() - before;
            assertTrue(used < 50_000_000L, "two idle workers used " + used / 1_000_000 + " ms of CPU in 1 s");
            tun.inject(Packets.syn(CLIENT, 10001, REMOTE, 80));
            await(() -> seen.size() == 2); // and a sleeping worker still wakes for its packet
        }
        tun.close();
    }
}
