package io.torgate.gateway.control;

import java.util.ArrayList;
import java.util.List;

/**
 * A human-readable table: a header row and aligned columns (numbers right-aligned, text left-aligned, null shown
 * as "-"). Not thread-safe; build and print on one thread.
 */
public final class Table {
    private final String[] headers;
    private final List<String[]> rows = new ArrayList<>();
    private final boolean[] numeric;

    public Table(String... headers) {
        this.headers = headers.clone();
        this.numeric = new boolean[headers.length];
        java.util.Arrays.fill(numeric, true);
    }

    /** Adds a row; {@code cells.length} must equal the number of headers. */
    public Table row(Object... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns");
        }
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = cells[i] == null ? "-" : cells[i].toString();
            if (!(cells[i] instanceof Number)) {
                numeric[i] = false;
            }
        }
        rows.add(r);
        return this;
    }

    public int size() {
        return rows.size();
    }

    @Override
    public String toString() {
        int[] width = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            width[i] = headers[i].length();
            for (String[] r : rows) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, headers, width);
        for (String[] r : rows) {
            line(sb, r, width);
        }
        return sb.toString();
    }

    private void line(StringBuilder sb, String[] cells, int[] width) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                l.append("  ");
            }
            String pad = " ".repeat(width[i] - cells[i].length());
            l.append(numeric[i] && !rows.isEmpty() ? pad + cells[i] : cells[i] + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }
}
