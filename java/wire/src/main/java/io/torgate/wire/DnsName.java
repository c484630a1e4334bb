package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * Domain names in DNS messages (RFC 1035 sections 3.1 and 4.1.4): a cursor that walks the labels of a possibly
 * compressed name with loop protection, plus helpers to print, compare and write names.
 *
 * <p>Rules enforced on untrusted names, each returning a {@link WireError} code instead of throwing:
 * <ul>
 *   <li>labels are at most 63 bytes; the label types 0x40 and 0x80 are reserved (RFC 6891 section 5 retired
 *       the extended types) → {@link WireError#BAD_LABEL};</li>
 *   <li>the whole name in wire form (length bytes, labels and the root byte) is at most 255 bytes
 *       (RFC 1035 section 2.3.4) → {@link WireError#BAD_LABEL};</li>
 *   <li>a compression pointer must point inside the message and strictly before the label sequence that
 *       contains it ("a prior occurrence", RFC 1035 section 4.1.4). A pointer at or after itself is
 *       {@link WireError#BAD_POINTER}; one into the current sequence, which could only loop, is
 *       {@link WireError#POINTER_LOOP}. Each jump therefore lands strictly lower than the last, so a walk
 *       ends in at most (message length / 2) jumps; {@link #MAX_POINTERS} bounds it further;</li>
 *   <li>running past the message end → {@link WireError#TRUNCATED}.</li>
 * </ul>
 *
 * <p>Ownership: a cursor is reused by one thread (each {@link Dns} and {@link DnsWriter} owns one); it holds
 * no data beyond indexes. Not thread-safe. The static helpers are stateless and thread-safe.
 */
public final class DnsName {
    /** Longest name in wire form, in bytes (RFC 1035 section 2.3.4). */
    public static final int MAX_WIRE_LENGTH = 255;
    /** Longest label, in bytes. */
    public static final int MAX_LABEL = 63;
    /**
     * Most pointers followed in one name. A legal name has at most 127 labels, and a compressor that points
     * once per name never needs more than a handful; 127 allows any legal encoding.
     */
    public static final int MAX_POINTERS = 127;

    private static final int POINTER_BITS = 0xC0;

    private ByteBuffer buf;
    private int msgStart;
    private int msgEnd;
    private int pos;
    private int floor;
    private int end;
    private int wireLength;
    private int pointers;
    private int labelOffset;

    /**
     * Starts walking the name at absolute index {@code at} of a message occupying {@code [msgStart, msgEnd)}.
     *
     * @return this
     */
    public DnsName start(ByteBuffer buf, int msgStart, int msgEnd, int at) {
        this.buf = buf;
        this.msgStart = msgStart;
        this.msgEnd = msgEnd;
        this.pos = at;
        this.floor = at;
        this.end = -1;
        this.wireLength = 0;
        this.pointers = 0;
        this.labelOffset = -1;
        return this;
    }

    /**
     * Advances to the next label.
     *
     * @return the label length (1..63) with its bytes at {@link #labelOffset()}, 0 at the root label (the
     *     name is complete and {@link #end()} is valid), or a negative {@link WireError} code
     */
    public int next() {
        while (true) {
            if (pos < msgStart || pos >= msgEnd) {
                return WireError.TRUNCATED;
            }
            int len = buf.get(pos) & 0xFF;
            if ((len & POINTER_BITS) == POINTER_BITS) {
                if (pos + 1 >= msgEnd) {
                    return WireError.TRUNCATED;
                }
                int target = msgStart + (((len & 0x3F) << 8) | (buf.get(pos + 1) & 0xFF));
                if (target >= pos) {
                    return WireError.BAD_POINTER;
                }
                if (target >= floor || ++pointers > MAX_POINTERS) {
                    return WireError.POINTER_LOOP;
                }
                if (end < 0) {
                    end = pos + 2;
                }
                pos = target;
                floor = target;
                continue;
            }
            if (len > MAX_LABEL) {
                return WireError.BAD_LABEL;
            }
            wireLength += len + 1;
            if (wireLength > MAX_WIRE_LENGTH) {
                return WireError.BAD_LABEL;
            }
            if (len == 0) {
                if (end < 0) {
                    end = pos + 1;
                }
                return 0;
            }
            if (pos + 1 + len > msgEnd) {
                return WireError.TRUNCATED;
            }
            labelOffset = pos + 1;
            pos += 1 + len;
            return len;
        }
    }

    /** Absolute index of the current label's first byte (after {@link #next()} returned a positive length). */
    public int labelOffset() {
        return labelOffset;
    }

    /** Absolute index just after the name where it started (after a pointer, or after the root byte). */
    public int end() {
        return end;
    }

    /** Wire length of the expanded name so far, root byte included once {@link #next()} returned 0. */
    public int wireLength() {
        return wireLength;
    }

    /**
     * Walks a whole name.
     *
     * @return the absolute index after it (see {@link #end()}), or a negative {@link WireError} code
     */
    public int skip(ByteBuffer buf, int msgStart, int msgEnd, int at) {
        start(buf, msgStart, msgEnd, at);
        int len;
        do {
            len = next();
        } while (len > 0);
        return len < 0 ? len : end;
    }

    /**
     * Appends the name in presentation form (RFC 1035 section 5.1): labels joined by dots, no trailing dot, the
     * root as "."; bytes other than letters, digits, '-' and '_' are escaped as {@code \DDD} or {@code \.}.
     *
     * @return the absolute index after the name, or a negative {@link WireError} code (out holds a prefix)
     */
    public int appendTo(ByteBuffer buf, int msgStart, int msgEnd, int at, StringBuilder out) {
        start(buf, msgStart, msgEnd, at);
        int labels = 0;
        int len;
        while ((len = next()) > 0) {
            if (labels++ > 0) {
                out.append('.');
            }
            for (int i = labelOffset; i < labelOffset + len; i++) {
                appendEscaped(out, buf.get(i) & 0xFF);
            }
        }
        if (len == 0 && labels == 0) {
            out.append('.');
        }
        return len < 0 ? len : end;
    }

    private static void appendEscaped(StringBuilder out, int b) {
        boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-'
            || b == '_';
        if (plain) {
            out.append((char) b);
        } else if (b == '.' || b == '\\') {
            out.append('\\').append((char) b);
        } else {
            out.append('\\').append((char) ('0' + b / 100)).append((char) ('0' + b / 10 % 10))
                .append((char) ('0' + b % 10));
        }
    }

    /**
     * Compares the wire name at {@code at} with a dotted name, ASCII case-insensitively (RFC 4343 section 3).
     * The text must be plain (no escapes); a trailing dot is ignored. A malformed wire name is unequal.
     */
    public boolean equalsIgnoreCase(ByteBuffer buf, int msgStart, int msgEnd, int at, CharSequence name) {
        int textEnd = name.length();
        if (textEnd > 0 && name.charAt(textEnd - 1) == '.') {
            textEnd--;
        }
        start(buf, msgStart, msgEnd, at);
        int t = 0;
        int len;
        while ((len = next()) > 0) {
            if (t > 0) {
                if (t >= textEnd || name.charAt(t) != '.') {
                    return false;
                }
                t++;
            }
            if (t + len > textEnd) {
                return false;
            }
            for (int i = 0; i < len; i++) {
                if (lower(buf.get(labelOffset + i) & 0xFF) != lower(name.charAt(t + i))) {
                    return false;
                }
            }
            t += len;
        }
        return len == 0 && t == textEnd;
    }

    /**
     * True when the wire name's last label equals {@code label} case-insensitively, e.g. "onion" for
     * {@code abc.onion}. A malformed wire name gives false.
     */
    public boolean hasTopLabel(ByteBuffer buf, int msgStart, int msgEnd, int at, CharSequence label) {
        start(buf, msgStart, msgEnd, at);
        int lastOffset = -1;
        int lastLength = 0;
        int len;
        while ((len = next()) > 0) {
            lastOffset = labelOffset;
            lastLength = len;
        }
        if (len < 0 || lastOffset < 0 || lastLength != label.length()) {
            return false;
        }
        for (int i = 0; i < lastLength; i++) {
            if (lower(buf.get(lastOffset + i) & 0xFF) != lower(label.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }

    /**
     * Writes a dotted name (presentation form, {@code \DDD} and {@code \X} escapes allowed, trailing dot
     * optional, "" or "." for the root) uncompressed at {@code at}.
     *
     * @param limit absolute index the name must not reach
     * @return the absolute index after the root byte, or {@link WireError#BAD_LABEL} (empty or over-long label,
     *     name over 255 bytes, bad escape) or {@link WireError#TRUNCATED} (no room before {@code limit})
     */
    public static int write(ByteBuffer buf, int at, int limit, CharSequence name) {
        int n = name.length();
        if (n == 1 && name.charAt(0) == '.') {
            n = 0;
        }
        int lengthAt = at;
        int w = at + 1;
        int i = 0;
        while (i < n) {
            char c = name.charAt(i++);
            if (c == '.') {
                if (w - lengthAt - 1 == 0) {
                    return WireError.BAD_LABEL;
                }
                if (closeLabel(buf, lengthAt, w) < 0) {
                    return WireError.BAD_LABEL;
                }
                lengthAt = w++;
                continue;
            }
            int b = c;
            if (c == '\\') {
                if (i < n && isDigit(name.charAt(i))) {
                    if (i + 3 > n || !isDigit(name.charAt(i + 1)) || !isDigit(name.charAt(i + 2))) {
                        return WireError.BAD_LABEL;
                    }
                    b = (name.charAt(i) - '0') * 100 + (name.charAt(i + 1) - '0') * 10 + (name.charAt(i + 2) - '0');
                    i += 3;
                } else if (i < n) {
                    b = name.charAt(i++);
                } else {
                    return WireError.BAD_LABEL;
                }
            }
            if (b > 0xFF) {
                return WireError.BAD_LABEL;
            }
            if (w - at >= MAX_WIRE_LENGTH - 1) {
                return WireError.BAD_LABEL;
            }
            if (w >= limit) {
                return WireError.TRUNCATED;
            }
            buf.put(w++, (byte) b);
        }
        if (w - lengthAt - 1 > 0) {
            if (closeLabel(buf, lengthAt, w) < 0) {
                return WireError.BAD_LABEL;
            }
            lengthAt = w++;
        } else if (n > 0 && name.charAt(n - 1) != '.') {
            return WireError.BAD_LABEL;
        }
        if (lengthAt >= limit) {
            return WireError.TRUNCATED;
        }
        buf.put(lengthAt, (byte) 0);
        return lengthAt + 1;
    }

    private static int closeLabel(ByteBuffer buf, int lengthAt, int w) {
        int len = w - lengthAt - 1;
        if (len > MAX_LABEL) {
            return -1;
        }
        buf.put(lengthAt, (byte) len);
        return len;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
