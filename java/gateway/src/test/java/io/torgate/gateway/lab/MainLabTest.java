package io.torgate.gateway.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code torgate run --config FILE} as its own JVM in the gateway namespace: stopped with SIGTERM, and ending by
 * itself (exit 1, cause logged) when its TUN is deleted under it.
 */
class MainLabTest {
    private static final String CONFIG = """
        [tun]
        name = "tun0"
        [network]
        client_ranges = ["10.137.0.0/24"]
        [socks]
        endpoint = "127.0.0.1:1080"
        """;

    @Test
    void runsFromTheCommandLineAndSigtermClosesFlowsSocketsAndTun() throws Exception {
        try (Lab lab = new Lab(CONFIG, false)) {
            Process gateway = startGateway(lab, CONFIG, new StringBuffer());
            try {
                lab.routeIntoTun();
                Process download = lab.client(1).exec("sh", "-c", "curl -sS --max-time 60 -o /dev/null"
                    + " http://" + Lab.UPSTREAM + ":" + Lab.HTTP_PORT + "/trickle; echo rc=$?");
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (lab.socks.active() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(1, lab.socks.active(), "the download is relayed");
                Thread.sleep(1_500); // SOCKS success comes before the client's handshake: let bytes flow first

                gateway.destroy(); // SIGTERM
                assertTrue(gateway.waitFor(15, TimeUnit.SECONDS), "the gateway exits after SIGTERM");
                boolean ended = download.waitFor(10, TimeUnit.SECONDS);
                assertTrue(ended, () -> "the client's connection ends; client TCP state and counters:\n"
                    + diagnose(lab));
                String rc = new String(download.getInputStream().readAllBytes());
                assertTrue(rc.contains("rc=56"), "the client got a RST, not a hang: " + rc);
                deadline = System.nanoTime() + 5_000_000_000L;
                while (lab.socks.active() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(0, lab.socks.active(), "the SOCKS connection was closed");
                String links = lab.gw.sh("ip -o link show");
                assertTrue(!links.contains("tun0"), "tun0 is gone: " + links);
                assertNotEquals("0", lab.client(1).sh("curl -s --max-time 3 -o /dev/null http://" + Lab.UPSTREAM
                    + ":" + Lab.HTTP_PORT + "/ping; echo $?").trim(), "fails closed without the gateway");
            } finally {
                gateway.destroyForcibly();
            }
        }
    }

    /**
     * Outside systemd nothing restarts a gateway that silently stopped reading: with tun0 deleted under it (as lab
     * suite 40 does), torgate must log the cause and exit non-zero, and the clients stay failed closed.
     */
    @ParameterizedTest(name = "{0} queue(s), tun_reader = {1}")
    @CsvSource({"1, thread", "2, thread", "1, worker", "2, worker"})
    void deletingTheTunEndsTheProcessWithExit1AndTheCauseLogged(int queues, String reader) throws Exception {
        // With two queues (IFF_MULTI_QUEUE, two readers) every reader fails; the first one to end is reported.
        // With tun_reader = "worker" the reader is the worker's loop: the worker's thread ends.
        String config = CONFIG.replace("name = \"tun0\"\n", "name = \"tun0\"\nqueues = " + queues + "\n")
            + "[pipeline]\nworkers = " + queues + "\ntun_reader = \"" + reader + "\"\n";
        try (Lab lab = new Lab(config, false)) {
            StringBuffer log = new StringBuffer();
            Process gateway = startGateway(lab, config, log);
            try {
                lab.routeIntoTun(); // also proves the path works: it waits for a fetch through the gateway
                long t0 = System.nanoTime();
                lab.gw.sh("ip link del tun0");
                assertTrue(gateway.waitFor(15, TimeUnit.SECONDS), "the gateway exits by itself once tun0 is gone:\n"
                    + log);
                long millis = (System.nanoTime() - t0) / 1_000_000;
                System.out.println("torgate exited " + gateway.exitValue() + " " + millis + " ms after ip link del");
                assertEquals(1, gateway.exitValue(), "exit 1 (runtime failure) so Restart=on-failure applies:\n" + log);
                Thread.sleep(200); // the output drainer reads the last lines
                String text = log.toString();
                String thread = reader.equals("worker") ? "torgate-shard-\\d" : "torgate-tun-reader(-\\d)?";
                assertTrue(text.matches("(?s).*packet path stopped: " + thread + " died: "
                    + "[\\w.$]+: TUN tun0 read failed .*"), "the cause is logged:\n" + text);
                assertTrue(text.matches("(?s).*torgate: exiting: the packet path stopped \\(" + thread + ".*"), text);
                assertNotEquals("0", lab.client(1).sh("curl -s --max-time 3 -o /dev/null http://" + Lab.UPSTREAM
                    + ":" + Lab.HTTP_PORT + "/ping; echo $?").trim(), "fails closed without the gateway");
            } finally {
                gateway.destroyForcibly();
            }
        }
    }

    private static String diagnose(Lab lab) {
        try {
            return lab.client(1).sh("ss -tino; nstat -az | grep -E 'Challenge|RcvQDrop|Prune|OFODrop|TCPAbortOn|"
                + "OutOfWindow|TCPRcvCollapsed|InErrs|TCPZeroWindowDrop|Reset'");
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** {@code torgate run} in the gateway namespace; returns once it printed "torgate: running" (output to log). */
    private static Process startGateway(Lab lab, String text, StringBuffer log) throws Exception {
        Path config = lab.files.resolve("torgate.toml");
        Files.writeString(config, text);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process gateway = new ProcessBuilder("ip", "netns", "exec", lab.gw.name(), java, "-cp",
            System.getProperty("java.class.path"), "io.torgate.gateway.Main", "run", "--config",
            config.toString()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream()));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("torgate: running")) {
            log.append(line).append('\n'); // start-up log lines
        }
        if (line == null) {
            gateway.destroyForcibly();
        }
        assertTrue(line != null, "the gateway announced it runs:\n" + log);
        Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> log.append(l).append('\n')));
        return gateway;
    }
}
