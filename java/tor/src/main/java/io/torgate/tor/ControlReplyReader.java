package io.torgate.tor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one reply from a control connection (control-spec §2.3):
 * {@code *(MidReplyLine / DataReplyLine) EndReplyLine}, where a MidReplyLine is {@code NNN-text}, a
 * DataReplyLine {@code NNN+text} followed by a dot-terminated data block, and the EndReplyLine {@code NNN text}.
 *
 * <p>Stateless; thread-safe (the stream belongs to the caller).
 */
final class ControlReplyReader {
    /** A longer line is a broken peer, not tor: stop rather than buffer without bound. */
    static final int MAX_LINE = 1 << 20;

    private ControlReplyReader() {
    }

    /** The next reply, or null at a clean end of stream before any byte of a reply. */
    static ControlReply read(InputStream in) throws IOException {
        List<ControlReply.Line> lines = new ArrayList<>();
        while (true) {
            String line = readLine(in);
            if (line == null) {
                if (lines.isEmpty()) {
                    return null;
                }
                throw new IOException("control connection ended inside a reply");
            }
            if (line.length() < 4 || !isCode(line)) {
                throw new IOException("malformed control reply line: " + abbreviate(line));
            }
            int status = Integer.parseInt(line.substring(0, 3));
            char sep = line.charAt(3);
            String text = line.substring(4);
            switch (sep) {
                case ' ' -> {
                    lines.add(new ControlReply.Line(status, text, null));
                    return new ControlReply(status, lines);
                }
                case '-' -> lines.add(new ControlReply.Line(status, text, null));
                case '+' -> lines.add(new ControlReply.Line(status, text, readData(in)));
                default -> throw new IOException("malformed control reply line: " + abbreviate(line));
            }
        }
    }

    private static boolean isCode(String line) {
        for (int i = 0; i < 3; i++) {
            if (line.charAt(i) < '0' || line.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static String readData(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            String l = readLine(in);
            if (l == null) {
                throw new IOException("control connection ended inside a data block");
            }
            if (l.equals(".")) {
                return sb.toString();
            }
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            // Dot-stuffing: a data line starting with '.' was sent with an extra leading '.'.
            sb.append(l.startsWith(".") ? l.substring(1) : l);
        }
    }

    /** One CRLF- (or LF-) terminated line without the terminator; null at end of stream with nothing read. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] a = b.toByteArray();
                int len = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
                return new String(a, 0, len, StandardCharsets.UTF_8);
            }
            if (b.size() >= MAX_LINE) {
                throw new IOException("control reply line longer than " + MAX_LINE + " bytes");
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
