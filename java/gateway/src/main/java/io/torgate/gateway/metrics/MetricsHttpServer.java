package io.torgate.gateway.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves {@code GET /metrics} (Prometheus text format 0.0.4) on a loopback address with the JDK's HTTP server, on
 * one thread of its own (a scrape is a few snapshots; Prometheus scrapes seconds apart). Anything but GET /metrics
 * gets 404/405. The address was validated as loopback by the configuration; this class checks again.
 *
 * <p>Thread-safe: {@link #start} and {@link #close} from the controlling thread.
 */
public final class MetricsHttpServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger(MetricsHttpServer.class.getName());
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final GatewayMetrics metrics;
    private HttpServer server;
    private ExecutorService executor;

    public MetricsHttpServer(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    /** Binds and starts; returns the bound address (port 0 picks a free one). */
    public synchronized InetSocketAddress start(InetSocketAddress listen) throws IOException {
        if (!listen.getAddress().isLoopbackAddress()) {
            throw new IOException("metrics.listen " + listen + " is not a loopback address");
        }
        server = HttpServer.create(listen, 8);
        executor = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("torgate-metrics").unstarted(r));
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        LOG.log(Level.INFO, "metrics at http://{0}:{1}/metrics", listen.getAddress().getHostAddress(),
            server.getAddress().getPort());
        return server.getAddress();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"/metrics".equals(ex.getRequestURI().getPath())) {
                send(ex, 404, "not found: GET /metrics\n");
            } else if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                send(ex, 405, "method not allowed\n");
            } else {
                String body;
                try {
                    body = metrics.render();
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "metrics scrape failed: {0}", e.toString());
                    send(ex, 503, "metrics unavailable: " + e.getMessage() + "\n");
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
                send(ex, 200, body);
            }
        }
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(code, head ? -1 : b.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }
}
