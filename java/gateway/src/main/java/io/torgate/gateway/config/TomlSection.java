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
    private final String name;
    private final TomlTable table;
    private final TomlPosition start;
    private final List<String> errors;
    private final Set<String> known = new HashSet<>();

    /** The top-level table {@code name} (absent: every getter gives its fallback). */
    TomlSection(String file, TomlParseResult root, String name, List<String> errors) {
        this.file = file;
        this.name = name;
        this.errors = errors;
        TomlTable t = null;
        if (root.contains(List.of(name))) {
            if (root.isTable(List.of(name))) {
                t = root.getTable(List.of(name));
            } else {
                error(root.inputPositionOf(List.of(name)), name, "must be a table ([" + name + "])");
            }
        }
        this.table = t;
        this.start = null;
    }

    /**
     * A nested table, e.g. one element of an array of tables ({@code clients[2]}) or {@code firewalls.work}.
     *
     * @param start where the table starts, for errors about the table as a whole (a missing key)
     */
    TomlSection(String file, TomlTable table, String name, TomlPosition start, List<String> errors) {
        this.file = file;
        this.name = name;
        this.table = table;
        this.start = start;
        this.errors = errors;
    }

    /** Display name: {@code limits}, {@code clients[2]}. */
    String name() {
        return name;
    }

    /** The table itself (null when the section is absent). */
    TomlTable table() {
        return table;
    }

    /** Adds an error at a key of this section (at the table's start when the key is absent). */
    void error(String key, String message) {
        TomlPosition at = table == null ? null : table.inputPositionOf(List.of(key));
        error(at == null ? start : at, name.isEmpty() ? key : name + "." + key, message);
    }

    private void error(TomlPosition at, String key, String message) {
        String where = at == null ? file : file + ":" + at.line() + ":" + at.column();
        errors.add(where + ": " + key + ": " + message);
    }

    /** The value of {@code key} as tomlj has it (String, Long, Boolean, ...), or null when absent; marks it known. */
    Object raw(String key) {
        known.add(key);
        return table == null ? null : table.get(List.of(key));
    }

    String string(String key, String fallback) {
        known.add(key);
        if (table == null || !table.contains(List.of(key))) {
            return fallback;
        }
        if (!table.isString(List.of(key))) {
            error(key, "must be a string");
            return fallback;
        }
        return table.getString(List.of(key));
    }

    boolean bool(String key, boolean fallback) {
        known.add(key);
        if (table == null || !table.contains(List.of(key))) {
            return fallback;
        }
        if (!table.isBoolean(List.of(key))) {
            error(key, "must be true or false");
            return fallback;
        }
        return table.getBoolean(List.of(key));
    }

    long integer(String key, long fallback, long min, long max) {
        known.add(key);
        if (table == null || !table.contains(List.of(key))) {
            return fallback;
        }
        if (!table.isLong(List.of(key))) {
            error(key, "must be an integer");
            return fallback;
        }
        long v = table.getLong(List.of(key));
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
        if (table == null || !table.contains(List.of(key))) {
            return fallback;
        }
        if (!table.isArray(List.of(key))) {
            error(key, "must be an array");
            return fallback;
        }
        TomlArray array = table.getArray(List.of(key));
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

    /** Marks a key as known without reading it (one a caller reads by hand). */
    void know(String key) {
        known.add(key);
    }

    /**
     * The tables under {@code key}: an array of tables ({@code [[clients]]}, inline or not) as {@code key[i]}, or a
     * table of tables ({@code [firewalls.work]}) as {@code key.name}. Anything else is an error.
     */
    List<TomlSection> tables(String key, boolean array) {
        known.add(key);
        List<TomlSection> out = new ArrayList<>();
        if (table == null || !table.contains(List.of(key))) {
            return out;
        }
        String prefix = name.isEmpty() ? key : name + "." + key;
        if (array && table.isArray(List.of(key))) {
            TomlArray a = table.getArray(List.of(key));
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i) instanceof TomlTable t) {
                    out.add(new TomlSection(file, t, prefix + "[" + i + "]", a.inputPositionOf(i), errors));
                } else {
                    error(key, "element " + i + ": must be a table");
                }
            }
        } else if (!array && table.isTable(List.of(key))) {
            TomlTable sub = table.getTable(List.of(key));
            for (String k : new TreeSet<>(sub.keySet())) {
                if (sub.isTable(List.of(k))) {
                    out.add(new TomlSection(file, sub.getTable(List.of(k)), prefix + "." + k,
                        sub.inputPositionOf(List.of(k)), errors));
                } else {
                    error(sub.inputPositionOf(List.of(k)), prefix + "." + k, "must be a table ([" + prefix + "."
                        + k + "])");
                }
            }
        } else {
            error(key, array ? "must be an array of tables ([[" + prefix + "]])"
                : "must be a table of tables ([" + prefix + ".NAME])");
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
