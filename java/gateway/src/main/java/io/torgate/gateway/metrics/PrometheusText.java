package io.torgate.gateway.metrics;

import org.HdrHistogram.Histogram;

/**
 * Builds the Prometheus text exposition format (version 0.0.4): per metric family one {@code # HELP} and one
 * {@code # TYPE} line, then its samples, each {@code name{label="value",...} number}. Label values are escaped
 * (backslash, quote, newline). Not thread-safe: one instance per scrape.
 */
public final class PrometheusText {
    /** Histogram bucket bounds in seconds, for latencies from sub-millisecond (DNS map hits) to a minute. */
    public static final double[] LATENCY_BUCKETS = {
        0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final StringBuilder sb = new StringBuilder(8192);

    /** Starts a family: HELP and TYPE ({@code counter}, {@code gauge} or {@code histogram}). */
    public PrometheusText family(String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n"))
            .append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /**
     * One sample.
     *
     * @param labels alternating label names and values (names must be legal: {@code [a-zA-Z_][a-zA-Z0-9_]*})
     */
    public PrometheusText sample(String name, double value, String... labels) {
        sb.append(name);
        labels(labels, null);
        sb.append(' ').append(number(value)).append('\n');
        return this;
    }

    /**
     * A histogram family's samples from an HdrHistogram of microseconds: cumulative {@code _bucket{le="..."}}
     * counts over {@link #LATENCY_BUCKETS} and {@code +Inf}, {@code _sum} in seconds and {@code _count}. Bucket
     * edges fall within HdrHistogram's value precision (3 significant digits → 0.1%); the sum is
     * {@code mean × count}, exact up to the same precision.
     */
    public PrometheusText histogram(String name, Histogram micros, String... labels) {
        for (double le : LATENCY_BUCKETS) {
            long bound = (long) Math.round(le * 1_000_000);
            long count = micros.getTotalCount() == 0 ? 0 : micros.getCountBetweenValues(0, bound);
            sb.append(name).append("_bucket");
            labels(labels, number(le));
            sb.append(' ').append(count).append('\n');
        }
        sb.append(name).append("_bucket");
        labels(labels, "+Inf");
        sb.append(' ').append(micros.getTotalCount()).append('\n');
        double sum = micros.getTotalCount() == 0 ? 0 : micros.getMean() * micros.getTotalCount() / 1e6;
        sb.append(name).append("_sum");
        labels(labels, null);
        sb.append(' ').append(number(sum)).append('\n');
        sb.append(name).append("_count");
        labels(labels, null);
        sb.append(' ').append(micros.getTotalCount()).append('\n');
        return this;
    }

    private void labels(String[] labels, String le) {
        if (labels.length == 0 && le == null) {
            return;
        }
        sb.append('{');
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(labels[i]).append("=\"").append(escape(labels[i + 1])).append('"');
        }
        if (le != null) {
            if (labels.length > 0) {
                sb.append(',');
            }
            sb.append("le=\"").append(le).append('"');
        }
        sb.append('}');
    }

    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        if (Double.isNaN(v)) {
            return "NaN";
        }
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
