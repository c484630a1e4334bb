package io.torgate.gateway.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

class EgressTest {
    @Test
    void resolverRefusesEveryLookupButLiteralsWork() throws Exception {
        long before = RefusingResolverProvider.refused();
        assertThrows(UnknownHostException.class, () -> InetAddress.getByName("example.com"));
        assertThrows(UnknownHostException.class, () -> InetAddress.getAllByName("localhost.localdomain"));
        assertThrows(UnknownHostException.class, InetAddress::getLocalHost);
        assertTrue(RefusingResolverProvider.refused() >= before + 3);
        InetAddress literal = InetAddress.getByName("127.0.0.1");
        assertEquals("127.0.0.1", literal.getHostAddress());
        assertEquals("127.0.0.1", InetAddress.getByAddress(new byte[] {127, 0, 0, 1}).getCanonicalHostName(),
            "a reverse lookup is refused and falls back to the literal");
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("example.org", 80);
        assertTrue(unresolved.isUnresolved());
    }

    @Test
    void guardAllowsOnlyConfiguredEndpoints() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
            SocketAddress socks = server.getLocalSocketAddress();
            EgressGuard guard = new EgressGuard(List.of(socks));
            try (SocketChannel ch = guard.open(socks)) {
                assertTrue(ch.isConnectionPending() || ch.isConnected());
            }
            InetSocketAddress other = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}),
                server.getLocalPort() + 1);
            IOException e = assertThrows(IOException.class, () -> guard.open(other));
            assertTrue(e.getMessage().contains("refused"));
            assertThrows(IOException.class, () -> guard.open(InetSocketAddress.createUnresolved("example.org", 80)));
            assertEquals(2, guard.refused());
        }
        assertInstanceOf(IllegalArgumentException.class, assertThrows(IllegalArgumentException.class,
            () -> new EgressGuard(List.of(InetSocketAddress.createUnresolved("tor", 9050)))));
    }

    @Test
    void tcpEgressHasNoDelayAndUnixSocketsWork() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
            SocketAddress socks = server.getLocalSocketAddress();
            try (SocketChannel ch = new EgressGuard(List.of(socks)).open(socks)) {
                assertTrue(ch.getOption(StandardSocketOptions.TCP_NODELAY), "Nagle off on the SOCKS socket");
            }
            try (SocketChannel plain = SocketChannel.open()) {
                assertEquals(false, plain.getOption(StandardSocketOptions.TCP_NODELAY), "the JDK default differs");
            }
        }
        Path dir = Files.createTempDirectory("egress");
        UnixDomainSocketAddress unix = UnixDomainSocketAddress.of(dir.resolve("socks.sock"));
        try (ServerSocketChannel server = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(unix);
            try (SocketChannel ch = new EgressGuard(List.of(unix)).open(unix)) {
                assertTrue(ch.isConnectionPending() || ch.isConnected(), "no TCP option is set on a Unix socket");
            }
        } finally {
            Files.deleteIfExists(dir.resolve("socks.sock"));
            Files.delete(dir);
        }
    }
}
