package io.torgate.stack.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.stack.TcpConfig;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The kernel's TCP against ours over a real TUN device: 100 MiB in each direction, SHA-256-exact, and a round trip
 * through the echo service.
 */
class KernelInteropTest {
    static final long MIB = 1024 * 1024;

    static TcpConfig config() {
        return new TcpConfig().timeWaitNanos(200_000_000L);
    }

    @Test
    void uploadOfHundredMebibytesArrivesExact() throws Exception {
        try (InteropLab lab = InteropLab.start(config(), 16, null, null)) {
            lab.within(Duration.ofSeconds(150), () -> upload(lab, 100 * MIB, 1));
        }
    }

    @Test
    void downloadOfHundredMebibytesArrivesExact() throws Exception {
        try (InteropLab lab = InteropLab.start(config(), 16, null, null)) {
            lab.within(Duration.ofSeconds(150), () -> download(lab, 100 * MIB));
        }
    }

    @Test
    void echoRoundTripIsExact() throws Exception {
        try (InteropLab lab = InteropLab.start(config(), 16, null, null)) {
            lab.within(Duration.ofSeconds(60), () -> echo(lab, 8 * MIB, 3));
        }
    }

    @Test
    void synToAPortWithoutServiceCreatesNoFlow() throws Exception {
        try (InteropLab lab = InteropLab.start(config(), 16, null, null)) {
            lab.within(Duration.ofSeconds(30), () -> {
                try (SocketChannel ch = lab.ns.call(SocketChannel::open)) {
                    ch.configureBlocking(false);
                    ch.connect(InteropLab.serverAddress(4444));
                    InteropLab.await(() -> lab.server.noFlow > 0, 2_000);
                    assertFalse(ch.finishConnect(), "nobody answers a SYN to a port without a service");
                }
                assertTrue(lab.server.noFlow > 0, "the SYN reached the server and was dropped");
                assertEquals(0, lab.server.accepted);
                assertEquals(0, lab.server.flowCount);
            });
        }
    }

    static void upload(InteropLab lab, long bytes, long seed) throws Exception {
        try (SocketChannel ch = lab.connect(ServiceFlow.DISCARD_PORT)) {
            int port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            KernelClient.Transfer sent = KernelClient.upload(ch, bytes, seed);
            InteropResults.Upload got = lab.server.results.awaitUpload(port, 10_000);
            assertNotNull(got, "the discard service reported the upload");
            assertEquals(bytes, got.bytes());
            assertArrayEquals(sent.sha256(), got.sha256(), "SHA-256 of what the stack delivered");
        }
    }

    static void download(InteropLab lab, long bytes) throws Exception {
        try (SocketChannel ch = lab.connect(ServiceFlow.SOURCE_PORT)) {
            KernelClient.Transfer got = KernelClient.download(ch, bytes);
            assertEquals(bytes, got.bytes());
            assertArrayEquals(PatternStream.sha256(ServiceFlow.SOURCE_SEED, bytes), got.sha256(),
                    "SHA-256 of what the kernel received");
        }
    }

    static void echo(InteropLab lab, long bytes, long seed) throws Exception {
        try (SocketChannel ch = lab.connect(ServiceFlow.ECHO_PORT)) {
            KernelClient.Transfer[] t = KernelClient.echo(ch, bytes, seed);
            assertEquals(bytes, t[1].bytes());
            assertArrayEquals(t[0].sha256(), t[1].sha256(), "the echo equals what was sent");
        }
    }
}
