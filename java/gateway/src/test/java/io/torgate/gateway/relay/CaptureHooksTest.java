package io.torgate.gateway.relay;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.capture.CaptureSwitch;
import io.torgate.gateway.capture.CaptureTap;
import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.config.IdleKind;
import io.torgate.gateway.dns.TunReplySink;
import io.torgate.gateway.egress.EgressGuard;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.testing.FakeTun;
import io.torgate.gateway.testing.Packets;
import io.torgate.stack.BufferBudget;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Tcp;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pipeline's capture hooks, through a real pipeline and relay over a fake TUN: what the reader passes is
 * "received", what the classifier or a worker refuses is "dropped" with its reason, and every packet written to
 * the TUN (RSTs, ICMP rejects) is "sent" byte for byte.
 */
class CaptureHooksTest {
    private static final String CLIENT = "10.137.0.5";
    private static final String REMOTE = "10.200.0.80";

    private final FakeTun tun = new FakeTun(1500);
    private final CaptureSwitch capture = new CaptureSwitch();
    private final Recording recording = new Recording();
    private Pipeline pipeline;

    /** One captured packet. */
    private record Seen(int direction, DropReason reason, byte[] bytes) {
    }

    /** Keeps a copy of every packet, from any thread. */
    private static final class Recording implements CaptureTap {
        final List<Seen> seen = new ArrayList<>();

        private synchronized void add(int direction, DropReason reason, ByteBuffer buf, int offset, int length) {
            byte[] b = new byte[length];
            buf.get(offset, b);
            seen.add(new Seen(direction, reason, b));
        }

        synchronized List<Seen> snapshot() {
            return List.copyOf(seen);
        }

        @Override
        public void received(ByteBuffer buf, int offset, int length) {
            add(RECEIVED, null, buf, offset, length);
        }

        @Override
        public void sent(ByteBuffer buf, int offset, int length) {
            add(SENT, null, buf, offset, length);
        }

        @Override
        public void dropped(ByteBuffer buf, int offset, int length, DropReason reason) {
            add(DROPPED, reason, buf, offset, length);
        }
    }

    private void start() throws Exception {
        InetSocketAddress socks = new InetSocketAddress("127.0.0.1", 9);
        RelaySettings settings = new RelaySettings(socks, 1_000_000_000L, 1500, 64 << 10, 32 << 10, () -> true, true);
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis);
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip("10.139.1.1")), List.of(), DropPolicy.of(Map.of(DropReason.UDP_PORT, DropPolicy.Action.REJECT)));
        pipeline = new Pipeline(tun, new GatewayConfig.Pipeline(1, 64, 8, IdleKind.BLOCK), classifier,
            i -> new RelayHandler(settings, new EgressGuard(List.of(socks)), new FlowLimits(2, 100, 100, 100),
                new BufferBudget(1 << 20), keys, HostnameResolver.NONE, 16), capture);
        pipeline.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
        tun.close();
    }

    @Test
    void receivedDroppedWithReasonAndSentAreEachReported() throws Exception {
        capture.attach(recording);
        start();
        byte[] ack = Packets.tcp(CLIENT, 40004, REMOTE, 80, Tcp.ACK, 100, 555, new byte[0]);
        tun.inject(ack);
        byte[] rst = tun.nextWritten(5_000);
        assertNotNull(rst, "RST for the unknown flow");
        byte[] udp = Packets.udp(CLIENT, 5000, REMOTE, 123, new byte[8]);
        tun.inject(udp);
        byte[] icmp = tun.nextWritten(5_000);
        assertNotNull(icmp, "ICMP prohibited for the rejected UDP");
        byte[] ping = Packets.ping(CLIENT, REMOTE);
        tun.inject(ping);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (pipeline.drops(DropReason.ICMP) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        List<Seen> seen = recording.snapshot();
        assertEquals(6, seen.size(), "received+dropped+sent, dropped+sent, dropped: " + seen);
        assertSeen(seen.get(0), CaptureTap.RECEIVED, null, ack);
        assertSeen(seen.get(1), CaptureTap.DROPPED, DropReason.NO_FLOW, ack);
        assertSeen(seen.get(2), CaptureTap.SENT, null, rst);
        assertSeen(seen.get(3), CaptureTap.DROPPED, DropReason.UDP_PORT, udp);
        assertSeen(seen.get(4), CaptureTap.SENT, null, icmp);
        assertSeen(seen.get(5), CaptureTap.DROPPED, DropReason.ICMP, ping);
    }

    @Test
    void nothingIsReportedWhileCaptureIsOff() throws Exception {
        start();
        tun.inject(Packets.tcp(CLIENT, 40004, REMOTE, 80, Tcp.ACK, 100, 555, new byte[0]));
        assertNotNull(tun.nextWritten(5_000));
        capture.attach(recording); // on from now: the next packet is seen
        tun.inject(Packets.ping(CLIENT, REMOTE));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (recording.snapshot().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        List<Seen> seen = recording.snapshot();
        assertEquals(1, seen.size(), seen.toString());
        assertEquals(DropReason.ICMP, seen.get(0).reason());
        assertTrue(capture.detach() == recording);
    }

    @Test
    void dnsRepliesWrittenByTheDnsAgentAreSent() throws Exception {
        capture.attach(recording);
        TunReplySink sink = new TunReplySink(tun, 4, capture);
        byte[] reply = Packets.udp("10.139.1.1", 53, CLIENT, 5353, new byte[12]);
        ByteBuffer framed = ByteBuffer.allocate(reply.length + 10).put(5, reply);
        sink.send(framed, 5, reply.length);
        sink.flush();
        assertArrayEquals(reply, tun.nextWritten(1_000));
        List<Seen> seen = recording.snapshot();
        assertEquals(1, seen.size());
        assertSeen(seen.get(0), CaptureTap.SENT, null, reply);
    }

    private static void assertSeen(Seen s, int direction, DropReason reason, byte[] bytes) {
        assertEquals(direction, s.direction());
        assertEquals(reason, s.reason());
        assertArrayEquals(bytes, s.bytes());
    }
}
