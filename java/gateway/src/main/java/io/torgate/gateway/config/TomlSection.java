package io.torgate.gateway.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Typed, position-aware access to one table of a parsed TOML file. Every getter records the key as known, so
 * {@link #rejectUnknownKeys()} can report misspellings; every problem is added to a shared error list (not
 * thrown) so one run reports all of them. Confined to the loading thread.
 */
final class TomlSection {
    private final String file;
    private final TomlParseResult root;
    private final String name;
    private final TomlTable table;
    private final List<String> errors;
    private final Set<String> known = new HashSet<>();

    TomlSection(String file, TomlParseResult root, String name, List<String> errors) {
        this.file = file;
        this.root = root;
        this.name = name;
        this.errors = errors;
        TomlTable t = null;
        if (root.contains(name)) {
            if (root.isTable(name)) {
                t = root.getTable(name);
            } else {
                error(root.inputPositionOf(name), name, "must be a table ([" + name + "])");
            }
        }
        this.table = t;
    }

    /** Adds an error at a key of this section. */
    void error(String key, String message) {
        String dotted = name + "." + key;
        error(table == null ? null : root.inputPositionOf(dotted), dotted, message);
    }

    private void error(TomlPosition at, String key, String message) {
        String where = at == null ? file : file + ":" + at.line() + ":" + at.column();
        errors.add(where + ": " + key + ": " + message);
    }

    String string(String key, String fallback) {
        known.add(key);
        if (table == null || !table.contains(key)) {
            return fallback;
        }
        if (!table.isString(key)) {
            error(key, "must be a string");
            return fallback;
        }
        return table.getString(key);
    }

    boolean bool(String key, boolean fallback) {
        known.add(key);
        if (table == null || !table.contains(key)) {
            return fallback;
        }
        if (!table.isBoolean(key)) {
            error(key, "must be true or false");
            return fallback;
        }
        return table.getBoolean(key);
    }

    long integer(String key, long fallback, long min, long max) {
        known.add(key);
        if (table == null || !table.contains(key)) {
            return fallback;
        }
        if (!table.isLong(key)) {
            error(key, "must be an integer");
            return fallback;
        }
        long v = table.getLong(key);
        if (v < min || v > max) {
            error(key, "must be " + min + ".." + max + " (got " + v + ")");
            return fallback;
        }
        return v;
    }

    /** A parsed value: {@code parse} throws IllegalArgumentException with a hint on bad input. */
    <T> T parsed(String key, T fallback, Function<String, T> parse) {
        String text = string(key, null);
        if (text == null) {
            return fallback;
        }
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException e) {
            error(key, e.getMessage());
            return fallback;
        }
    }

    /** An array of strings, each parsed; bad elements are reported by index. */
    <T> List<T> list(String key, List<T> fallback, Function<String, T> parse) {
        return elements(key, fallback, element -> {
            if (!(element instanceof String s)) {
                throw new IllegalArgumentException("must be a string");
            }
            return parse.apply(s);
        });
    }

    /** An array of integers in a range. */
    List<Integer> intList(String key, List<Integer> fallback, int min, int max) {
        return elements(key, fallback, element -> {
            if (!(element instanceof Long v) || v < min || v > max) {
                throw new IllegalArgumentException("must be an integer " + min + ".." + max);
            }
            return v.intValue();
        });
    }

    /** An array whose elements {@code convert} turns into values (throwing IllegalArgumentException with a hint). */
    private <T> List<T> elements(String key, List<T> fallback, Function<Object, T> convert) {
        known.add(key);
        if (table == null || !table.contains(key)) {
            return fallback;
        }
        if (!table.isArray(key)) {
            error(key, "must be an array");
            return fallback;
        }
        TomlArray array = table.getArray(key);
        List<T> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            try {
                out.add(convert.apply(array.get(i)));
            } catch (IllegalArgumentException e) {
                error(key, "element " + i + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** Every key present in the section (for free-form maps such as [drop]). */
    Set<String> keys() {
        return table == null ? Set.of() : table.keySet();
    }

    /** Reports every key that no getter asked for. */
    void rejectUnknownKeys() {
        for (String key : keys()) {
            if (!known.contains(key)) {
                error(key, "unknown key (known: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }
}
