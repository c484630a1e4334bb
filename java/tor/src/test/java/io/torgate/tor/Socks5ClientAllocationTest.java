package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/**
 * The gateway drives {@link Socks5Client} on a shard worker: an exchange (start + every advance) must not
 * allocate once warmed up. Channels are opened before measuring (opening a socket allocates, once per stream,
 * outside the exchange).
 */
class Socks5ClientAllocationTest {
    @Test
    void exchangeDoesNotAllocateInSteadyState() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        IsolationKey key = new IsolationKey(1, 2, 3);
        Socks5Client client = new Socks5Client();
        try (FakeSocksServer s = new FakeSocksServer(seen -> FakeSocksServer.reply(0))) {
            s.closeAfterReply = true;
            long measured = 0;
            for (int i = 0; i < 300; i++) {
                try (SocketChannel ch = Socks5Client.open(s.address())) {
                    while (!ch.finishConnect()) {
                        Thread.onSpinWait();
                    }
                    long before = mx.getCurrentThreadAllocatedBytes();
                    client.startConnect(ch, "example.com", 443, key);
                    while (client.advance() != 0) {
                        Thread.onSpinWait();
                    }
                    long used = mx.getCurrentThreadAllocatedBytes() - before;
                    if (client.status() != Socks5Client.Status.SUCCEEDED) {
                        throw new AssertionError(client.failure().toString());
                    }
                    if (i >= 200) {
                        measured += used;
                    }
                }
            }
            assertEquals(Socks5Client.Status.SUCCEEDED, client.status());
            // Measured 0 bytes; the slack only absorbs a one-off JDK-internal allocation (lazy init),
            // never a per-exchange one.
            assertTrue(measured < 100, "bytes allocated by 100 exchanges after warm-up: " + measured);
        }
    }
}
