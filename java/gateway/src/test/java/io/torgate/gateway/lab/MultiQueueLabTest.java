package io.torgate.gateway.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.metrics.GatewayMetrics;
import io.torgate.gateway.pipeline.Pipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A multi-queue TUN ({@code [tun] queues = 2}, two workers) against the kernel's TCP, through the whole gateway, on
 * the offload path and on the plain path: 2 clients x 24 parallel downloads and 2 x 24 parallel uploads of 1 MiB,
 * each SHA-256 exact. Both queues must have carried packets, and the kernel's flow steering is measured: a worker
 * writes its flows' packets on its own queue, so once the gateway has answered, the client's packets of that flow
 * should arrive on that queue. Only a flow's first packets may arrive elsewhere: the SYN (its queue is the
 * kernel's hash choice, before the gateway ever wrote), and the client's ACK of the SYN-ACK (the kernel delivers
 * the written SYN-ACK, and the client answers it, before tun_get_user records the flow; seen on Linux 6.18).
 */
class MultiQueueLabTest {
    private static final int FILES = 8;
    private static final int SIZE = 1 << 20;
    private static final int PER_CLIENT = 24;
    private static final String CONFIG = """
        [tun]
        name = "tun0"
        address = "10.139.1.254/32"
        offload = %s
        queues = 2
        [pipeline]
        workers = 2
        tun_reader = "%s"
        [network]
        client_ranges = ["10.137.0.0/24"]
        gateway_addresses = ["10.139.1.1"]
        [socks]
        endpoint = "127.0.0.1:1080"
        [limits]
        buffer_bytes = 268435456
        """;

    /** Both TUN readers: a thread per queue, and each worker reading its own queue (run-to-completion). */
    @ParameterizedTest(name = "offload = {0}, tun_reader = {1}")
    @CsvSource({"true, thread", "false, thread", "true, worker", "false, worker"})
    void parallelFlowsThroughTwoQueuesAreExactAndSteered(boolean offload, String reader) throws Exception {
        try (Lab lab = new Lab(CONFIG.formatted(offload, reader))) {
            Pipeline p = lab.gateway.pipeline();
            assertEquals(reader.equals("worker"), p.workersReadTun(), "the TUN queues are read by " + reader);
            assertEquals(2, p.queues(), "two TUN queues open");
            assertEquals(offload, p.offload(), "the queues' offload state follows the config");
            List<String> sha = new ArrayList<>();
            Random random = new Random(offload ? 81 : 82);
            for (int f = 0; f < FILES; f++) {
                byte[] body = new byte[SIZE];
                random.nextBytes(body);
                Files.write(lab.files.resolve("f" + f), body);
                sha.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));
            }
            String url = "http://" + Lab.UPSTREAM + ":" + Lab.HTTP_PORT + "/";
            long misqueuedBefore = p.misqueued();
            run(lab, (c, i) -> url + "f" + (i % FILES) + " -o " + out(lab, "down", c, i));
            run(lab, (c, i) -> "--data-binary @" + lab.files.resolve("f" + (i % FILES)) + " " + url + "sha256 -o "
                + out(lab, "up", c, i));
            for (int c = 1; c <= 2; c++) {
                for (int i = 0; i < PER_CLIENT; i++) {
                    Path down = out(lab, "down", c, i);
                    byte[] got = Files.exists(down) ? Files.readAllBytes(down) : new byte[0];
                    assertEquals(sha.get(i % FILES), HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-256").digest(got)), "download " + i + " of client " + c);
                    Path up = out(lab, "up", c, i);
                    assertEquals(sha.get(i % FILES), Files.exists(up) ? Files.readString(up).trim() : "(none)",
                        "upload " + i + " of client " + c);
                }
            }
            long in0 = p.packetsIn(0);
            long in1 = p.packetsIn(1);
            long misqueued = p.misqueued() - misqueuedBefore;
            int flows = 2 * 2 * PER_CLIENT;
            System.out.printf("multi-queue lab (offload %s): %d flows, queue 0 read %d, queue 1 read %d packets,"
                + " %d TCP packets on another worker's queue%n", offload, flows, in0, in1, misqueued);
            assertTrue(in0 > 0 && in1 > 0, "both queues carried traffic: " + in0 + " + " + in1);
            String metrics = new GatewayMetrics(lab.gateway.state()).render();
            assertTrue(metrics.contains("torgate_queue_packets_in_total{queue=\"1\"}")
                && metrics.contains("torgate_misqueued_tcp_packets_total"), "per-queue counters in the metrics");
            // Half the SYNs land on the other queue, each followed by the handshake ACK (about one per flow
            // measured); three per flow allows for a retransmitted SYN. Every other packet of the thousands read
            // was steered to its worker's queue.
            assertTrue(misqueued <= 3L * flows, misqueued + " misqueued TCP packets for " + flows + " flows ("
                + in0 + " + " + in1 + " packets read)");
            assertTrue(in0 + in1 > 10L * flows, "enough packets per flow for steering to show: " + (in0 + in1));
        }
    }

    private static Path out(Lab lab, String kind, int client, int i) {
        return lab.files.resolve(kind + "-" + client + "-" + i);
    }

    /** Runs PER_CLIENT transfers in parallel from each client (one curl -Z each) and waits for them. */
    private static void run(Lab lab, Transfer transfer) throws Exception {
        Process[] runs = new Process[2];
        for (int c = 1; c <= 2; c++) {
            StringBuilder args = new StringBuilder();
            for (int i = 0; i < PER_CLIENT; i++) {
                // --next: each transfer its own options (its own upload file).
                args.append(i == 0 ? " " : " --next ").append("-sS --fail --max-time 120 ").append(transfer.args(c, i));
            }
            runs[c - 1] = lab.client(c).exec("sh", "-c", "curl -Z --parallel-max " + PER_CLIENT + args + " 2>"
                + lab.files.resolve("err" + c));
        }
        for (int c = 1; c <= 2; c++) {
            assertTrue(runs[c - 1].waitFor(180, TimeUnit.SECONDS), "curl of client " + c + " finished");
            assertEquals(0, runs[c - 1].exitValue(), "curl of client " + c + ": "
                + Files.readString(lab.files.resolve("err" + c)));
        }
    }

    private interface Transfer {
        String args(int client, int i);
    }
}
