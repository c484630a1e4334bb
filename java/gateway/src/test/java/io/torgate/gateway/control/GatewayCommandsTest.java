package io.torgate.gateway.control;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.config.GatewayConfig;
import io.torgate.gateway.config.IdleKind;
import io.torgate.gateway.egress.EgressGuard;
import io.torgate.gateway.metrics.GatewayMetrics;
import io.torgate.gateway.metrics.MetricsHttpServer;
import io.torgate.gateway.metrics.PrometheusFormat;
import io.torgate.gateway.policy.ClientCaps;
import io.torgate.gateway.policy.ClientPolicy;
import io.torgate.gateway.policy.Clients;
import io.torgate.gateway.policy.Firewall;
import io.torgate.gateway.policy.Policy;
import io.torgate.gateway.ops.GatewayState;
import io.torgate.gateway.ops.TorLink;
import io.torgate.gateway.pipeline.Pipeline;
import io.torgate.gateway.relay.FlowLimits;
import io.torgate.gateway.relay.HostnameResolver;
import io.torgate.gateway.relay.RelayHandler;
import io.torgate.gateway.relay.RelaySettings;
import io.torgate.gateway.testing.FakeTun;
import io.torgate.gateway.testing.TestClient;
import io.torgate.gateway.testing.TestSocksServer;
import io.torgate.stack.BufferBudget;
import io.torgate.stack.TcpConnection;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.tor.IsolationPolicy;
import io.torgate.tor.NewIdentity;
import io.torgate.tor.StreamEvent;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's control commands end to end over a fake TUN: real relay shards, a real SOCKS5 server and target, the
 * real control socket; tor's STREAM events are fed to the tracker as tor writes them (the lab suite checks them
 * against a real tor).
 */
class GatewayCommandsTest {
    private static final String CLIENT = "10.137.0.5";
    private static final String REMOTE = "10.200.0.80";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WORK_DOWN =
        "torgate_client_bytes_total{client=\"" + CLIENT + "\",name=\"work\",direction=\"down\"}";

    @TempDir
    Path dir;
    private final FakeTun tun = new FakeTun(1500);
    private ServerSocket target;
    private TestSocksServer socks;
    private Pipeline pipeline;
    private ControlServer server;
    private TorLink tor;
    private Path socket;
    private final ClientEpochs epochs = new ClientEpochs();
    private GatewayState state;

    @BeforeEach
    void setUp() throws Exception {
        InetAddress lo = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        target = new ServerSocket(0, 50, lo);
        Thread.ofPlatform().daemon().start(this::serveTarget);
        socks = new TestSocksServer(new InetSocketAddress(lo, 0),
            t -> new InetSocketAddress(lo, target.getLocalPort()));
        BufferBudget budget = new BufferBudget(64L << 20);
        // A real policy naming the client "work" (the names come from [[clients]]).
        // At most 2 open streams for "work": the third is a limit hit.
        ClientPolicy work = new ClientPolicy("work", Cidr.parse(CLIENT + "/32"), null, Firewall.ACCEPT_ALL,
            ClientCaps.DEFAULTS.withFlows(64, 2));
        Policy policy = new Policy(List.of(work), ClientPolicy.unnamed(Firewall.ACCEPT_ALL, ClientCaps.DEFAULTS),
            IsolationPolicy.defaults(), List.of(), DropPolicy.Action.PROHIBIT);
        FlowLimits limits = new FlowLimits(100, 100, new Clients(policy));
        RelaySettings settings = new RelaySettings(socks.address(), 2_000_000_000L, 1500, 64 << 10, 32 << 10,
            () -> true, true);
        EgressGuard egress = new EgressGuard(List.of(socks.address()));
        IsolationKeys keys = new IsolationKeys(new byte[32], epochs, System::currentTimeMillis);
        PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
            List.of(ip("10.139.1.1")), List.of(), DropPolicy.dropAll());
        pipeline = new Pipeline(tun, new GatewayConfig.Pipeline(2, 256, 32, IdleKind.BLOCK), classifier,
            i -> new RelayHandler(settings, egress, limits, budget, keys,
                HostnameResolver.NONE, 64));
        pipeline.start();
        tor = new TorLink(null, null, new NewIdentity(keys));
        state = new GatewayState(pipeline, budget, limits, null, tor, epochs);
        socket = dir.resolve("ctl.sock");
        server = new ControlServer(socket, new PeerAuthorizer(null, Path.of("/etc/group")));
        new GatewayCommands(state).registerAll(server);
        server.start();
    }

    /** Sends 100 000 bytes, then keeps the connection open until the client closes. */
    private void serveTarget() {
        while (!target.isClosed()) {
            try (Socket s = target.accept()) {
                OutputStream out = s.getOutputStream();
                out.write(new byte[100_000]);
                out.flush();
                InputStream in = s.getInputStream();
                in.transferTo(OutputStream.nullOutputStream());
            } catch (Exception e) {
                // next connection
            }
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
        pipeline.close();
        tun.close();
        socks.close();
        target.close();
    }

    private ControlReply ctl(String request) throws Exception {
        return CtlClient.send(socket, request, 10_000);
    }

    private JsonNode json(String request) throws Exception {
        ControlReply r = ctl(request + " --json");
        assertTrue(r.ok(), request + ": " + r.message());
        return JSON.readTree(r.body());
    }

    private TestClient connect(int port) throws Exception {
        TestClient c = new TestClient(tun, CLIENT, port, REMOTE, 80, 256 << 10);
        assertTrue(c.stepUntil(() -> c.has(TcpConnection.EV_ESTABLISHED), 5_000), "handshake");
        ByteBuffer got = ByteBuffer.allocate(200_000);
        assertTrue(c.stepUntil(() -> {
            c.conn.read(got);
            return got.position() == 100_000;
        }, 10_000), "download");
        return c;
    }

    @Test
    void streamsClientsStatusKillAndNewnym() throws Exception {
        TestClient c = connect(40000);
        JsonNode streams = json("streams");
        assertEquals(1, streams.size(), streams.toString());
        JsonNode s = streams.get(0);
        assertEquals(CLIENT, s.get("client").asText());
        assertEquals("work", s.get("client_name").asText());
        assertEquals(40000, s.get("client_port").asInt());
        assertEquals(REMOTE + ":80", s.get("destination").asText());
        assertEquals("relaying", s.get("state").asText());
        assertEquals("default", s.get("profile").asText());
        assertEquals(100_000, s.get("bytes_down").asLong());
        String key = s.get("isolation_key").asText();
        assertEquals(socks.requests().get(0).password(), key, "the key is the SOCKS password tor saw");
        assertEquals(key.substring(16, 28), s.get("isolation_key_id").asText());
        String source = s.get("socks_source").asText();
        assertTrue(source.matches("127\\.0\\.0\\.1:\\d+"), source);
        assertTrue(s.get("circuit").isNull(), "no tor events yet: no circuit");

        // Tor's events for this stream (and a decoy with the same credentials from another source port).
        String creds = " SOCKS_USERNAME=\"<torS0X>0\" SOCKS_PASSWORD=\"" + key + "\"";
        tor.streams().onStream(StreamEvent.parse("STREAM 41 NEW 0 " + REMOTE + ":80 SOURCE_ADDR=127.0.0.1:1"
            + " PURPOSE=USER" + creds));
        tor.streams().onStream(StreamEvent.parse("STREAM 41 SUCCEEDED 9 " + REMOTE + ":80" + creds));
        tor.streams().onStream(StreamEvent.parse("STREAM 42 NEW 0 " + REMOTE + ":80 SOURCE_ADDR=" + source
            + " PURPOSE=USER" + creds));
        tor.streams().onStream(StreamEvent.parse("STREAM 42 SENTCONNECT 7 " + REMOTE + ":80" + creds));
        tor.streams().onStream(StreamEvent.parse("STREAM 42 SUCCEEDED 7 " + REMOTE + ":80" + creds));
        s = json("streams").get(0);
        assertEquals("7", s.get("circuit").asText());
        assertEquals(42, s.get("tor_stream").asLong());
        assertEquals("source_addr", s.get("circuit_matched_by").asText());

        String table = ctl("streams").body();
        assertTrue(table.startsWith("ID"), table);
        assertTrue(table.contains(" work ") && table.contains(REMOTE + ":80") && table.contains("relaying")
            && table.contains(key.substring(16, 28)), table);

        // Tor's stream 42 goes away and 43 appears with our credentials: with the decoy 41, two candidates from
        // other sources for one stream of ours, so the output says ambiguous (with the circuit they share).
        tor.streams().onStream(StreamEvent.parse("STREAM 42 CLOSED 7 " + REMOTE + ":80 REASON=DONE"));
        tor.streams().onStream(StreamEvent.parse("STREAM 43 NEW 0 " + REMOTE + ":80 SOURCE_ADDR=127.0.0.1:2"
            + " PURPOSE=USER" + creds));
        tor.streams().onStream(StreamEvent.parse("STREAM 43 SUCCEEDED 9 " + REMOTE + ":80" + creds));
        s = json("streams").get(0);
        assertEquals("ambiguous", s.get("circuit_matched_by").asText());
        assertTrue(s.get("tor_stream").isNull(), s.toString());
        assertEquals("9", s.get("circuit").asText());
        assertTrue(ctl("streams").body().contains("9 (ambiguous)"), ctl("streams").body());
        tor.streams().onStream(StreamEvent.parse("STREAM 43 CLOSED 9 " + REMOTE + ":80 REASON=DONE"));
        s = json("streams").get(0);
        assertEquals("isolation_key", s.get("circuit_matched_by").asText(), "one candidate left: exact again");
        assertEquals(41, s.get("tor_stream").asLong());

        JsonNode clients = json("clients");
        assertEquals(1, clients.size());
        JsonNode cl = clients.get(0);
        assertEquals(CLIENT, cl.get("client").asText());
        assertEquals("work", cl.get("name").asText());
        assertEquals(1, cl.get("streams").asInt());
        assertEquals(1, cl.get("streams_opened").asInt());
        assertEquals(100_000, cl.get("bytes_down").asLong());
        assertEquals("default", cl.get("profile").asText());
        assertEquals(0, cl.get("limit_hits").asInt());
        assertTrue(ctl("clients").body().contains("work"));

        JsonNode status = json("status");
        assertEquals(1, status.get("streams").asInt());
        assertEquals(2, status.get("workers").asInt());
        assertEquals("no control port configured", status.get("tor").get("error").asText());
        assertTrue(status.get("drops").has("killed"));
        assertEquals(1, status.get("queues").size(), "one TUN queue, its packets read");
        assertEquals(status.get("packets_in").asLong(), status.get("queues").get(0).asLong());
        assertEquals(0, status.get("misqueued_tcp_packets").asLong());
        assertTrue(ctl("status").body().contains("streams   1 open"));

        long id = s.get("id").asLong();
        ControlReply killed = ctl("kill " + id);
        assertTrue(killed.ok(), killed.message());
        assertTrue(c.stepUntil(() -> c.has(TcpConnection.EV_RESET), 5_000), "the killed stream sees a RST");
        assertEquals(1, pipeline.drops(DropReason.KILLED));
        assertTrue(c.stepUntil(() -> socks.active() == 0, 5_000), "SOCKS side closed");
        assertEquals(0, json("streams").size());
        assertEquals(1, json("clients").get(0).get("drops_by_reason").get("killed").asInt());
        ControlReply again = ctl("kill " + id);
        assertFalse(again.ok());
        assertEquals("kill: no open stream " + id, again.message());
        assertEquals("kill: STREAM must be a stream id from 'streams' (got 'x')", ctl("kill x").message());
        assertEquals("usage: kill STREAM (missing STREAM)", ctl("kill").message());

        JsonNode nym = json("newnym work");
        assertEquals(1, nym.get("epoch").asInt());
        assertTrue(nym.get("circuits_closed").isNull(), "no control port: nothing closed");
        assertTrue(ctl("newnym " + CLIENT).body().contains("epoch 2"));
        assertFalse(ctl("newnym nobody").ok());
        connect(40001);
        assertEquals(2, socks.requests().size());
        assertNotEquals(key, socks.requests().get(1).password(), "after newnym the client's key changed");
        assertEquals(key.substring(0, 16), socks.requests().get(1).password().substring(0, 16), "same client tag");
    }

    @Test
    void limitHitsShowInClientsAndMetrics() throws Exception {
        connect(40020);
        TestClient second = new TestClient(tun, CLIENT, 40021, REMOTE, 80, 64 << 10);
        assertTrue(second.stepUntil(() -> second.has(TcpConnection.EV_ESTABLISHED), 5_000), "second stream");
        // The third SYN, raw: one fake TUN cannot feed three TestClients at once.
        tun.inject(io.torgate.gateway.testing.Packets.tcp(CLIENT, 40022, REMOTE, 80, io.torgate.wire.Tcp.SYN, 1000, 0,
            new byte[0]));
        JsonNode c = null;
        for (int i = 0; i < 100 && (c == null || c.get("limit_hits").asInt() == 0); i++) {
            Thread.sleep(50);
            c = json("clients").get(0);
        }
        assertEquals(2, c.get("streams").asInt());
        assertEquals(1, c.get("limit_hits").asInt());
        assertEquals(1, c.get("limit_hits_by_reason").get("stream_limit_client").asInt());
        assertEquals(1, c.get("drops").asInt());
        assertTrue(ctl("clients").body().matches("(?s).*work +2 +2 .* 1 +1 +default +accept-all +0\\n"),
            ctl("clients").body());
        Map<String, Double> m = PrometheusFormat.parse(ctl("metrics").body());
        assertEquals(1.0, m.get("torgate_client_drops_total{client=\"" + CLIENT
            + "\",name=\"work\",reason=\"stream_limit_client\"}"));
    }

    @Test
    void metricsOverTheControlSocketAndHttpParseBack() throws Exception {
        connect(40010);
        ControlReply r = ctl("metrics");
        assertTrue(r.ok(), r.message());
        Map<String, Double> m = PrometheusFormat.parse(r.body());
        assertEquals(100_000.0, m.get(WORK_DOWN));
        assertEquals(1.0, m.get("torgate_client_streams{client=\"10.137.0.5\",name=\"work\"}"));
        assertEquals(1.0, m.get("torgate_streams{state=\"relaying\"}"));
        assertEquals(0.0, m.get("torgate_drops_total{reason=\"killed\"}"));
        assertEquals(1.0, m.get("torgate_socks_connect_seconds_count"));
        assertEquals(-1.0, m.get("torgate_tor_bootstrap_percent"));
        // Buffers are borrowed only while bytes are in flight (issue 8): the gauge is what the budget says now.
        assertEquals((double) state.budget().used(), m.get("torgate_buffer_budget_used_bytes"));
        assertEquals((double) (64L << 20), m.get("torgate_buffer_budget_max_bytes"));
        assertEquals(0.0, m.get("torgate_buffer_budget_refusals_total"), "64 MiB is never short here");

        try (MetricsHttpServer http = new MetricsHttpServer(new GatewayMetrics(state))) {
            InetSocketAddress at = http.start(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}),
                0));
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> ok = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", ok.headers().firstValue("Content-Type").get());
            assertEquals(100_000.0, PrometheusFormat.parse(ok.body())
                .get(WORK_DOWN));
            HttpResponse<String> nf = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort()
                + "/other")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, nf.statusCode());
        }
        MetricsHttpServer wild = new MetricsHttpServer(new GatewayMetrics(state));
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
            () -> wild.start(new InetSocketAddress(InetAddress.getByAddress(new byte[] {0, 0, 0, 0}), 0)));
        assertTrue(e.getMessage().contains("is not a loopback address"), e.getMessage());
    }
}
