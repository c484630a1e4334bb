package io.torgate.tor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokenising of control-port reply lines (control-spec §2.1): space-separated positional arguments followed by
 * {@code KEY=value} pairs whose values may be QuotedStrings with C-style escapes ({@code \" \\ \n \t \r} and
 * octal {@code \NNN}, as tor's {@code decode_escaped_string} accepts).
 *
 * <p>Stateless; thread-safe. Never throws on malformed input: an unterminated quote ends at the end of the line.
 */
public final class ControlSyntax {
    private ControlSyntax() {
    }

    /** A tokenised line: positional words first, then keyword arguments (insertion-ordered). */
    public record Tokens(List<String> positional, Map<String, String> keywords) {
        public String positional(int i) {
            return i < positional.size() ? positional.get(i) : null;
        }
    }

    /**
     * Splits a line. A token containing '=' with a plausible keyword name before it (upper case, digits, '_')
     * starts the keyword section; later bare words are kept as positional.
     */
    public static Tokens tokenize(String line) {
        List<String> pos = new ArrayList<>();
        Map<String, String> kw = new LinkedHashMap<>();
        int i = 0;
        int n = line.length();
        StringBuilder sb = new StringBuilder();
        while (i < n) {
            while (i < n && line.charAt(i) == ' ') {
                i++;
            }
            if (i >= n) {
                break;
            }
            int start = i;
            while (i < n && line.charAt(i) != ' ' && line.charAt(i) != '=' && line.charAt(i) != '"') {
                i++;
            }
            if (i < n && line.charAt(i) == '=' && isKeyword(line, start, i)) {
                String key = line.substring(start, i);
                i++;
                sb.setLength(0);
                i = readValue(line, i, sb);
                kw.put(key, sb.toString());
            } else {
                sb.setLength(0);
                i = readValue(line, start, sb);
                pos.add(sb.toString());
            }
        }
        return new Tokens(pos, kw);
    }

    private static boolean isKeyword(String s, int from, int to) {
        if (from == to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
                    || c == '/')) {
                return false;
            }
        }
        return true;
    }

    /** Reads a bare word or a QuotedString starting at {@code i} into {@code sb}; returns the index after it. */
    static int readValue(String s, int i, StringBuilder sb) {
        int n = s.length();
        if (i < n && s.charAt(i) == '"') {
            return readQuoted(s, i + 1, sb);
        }
        while (i < n && s.charAt(i) != ' ') {
            sb.append(s.charAt(i++));
        }
        return i;
    }

    private static int readQuoted(String s, int i, StringBuilder sb) {
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i++);
            if (c == '"') {
                return i;
            }
            if (c != '\\' || i >= n) {
                sb.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int k = 0; k < 2 && i < n && s.charAt(i) >= '0' && s.charAt(i) <= '7'; k++) {
                            v = v * 8 + (s.charAt(i++) - '0');
                        }
                        sb.append((char) (v & 0xFF));
                    } else {
                        sb.append(e); // \" \\ \' and anything else: the character itself
                    }
                }
            }
        }
        return i;
    }

    /** Encodes a string as a control-port QuotedString. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"', '\\' -> sb.append('\\').append(c);
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
