package io.torgate.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.config.Cidr;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays the fixtures made by make-fixtures.sh: a real curl/http.server session captured by tcpdump and a
 * crafted capture with one packet per drop class.
 */
class ReplayTest {
    static final ReplayOptions LAB = ReplayOptions.defaults().withClients(List.of(Cidr.parse("10.99.0.2/32")));

    static Path fixture(String name) {
        try {
            return Path.of(ReplayTest.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static String replay(Path pcap, ReplayOptions options) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(0, Replay.run(pcap, out, options));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    static List<String> lines(String text) {
        return Arrays.asList(text.split("\n"));
    }

    @Test
    void realSessionReplaysTheSameTwice() {
        String first = replay(fixture("http-session.pcap"), LAB);
        assertEquals(first, replay(fixture("http-session.pcap"), LAB));
    }

    @Test
    void realSessionWalksBothCloseSequences() {
        // Flow 1: the server (our stack, fed the original server's bytes and FIN) closes first; flow 2: the client.
        List<String> expected = List.of(
            "+0.000000 10.99.0.2:47890>10.99.0.1:8000 CLOSED=>LISTEN",
            "+0.000000 10.99.0.2:47890>10.99.0.1:8000 LISTEN=>SYN-RECEIVED",
            "+0.000025 10.99.0.2:47890>10.99.0.1:8000 SYN-RECEIVED=>ESTABLISHED",
            "+0.004355 10.99.0.2:47890>10.99.0.1:8000 ESTABLISHED=>FIN-WAIT-1",
            "+0.006701 10.99.0.2:47890>10.99.0.1:8000 FIN-WAIT-1=>TIME-WAIT",
            "+0.064808 10.99.0.2:47904>10.99.0.1:8000 CLOSED=>LISTEN",
            "+0.064808 10.99.0.2:47904>10.99.0.1:8000 LISTEN=>SYN-RECEIVED",
            "+0.064859 10.99.0.2:47904>10.99.0.1:8000 SYN-RECEIVED=>ESTABLISHED",
            "+0.077577 10.99.0.2:47904>10.99.0.1:8000 ESTABLISHED=>CLOSE-WAIT",
            "+0.078672 10.99.0.2:47904>10.99.0.1:8000 CLOSE-WAIT=>LAST-ACK",
            "+0.078681 10.99.0.2:47904>10.99.0.1:8000 LAST-ACK=>CLOSED",
            "+60.006701 10.99.0.2:47890>10.99.0.1:8000 TIME-WAIT=>CLOSED",
            // 12: one pure window-update ACK fewer per flow (none while the peer has two segments of window left)
            "replayed 15 client packets, 13 original-server packets, 0 gateway-sent packets, 0 drop annotations,"
                + " 0 DNS queries (0 non-IP frames skipped); 2 flows, 12 segments sent by the stack",
            "drops: none");
        assertEquals(expected, lines(replay(fixture("http-session.pcap"), LAB)));
    }

    @Test
    void badPacketsReproduceTheirDropReasons() {
        String out = replay(fixture("bad-packets.pcap"), LAB);
        List<String> lines = lines(out);
        assertEquals(List.of(
            "+0.000000 drop ipv6 IPv6 packet, 60 bytes",
            "+1.000000 drop udp_port 10.99.0.2:40001>10.99.0.1:123 udp, 76 bytes",
            "+2.000000 drop spoofed_source 192.0.2.7:40002>10.99.0.1:80 tcp, 40 bytes",
            "+3.000000 drop fragment 10.99.0.2:40003>10.99.0.1:53 udp, 68 bytes",
            "+4.000000 drop bad_tcp_checksum 10.99.0.2:40004>10.99.0.1:80 tcp, 40 bytes",
            "+5.000000 drop icmp 10.99.0.2>10.99.0.1 proto 1, 32 bytes",
            "+6.000000 drop no_flow 10.99.0.2:40005>10.99.0.1:80 tcp, 40 bytes",
            "+7.000000 10.99.0.2:40006>10.99.0.1:80 CLOSED=>LISTEN",
            "+7.000000 10.99.0.2:40006>10.99.0.1:80 LISTEN=>SYN-RECEIVED"), lines.subList(0, 9));
        // The good SYN's client never answers our SYN-ACK: the stack gives up after its SYN-ACK retransmissions.
        assertTrue(lines.get(9).endsWith("10.99.0.2:40006>10.99.0.1:80 SYN-RECEIVED=>CLOSED"), out);
        assertEquals("drops: ipv6=1 icmp=1 udp_port=1 fragment=1 bad_tcp_checksum=1 spoofed_source=1 no_flow=1",
            lines.get(lines.size() - 1));
        assertEquals(out, replay(fixture("bad-packets.pcap"), LAB));
    }

    @Test
    void refusingUpstreamResetsEverySyn() {
        String out = replay(fixture("http-session.pcap"), LAB.withUpstream(ReplayOptions.Upstream.REFUSE));
        List<String> lines = lines(out);
        assertEquals("+0.000000 drop socks_refused 10.99.0.2:47890>10.99.0.1:8000 tcp, 60 bytes", lines.get(1));
        assertEquals("+0.000000 10.99.0.2:47890>10.99.0.1:8000 LISTEN=>CLOSED", lines.get(2));
        // The recorded client goes on as if the server had answered: every later segment is for no flow.
        assertTrue(out.contains("drops: no_flow=13 socks_refused=2"), out);
    }

    @Test
    void replaysOwnPcapngCaptureSkippingWhatTheGatewaySent(@TempDir Path dir) throws IOException {
        try (PcapCapture c = new PcapCapture(CaptureOptions.defaults(dir, "own", CaptureFilter.ALL))) {
            PcapCaptureTest.feed(c);
        }
        Path file = PcapCaptureTest.files(dir, "own").get(0);
        String out = replay(file, LAB);
        // The no_flow packet is taken for the worker's drop note of a packet recorded as received before it (as
        // the pipeline writes one), so it is not replayed again; the classifier's drops are.
        assertTrue(out.contains("replayed 21 client packets, 0 original-server packets, 13 gateway-sent packets, "
            + "1 drop annotations"), out);
        // What the gateway sent plays the upstream's part, so both flows close as in the original session.
        assertTrue(out.contains("10.99.0.2:47890>10.99.0.1:8000 FIN-WAIT-1=>TIME-WAIT"), out);
        assertTrue(out.contains("10.99.0.2:47904>10.99.0.1:8000 LAST-ACK=>CLOSED"), out);
        assertTrue(out.contains("drop udp_port 10.99.0.2:40001>10.99.0.1:123"), out);
        assertEquals(out, replay(file, LAB));
    }

    @Test
    void withoutDrainTimeWaitIsStillOpenAtTheEnd() {
        List<String> lines = lines(replay(fixture("http-session.pcap"), LAB.withDrainNanos(0)));
        assertEquals("+0.078681 10.99.0.2:47890>10.99.0.1:8000 still TIME-WAIT at the end", lines.get(11));
    }

    @Test
    void unreadableFileIsReportedNotThrown(@TempDir Path dir) throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.pcap"), "not a capture");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(1, Replay.run(junk, new PrintStream(bytes, true, StandardCharsets.UTF_8), LAB));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).startsWith("error: "), bytes.toString());
    }
}
