package io.torgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify datagrams as systemd receives them, on a real AF_UNIX datagram socket. */
class SystemdNotifyTest {
    @TempDir
    Path dir;

    private static String receive(UnixDatagramChannel server) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(512);
        server.receive(buf);
        buf.flip();
        return StandardCharsets.UTF_8.decode(buf).toString();
    }

    /** Non-blocking receive: jnr reports an empty socket as EAGAIN rather than null. */
    private static boolean tryReceive(UnixDatagramChannel server) throws Exception {
        try {
            return server.receive(ByteBuffer.allocate(64)) != null;
        } catch (java.io.IOException e) {
            if (String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                return false;
            }
            throw e;
        }
    }

    @Test
    void sendsReadyWatchdogAndStoppingToTheSocket() throws Exception {
        Path socket = dir.resolve("notify");
        try (UnixDatagramChannel server = UnixDatagramChannel.open()) {
            server.bind(new UnixSocketAddress(socket.toString()));
            AtomicBoolean healthy = new AtomicBoolean(true);
            try (SystemdNotify sd = SystemdNotify.to(socket.toString(), 40_000)) { // WatchdogSec=40ms: ping each 20ms
                assertTrue(sd.enabled());
                sd.ready("running on tun0");
                String ready = receive(server);
                assertTrue(ready.startsWith("READY=1\nSTATUS=running on tun0\nMAINPID="), ready);
                assertTrue(ready.contains("MAINPID=" + ProcessHandle.current().pid() + "\n"), ready);

                sd.startWatchdog(healthy::get);
                assertEquals("WATCHDOG=1\n", receive(server));
                assertEquals("WATCHDOG=1\n", receive(server));

                // An unhealthy gateway stops feeding the watchdog, so systemd restarts it.
                healthy.set(false);
                Thread.sleep(60); // a ping already past the health check may still arrive
                server.configureBlocking(false);
                while (tryReceive(server)) {
                    Thread.onSpinWait();
                }
                Thread.sleep(150); // ~7 watchdog periods
                assertFalse(tryReceive(server), "no WATCHDOG=1 while unhealthy");
                server.configureBlocking(true);

                sd.stopping();
                assertEquals("STOPPING=1\n", receive(server));
            }
        }
    }

    @Test
    void withoutNotifySocketEverythingIsANoOp() {
        try (SystemdNotify sd = SystemdNotify.to(null, 1_000_000)) {
            assertFalse(sd.enabled());
            sd.ready("x");
            sd.startWatchdog(() -> true);
            sd.stopping();
        }
        assertFalse(Files.exists(dir.resolve("notify")));
    }
}
