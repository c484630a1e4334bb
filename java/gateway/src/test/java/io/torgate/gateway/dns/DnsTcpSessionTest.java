package io.torgate.gateway.dns;

import static io.torgate.gateway.dns.DnsMessages.addressOf;
import static io.torgate.gateway.dns.DnsMessages.parse;
import static io.torgate.gateway.dns.DnsMessages.pointerOf;
import static io.torgate.gateway.dns.DnsMessages.query;
import static io.torgate.gateway.dns.DnsMessages.reverse;
import static io.torgate.gateway.dns.DnsServiceTest.CLIENT_A;
import static io.torgate.gateway.dns.DnsServiceTest.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.dns.FakeTorSocks.Answer;
import io.torgate.wire.Dns;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** DNS over TCP: framing, several pipelined queries per connection, and the TC → TCP retry path. */
class DnsTcpSessionTest {
    FakeTorSocks tor;
    DnsHarness h;
    final Semaphore ready = new Semaphore(0);

    @BeforeEach
    void up() throws Exception {
        tor = new FakeTorSocks(s -> Answer.ipv4(0xCB00710A));
        h = new DnsHarness(DnsConfig.defaults().withMode(DnsConfig.Mode.MAPPED), tor.address());
    }

    @AfterEach
    void down() throws Exception {
        h.close();
        tor.close();
    }

    private static byte[] framed(byte[]... messages) {
        int n = 0;
        for (byte[] m : messages) {
            n += 2 + m.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] m : messages) {
            b.putShort((short) m.length).put(m);
        }
        return b.array();
    }

    /** The client's side of the stream: bytes read but not yet parsed are kept between calls of collect. */
    private final ByteBuffer stream = ByteBuffer.allocate(65536);

    /** Reads framed answers until {@code count} arrived; returns them by ID. */
    private Map<Integer, byte[]> collect(DnsTcpSession s, int count) throws InterruptedException {
        Map<Integer, byte[]> byId = new HashMap<>();
        long end = System.currentTimeMillis() + 15_000;
        while (byId.size() < count && System.currentTimeMillis() < end) {
            if (!s.hasOutput()) {
                ready.tryAcquire(100, TimeUnit.MILLISECONDS);
            }
            int n = s.read(stream, stream.position(), 7); // small reads: frames arrive split
            stream.position(stream.position() + n);
            while (stream.position() >= 2 && stream.position() >= 2 + (stream.getShort(0) & 0xFFFF)) {
                int len = stream.getShort(0) & 0xFFFF;
                byte[] m = new byte[len];
                stream.get(2, m);
                byId.put(ByteBuffer.wrap(m).getShort(0) & 0xFFFF, m);
                stream.put(0, stream, 2 + len, stream.position() - 2 - len);
                stream.position(stream.position() - 2 - len);
            }
        }
        return byId;
    }

    @Test
    void pipelinedQueriesSplitAcrossSegmentsAreAllAnswered() throws Exception {
        DnsTcpSession s = h.service.openTcpSession(CLIENT_A, SERVER, ready::release);
        byte[] bytes = framed(query(1, "a.test", Dns.TYPE_A, 0), query(2, "b.test", Dns.TYPE_A, 0),
            query(3, "a.test", Dns.TYPE_AAAA, 0));
        int at = 0;
        while (at < bytes.length) { // at most receiveRoom() and at most 5 bytes at a time: prefixes split too
            int len = Math.min(Math.min(5, s.receiveRoom()), bytes.length - at);
            assertTrue(len > 0);
            assertEquals(len, s.onReceive(ByteBuffer.wrap(bytes), at, len));
            at += len;
        }
        Map<Integer, byte[]> answers = collect(s, 3);
        assertEquals(3, answers.size());
        int a = addressOf(parse(answers.get(1), 1, "a.test", Dns.TYPE_A));
        int b = addressOf(parse(answers.get(2), 2, "b.test", Dns.TYPE_A));
        assertTrue(a != b);
        assertEquals(0, parse(answers.get(3), 3, "a.test", Dns.TYPE_AAAA).answerCount());
        assertEquals(3, h.service.stats().get(DnsCounter.QUERIES_TCP));
        assertEquals(0, s.inFlight());
    }

    @Test
    void longestAnswerIsCompleteOverTcp() throws Exception {
        // The largest answer we give: a PTR whose target is a name of ~250 bytes.
        String label = "x".repeat(63);
        String name = label + "." + label + "." + label + "." + label.substring(0, 56) + ".test";
        int address = addressOf(parse(h.ask(CLIENT_A, SERVER, query(1, name, Dns.TYPE_A, 0)), 1, name, Dns.TYPE_A));
        byte[] udp = h.ask(CLIENT_A, SERVER, query(2, reverse(address), Dns.TYPE_PTR, 0));
        assertTrue(udp.length <= 512, "every answer fits the classic UDP limit: " + udp.length);
        assertEquals(name, pointerOf(parse(udp, 2, reverse(address), Dns.TYPE_PTR)));

        DnsTcpSession s = h.service.openTcpSession(CLIENT_A, SERVER, ready::release);
        byte[] bytes = framed(query(3, reverse(address), Dns.TYPE_PTR, 0));
        assertEquals(bytes.length, s.onReceive(ByteBuffer.wrap(bytes), 0, bytes.length));
        Dns full = parse(collect(s, 1).get(3), 3, reverse(address), Dns.TYPE_PTR);
        assertTrue(!full.truncated());
        assertEquals(name, pointerOf(full));
    }

    @Test
    void backPressureBeyondTheInFlightLimit() throws Exception {
        h.close();
        h = new DnsHarness(DnsConfig.defaults(), tor.address());
        tor.hold();
        DnsTcpSession s = h.service.openTcpSession(CLIENT_A, SERVER, ready::release);
        int n = DnsService.TCP_MAX_IN_FLIGHT + 4;
        byte[][] qs = new byte[n][];
        for (int i = 0; i < n; i++) {
            qs[i] = query(i, "n" + i + ".test", Dns.TYPE_A, 0);
        }
        byte[] bytes = framed(qs);
        int consumed = s.onReceive(ByteBuffer.wrap(bytes), 0, bytes.length);
        assertTrue(consumed < bytes.length, "stops consuming at the in-flight limit");
        assertEquals(DnsService.TCP_MAX_IN_FLIGHT, s.inFlight());
        assertEquals(0, s.receiveRoom(), "a complete query waits: read nothing more from the connection");
        tor.release();
        Map<Integer, byte[]> first = collect(s, DnsService.TCP_MAX_IN_FLIGHT);
        assertEquals(DnsService.TCP_MAX_IN_FLIGHT, first.size());
        int rest = s.onReceive(ByteBuffer.wrap(bytes), consumed, bytes.length - consumed);
        assertEquals(bytes.length - consumed, rest, "the rest is taken once answers drained");
        Map<Integer, byte[]> last = collect(s, 4);
        assertEquals(4, last.size(), "the rest, after " + first.keySet());
        java.util.Set<Integer> all = new java.util.HashSet<>(first.keySet());
        all.addAll(last.keySet());
        assertEquals(n, all.size(), "every query answered once");
    }

    @Test
    void aFrameThatCannotBeAQueryClosesTheConnection() {
        DnsTcpSession s = h.service.openTcpSession(CLIENT_A, SERVER, ready::release);
        assertEquals(-1, s.onReceive(ByteBuffer.wrap(new byte[] {0, 3, 1, 2, 3}), 0, 5));
        DnsTcpSession big = h.service.openTcpSession(CLIENT_A, SERVER, ready::release);
        assertEquals(-1, big.onReceive(ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xFF, 0}), 0, 3));
        assertEquals(2, h.service.stats().get(DnsCounter.TCP_BAD_FRAME));
    }
}
