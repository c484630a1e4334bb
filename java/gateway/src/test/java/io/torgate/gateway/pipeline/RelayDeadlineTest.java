package io.torgate.gateway.pipeline;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.classify.PacketInfo;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.egress.EgressGuard;
import io.torgate.gateway.relay.FlowLimits;
import io.torgate.gateway.relay.HostnameResolver;
import io.torgate.gateway.relay.RelayHandler;
import io.torgate.gateway.relay.RelaySettings;
import io.torgate.gateway.testing.FakeTun;
import io.torgate.gateway.testing.Packets;
import io.torgate.stack.BufferBudget;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.Selector;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The deadline a worker sleeps until is the earliest flow timer's, from {@code TimerWheel.nextDeadline}, not a
 * fixed poll interval: a flow whose only timer is a SOCKS CONNECT timeout 30 s ahead lets the worker sleep 30 s,
 * and the timer still fires at that deadline (driven by the handler's clock, never the wall clock).
 */
class RelayDeadlineTest {
    private static final long MS = 1_000_000L;
    private static final long TIMEOUT = 30_000 * MS;

    @Test
    void idleWorkerSleepsUntilTheFlowsOnlyTimer() throws Exception {
        // A SOCKS endpoint that accepts (kernel backlog) and never answers: the CONNECT waits for its timeout.
        try (ServerSocket silentSocks = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Selector selector = Selector.open();
             FakeTun tun = new FakeTun(1500)) {
            InetSocketAddress endpoint = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                silentSocks.getLocalPort());
            RelaySettings settings = new RelaySettings(endpoint, TIMEOUT, 1500, 64 << 10, 32 << 10);
            FlowLimits limits = new FlowLimits(4, 10, 10, 10);
            RelayHandler handler = new RelayHandler(settings, new EgressGuard(List.of(endpoint)), limits,
                new BufferBudget(16L << 20),
                new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis), HostnameResolver.NONE,
                16);
            DropCounters counters = new DropCounters();
            TxQueue tx = new TxQueue(tun, 16, 2048);
            handler.start(new WorkerContext(0, selector, tx, counters));
            assertEquals(Long.MAX_VALUE, handler.nextDeadline(0), "no flow, no timer: sleep until woken");

            long now = 5_000 * MS + 123_456; // the worker's clock, off a tick boundary
            deliver(handler, Packets.syn("10.137.0.5", 40000, "10.200.0.80", 80), now);
            assertEquals(1, handler.flowCount(), "SYN held while SOCKS CONNECT runs");
            long expected = Math.ceilDiv(now + TIMEOUT, MS) * MS;
            assertEquals(expected, handler.nextDeadline(now), "the CONNECT timeout's tick, not now + a poll interval");

            assertEquals(0, handler.onTick(now + 10 * MS), "nothing due 10 ms later");
            assertEquals(expected, handler.nextDeadline(now + 10 * MS));
            assertEquals(0, handler.onTick(expected - MS), "nothing due a tick before");

            assertEquals(1, handler.onTick(expected), "the timeout fires at its deadline");
            assertEquals(0, handler.flowCount());
            assertEquals(1, counters.get(DropReason.SOCKS_TIMEOUT));
            assertEquals(Long.MAX_VALUE, handler.nextDeadline(expected), "the flow's timer is gone with it");
            tx.flush();
            byte[] rst = tun.nextWritten(1_000);
            assertNotNull(rst, "the held SYN is answered with RST");
            assertTrue((new Tcp().wrap(ByteBuffer.wrap(rst), 20, rst.length - 20).flags() & Tcp.RST) != 0);
        }
    }

    private static void deliver(RelayHandler handler, byte[] packet, long now) {
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip("10.139.1.1")), List.of(), DropPolicy.dropAll());
        PacketEvent event = new PacketEvent(0);
        ByteBuffer buf = ByteBuffer.wrap(packet);
        classifier.classify(buf, 0, packet.length, event);
        assertEquals(PacketInfo.TCP, event.verdict);
        assertEquals(Ipv4.PROTO_TCP, event.protocol);
        handler.onPacket(event, buf, now);
    }
}
