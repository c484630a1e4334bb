package io.torgate.gateway.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Udp;
import io.torgate.wire.WireError;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running {@link DnsService} with a capturing reply sink: {@link #ask} submits a UDP query as a worker would
 * and returns the DNS payload of the reply packet, after checking the packet (addresses swapped, IPv4 and UDP
 * checksums valid).
 */
final class DnsHarness implements AutoCloseable {
    static final byte[] SECRET = new byte[32];

    final DnsService service;
    final AtomicBoolean torReady = new AtomicBoolean(true);
    final ClientEpochs epochs = new ClientEpochs();
    final IsolationKeys keys = new IsolationKeys(SECRET, epochs, System::currentTimeMillis);
    private final Map<Integer, BlockingQueue<byte[]>> replies = new ConcurrentHashMap<>();
    private final AtomicInteger ports = new AtomicInteger(20000);

    DnsHarness(DnsConfig config, SocketAddress socks) throws IOException {
        service = new DnsService(config, keys, torReady::get, socks, new DnsReplySink() {
            @Override
            public void send(ByteBuffer packet, int offset, int length) {
                byte[] b = new byte[length];
                packet.get(offset, b);
                int port = ByteBuffer.wrap(b).getShort(22) & 0xFFFF;
                queue(port).add(b);
            }

            @Override
            public void flush() {
            }
        });
        service.start();
    }

    private BlockingQueue<byte[]> queue(int port) {
        return replies.computeIfAbsent(port, p -> new LinkedBlockingQueue<>());
    }

    /** A fresh client port, so concurrent asks do not mix their replies. */
    int port() {
        return ports.incrementAndGet();
    }

    /** Submits without waiting; the reply is collected with {@link #reply}. */
    void submit(int client, int port, int server, byte[] query) {
        assertTrue(service.submitUdp(client, port, server, 53, ByteBuffer.wrap(query), 0, query.length), "queued");
    }

    /** The DNS payload of the next reply to {@code client:port} from {@code server}:53, or null on timeout. */
    byte[] reply(int client, int port, int server, long millis) throws InterruptedException {
        byte[] p = queue(port).poll(millis, TimeUnit.MILLISECONDS);
        if (p == null) {
            return null;
        }
        return udpPayload(p, client, port, server);
    }

    /**
     * Checks a reply packet (well-formed, both checksums valid, from {@code server}:53 to {@code client:port})
     * and returns its DNS payload.
     */
    static byte[] udpPayload(byte[] p, int client, int port, int server) {
        ByteBuffer b = ByteBuffer.wrap(p);
        Ipv4 ip = new Ipv4().wrap(b, 0, p.length);
        assertEquals(WireError.OK, ip.checkLength());
        assertTrue(ip.verifyChecksum(), "IPv4 checksum");
        assertEquals(server, ip.sourceAddress(), "answer comes from the address queried");
        assertEquals(client, ip.destinationAddress());
        assertEquals(Ipv4.PROTO_UDP, ip.protocol());
        Udp udp = new Udp().wrap(b, ip.payloadOffset(), ip.payloadLength());
        assertEquals(WireError.OK, udp.checkLength());
        assertTrue(udp.verifyChecksum(server, client), "UDP checksum");
        assertEquals(53, udp.sourcePort());
        assertEquals(port, udp.destinationPort());
        byte[] dns = new byte[udp.payloadLength()];
        b.get(udp.payloadOffset(), dns);
        return dns;
    }

    /** Asks and waits up to 5 s for the answer. */
    byte[] ask(int client, int server, byte[] query) throws InterruptedException {
        return ask(client, server, query, 5_000);
    }

    byte[] ask(int client, int server, byte[] query, long millis) throws InterruptedException {
        int port = port();
        submit(client, port, server, query);
        byte[] r = reply(client, port, server, millis);
        assertNotNull(r, "no answer");
        return r;
    }

    @Override
    public void close() {
        service.close();
    }
}
