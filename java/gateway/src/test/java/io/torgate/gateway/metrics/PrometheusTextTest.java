package io.torgate.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    @Test
    void writesFamiliesLabelsAndHistogramsTheReaderAccepts() {
        Histogram h = new Histogram(60_000_000L, 3);
        h.recordValue(300);        // 0.3 ms
        h.recordValue(4_000);      // 4 ms
        h.recordValue(2_000_000);  // 2 s
        PrometheusText p = new PrometheusText()
            .family("t_total", "counter", "A counter with a \\ backslash.")
            .sample("t_total", 3, "reason", "a\"b\\c\nd")
            .sample("t_total", 0, "reason", "plain")
            .family("t_seconds", "histogram", "Latency.")
            .histogram("t_seconds", h);
        Map<String, Double> s = PrometheusFormat.parse(p.toString());
        assertEquals(3.0, s.get("t_total{reason=\"a\\\"b\\\\c\\nd\"}"));
        assertEquals(1.0, s.get("t_seconds_bucket{le=\"0.0005\"}"));
        assertEquals(2.0, s.get("t_seconds_bucket{le=\"0.005\"}"));
        assertEquals(2.0, s.get("t_seconds_bucket{le=\"1\"}"));
        assertEquals(3.0, s.get("t_seconds_bucket{le=\"2.5\"}"));
        assertEquals(3.0, s.get("t_seconds_bucket{le=\"+Inf\"}"));
        assertEquals(3.0, s.get("t_seconds_count"));
        assertEquals(2.0043, s.get("t_seconds_sum"), 0.01);
    }

    @Test
    void theReaderRejectsBrokenExpositions() {
        assertThrows(AssertionError.class, () -> PrometheusFormat.parse("x 1\n"), "no TYPE");
        assertThrows(AssertionError.class, () -> PrometheusFormat.parse(
            "# HELP x h\n# TYPE x gauge\nx{1a=\"v\"} 1\n"), "bad label name");
        assertThrows(AssertionError.class, () -> PrometheusFormat.parse(
            "# HELP x h\n# TYPE x gauge\nx{a=\"v\"}\n"), "no value");
        assertThrows(AssertionError.class, () -> PrometheusFormat.parse(
            "# HELP x h\n# TYPE x histogram\nx_bucket{le=\"1\"} 2\nx_bucket{le=\"+Inf\"} 1\nx_sum 1\nx_count 1\n"),
            "not cumulative");
    }
}
