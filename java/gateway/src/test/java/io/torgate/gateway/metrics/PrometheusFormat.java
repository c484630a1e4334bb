package io.torgate.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4 for tests: every line is a HELP, a TYPE or a
 * sample; names and label names are legal; label values are well-escaped; each family has exactly one HELP and one
 * TYPE before its samples and its samples are contiguous; histogram buckets are cumulative, end in {@code +Inf}
 * equal to {@code _count}. Returns the samples by their full text key ({@code name{labels}}).
 */
public final class PrometheusFormat {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern SAMPLE = Pattern.compile(
        "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)");
    private static final Pattern LABEL =
        Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");

    private PrometheusFormat() {
    }

    /** Parses and validates; fails the test on the first violation. */
    public static Map<String, Double> parse(String text) {
        Map<String, String> types = new HashMap<>();
        Set<String> helped = new HashSet<>();
        Set<String> finished = new HashSet<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        String current = null;
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                assertEquals(n, text.split("\n", -1).length, "only the final newline may leave an empty line");
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String[] f = line.substring(7).split(" ", 2);
                assertTrue(NAME.matcher(f[0]).matches(), "line " + n + ": bad metric name " + f[0]);
                assertTrue(f.length == 2 && !f[1].isEmpty(), "line " + n + ": empty HELP/TYPE");
                if (current != null && !current.equals(f[0])) {
                    finished.add(current);
                }
                assertTrue(!finished.contains(f[0]), "line " + n + ": family " + f[0] + " is not contiguous");
                current = f[0];
                if (line.startsWith("# HELP ")) {
                    assertTrue(helped.add(f[0]), "line " + n + ": second HELP for " + f[0]);
                } else {
                    assertTrue(Set.of("counter", "gauge", "histogram", "summary", "untyped").contains(f[1]),
                        "line " + n + ": type " + f[1]);
                    assertTrue(types.put(f[0], f[1]) == null, "line " + n + ": second TYPE for " + f[0]);
                }
                continue;
            }
            assertTrue(!line.startsWith("#"), "line " + n + ": unknown comment " + line);
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "line " + n + ": not a sample: " + line);
            String name = m.group(1);
            String family = familyOf(name, types);
            assertTrue(family != null, "line " + n + ": sample of " + name + " without a TYPE before it");
            assertEquals(current, family, "line " + n + ": sample outside its family's block");
            assertTrue(helped.contains(family), "line " + n + ": no HELP for " + family);
            if (m.group(3) != null) {
                String labels = m.group(3);
                Matcher l = LABEL.matcher(labels);
                int at = 0;
                Set<String> names = new HashSet<>();
                while (at < labels.length()) {
                    assertTrue(l.find(at) && l.start() == at, "line " + n + ": bad labels " + labels);
                    assertTrue(names.add(l.group(1)), "line " + n + ": label " + l.group(1) + " twice");
                    at = l.end();
                    if (at < labels.length()) {
                        assertEquals(',', labels.charAt(at), "line " + n + ": labels must be comma separated");
                        at++;
                    }
                }
            }
            String key = name + (m.group(2) == null ? "" : m.group(2));
            assertTrue(samples.put(key, Double.parseDouble(m.group(4).replace("+Inf", "Infinity")
                .replace("-Inf", "-Infinity"))) == null, "line " + n + ": duplicate sample " + key);
        }
        checkHistograms(types, samples);
        return samples;
    }

    private static String familyOf(String name, Map<String, String> types) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                if ("histogram".equals(types.get(base))) {
                    return base;
                }
            }
        }
        return null;
    }

    private static void checkHistograms(Map<String, String> types, Map<String, Double> samples) {
        types.forEach((family, type) -> {
            if (!"histogram".equals(type)) {
                return;
            }
            double last = -1;
            Double inf = null;
            for (Map.Entry<String, Double> e : samples.entrySet()) {
                if (e.getKey().startsWith(family + "_bucket{")) {
                    assertTrue(e.getValue() >= last, family + ": buckets must be cumulative at " + e.getKey());
                    last = e.getValue();
                    if (e.getKey().contains("le=\"+Inf\"")) {
                        inf = e.getValue();
                    }
                }
            }
            if (inf == null) {
                fail(family + ": no +Inf bucket");
            }
            Double count = samples.entrySet().stream().filter(e -> e.getKey().startsWith(family + "_count"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
            assertEquals(inf, count, family + ": +Inf bucket must equal _count");
            assertTrue(samples.keySet().stream().anyMatch(k -> k.startsWith(family + "_sum")), family + ": no _sum");
        });
    }
}
