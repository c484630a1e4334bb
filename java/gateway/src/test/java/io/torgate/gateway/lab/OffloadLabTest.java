package io.torgate.gateway.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.pipeline.Pipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Both TUN paths against the kernel's TCP, through the whole gateway (reader, classifier, stack, relay, transmit
 * batch) on a real TUN: 64 MiB up and 64 MiB down, SHA-256 exact, once with {@code [tun] offload = true}
 * (virtio-net header, checksum and TCP segmentation offload: super-segments both ways) and once with the plain
 * path. With offload the super-segment counters prove the kernel really handed over and took super-segments;
 * without it they stay 0.
 */
class OffloadLabTest {
    private static final int SIZE = 64 << 20;
    private static final String CONFIG = """
        [tun]
        name = "tun0"
        address = "10.139.1.254/32"
        offload = %s
        [network]
        client_ranges = ["10.137.0.0/24"]
        gateway_addresses = ["10.139.1.1"]
        [socks]
        endpoint = "127.0.0.1:1080"
        [limits]
        buffer_bytes = 268435456
        [pipeline]
        tun_reader = "%s"
        """;

    /** Both TUN readers: a reader thread, and the worker reading the TUN itself (run-to-completion). */
    @ParameterizedTest(name = "offload = {0}, tun_reader = {1}")
    @CsvSource({"true, thread", "false, thread", "true, worker", "false, worker"})
    void largeTransfersBothWaysAreExact(boolean offload, String reader) throws Exception {
        try (Lab lab = new Lab(CONFIG.formatted(offload, reader))) {
            assertEquals(reader.equals("worker"), lab.gateway.pipeline().workersReadTun(), "read by " + reader);
            byte[] body = new byte[SIZE];
            new Random(offload ? 8 : 9).nextBytes(body);
            Path file = lab.files.resolve("big");
            Files.write(file, body);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
            Pipeline p = lab.gateway.pipeline();
            assertEquals(offload, p.offload(), "the TUN's offload state follows the config");

            String url = "http://" + Lab.UPSTREAM + ":" + Lab.HTTP_PORT + "/";
            String down = lab.client(1).sh("curl -sS --fail --max-time 120 " + url + "big | sha256sum");
            assertEquals(sha, down.split(" ")[0], "download through the gateway is exact");
            long outAfterDownload = p.superSegmentsOut();

            String up = lab.client(1).sh("curl -sS --fail --max-time 120 --data-binary @" + file + " " + url
                + "sha256");
            assertEquals(sha, up.trim(), "upload through the gateway is exact");

            if (offload) {
                assertTrue(outAfterDownload > 0, "the stack sent super-segments for the kernel to cut");
                assertTrue(p.superSegmentsIn() > 0, "the kernel handed the client's TCP over as super-segments");
            } else {
                assertEquals(0, p.superSegmentsOut());
                assertEquals(0, p.superSegmentsIn());
            }
        }
    }
}
