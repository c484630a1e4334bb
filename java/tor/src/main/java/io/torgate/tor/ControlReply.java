package io.torgate.tor;

import java.util.List;

/**
 * One reply from tor's control port (control-spec §2.3): one or more lines with the same status code; a line
 * sent as {@code NNN+keyword=} carries a data block (the dot-terminated lines that followed, dot-unstuffed,
 * joined with '\n').
 *
 * <p>Immutable; thread-safe.
 *
 * @param status the 3-digit status of the final line (2xx success, 4xx/5xx errors, 6xx asynchronous events)
 * @param lines  every line in order
 */
public record ControlReply(int status, List<Line> lines) {
    /**
     * One reply line.
     *
     * @param status 3-digit code of this line
     * @param text   the text after the code and separator
     * @param data   the data block when the separator was '+', else null
     */
    public record Line(int status, String text, String data) {
    }

    public ControlReply {
        lines = List.copyOf(lines);
    }

    public boolean isOk() {
        return status >= 200 && status < 300;
    }

    /** The text of the first line (the event line for 6xx replies). */
    public String firstText() {
        return lines.isEmpty() ? "" : lines.get(0).text();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Line l : lines) {
            sb.append(l.status()).append(' ').append(l.text());
            if (l.data() != null) {
                sb.append('\n').append(l.data());
            }
            sb.append('\n');
        }
        return sb.toString().strip();
    }
}
