package io.torgate.wire;

/**
 * Result codes of the checked parsing path ({@code checkLength()} and friends). {@link #OK} is zero and every
 * error is negative, so callers can test {@code code < 0} and pass the code straight to a drop counter.
 *
 * <p>Parsers of untrusted bytes return one of these codes instead of throwing: a malformed packet is counted
 * and dropped, it never unwinds the packet loop. {@link #name(int)} gives the stable lowercase label used for
 * counters and logs; the labels are part of the metrics contract and must not change.
 *
 * <p>Stateless and thread-safe.
 */
public final class WireError {
    /** The bytes are well formed as far as the check went. */
    public static final int OK = 0;
    /** The buffer ends before a fixed header, an option, a label or a record does. */
    public static final int TRUNCATED = -1;
    /** The IP version nibble is not the one this flyweight parses. */
    public static final int BAD_VERSION = -2;
    /** IPv4 IHL below 5 words or beyond the total length. */
    public static final int BAD_HEADER_LENGTH = -3;
    /** A length field (IPv4 total length, UDP length) is beyond the buffer or below the header. */
    public static final int BAD_TOTAL_LENGTH = -4;
    /** The Internet checksum (RFC 1071) does not verify. */
    public static final int BAD_CHECKSUM = -5;
    /** TCP data offset below 5 words or beyond the segment. */
    public static final int BAD_DATA_OFFSET = -6;
    /** A TCP/IP option has a zero, too short or overrunning length. */
    public static final int BAD_OPTION = -7;
    /** A DNS label is longer than 63 bytes, uses a reserved label type or a name exceeds 255 bytes. */
    public static final int BAD_LABEL = -8;
    /** A DNS compression pointer points forward, at itself, or outside the message. */
    public static final int BAD_POINTER = -9;
    /** A DNS name follows more compression pointers than any legal message needs. */
    public static final int POINTER_LOOP = -10;
    /** A DNS section count does not match the records present (or is absurd for the message size). */
    public static final int BAD_COUNT = -11;
    /** Well formed but outside what we implement (e.g. DNS opcode other than QUERY, several questions). */
    public static final int UNSUPPORTED = -12;

    private static final String[] NAMES = {
        "ok", "truncated", "bad_version", "bad_header_length", "bad_total_length", "bad_checksum",
        "bad_data_offset", "bad_option", "bad_label", "bad_pointer", "pointer_loop", "bad_count", "unsupported",
    };

    /** Number of distinct codes including {@link #OK}; codes are {@code 0 .. -(COUNT-1)}, handy for counter arrays. */
    public static final int COUNT = NAMES.length;

    private WireError() {
    }

    /**
     * Stable lowercase label for a code, e.g. {@code "bad_checksum"}.
     *
     * @param code a code from this class
     * @return its label, or {@code "unknown"} for anything else (never null, never throws)
     */
    public static String name(int code) {
        int index = -code;
        return index >= 0 && index < NAMES.length ? NAMES[index] : "unknown";
    }
}
