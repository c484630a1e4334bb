package io.torgate.gateway.control;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes control-socket output as JSON (RFC 8259) from plain values: {@link Map} (keys in iteration order, use a
 * LinkedHashMap), {@link List}, {@link CharSequence}, {@link Number}, {@link Boolean} and null. Small enough that a
 * JSON library would add a dependency for a dozen lines. Stateless.
 */
public final class Json {
    private Json() {
    }

    /** The JSON text of {@code value}, followed by a newline. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        value(sb, value);
        return sb.append('\n').toString();
    }

    private static void value(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof CharSequence s) {
            string(sb, s);
        } else if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
            sb.append("null"); // JSON has no NaN or infinities
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                string(sb, String.valueOf(e.getKey()));
                sb.append(':');
                value(sb, e.getValue());
                if (it.hasNext()) {
                    sb.append(',');
                }
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                value(sb, l.get(i));
            }
            sb.append(']');
        } else {
            string(sb, v.toString());
        }
    }

    /** RFC 8259 section 7: quote, backslash and control characters escaped. */
    private static void string(StringBuilder sb, CharSequence s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
