package io.torgate.stack;

import io.torgate.wire.WireError;

/**
 * Event and drop counters for the TCP stack, by reason. Malformed input is counted under the {@link WireError}
 * label that rejected it; protocol-level drops and notable events have their own labels.
 *
 * <p>Ownership and thread-safety: one instance per worker thread, shared by the connections that thread owns;
 * plain {@code long} increments, not thread-safe. A metrics reader on another thread sees eventually-consistent
 * values (torn reads of a long are acceptable for monitoring on 64-bit JVMs).
 */
public final class TcpCounters {
    // Protocol-level reasons, numbered after the WireError codes so one array holds both.
    public static final int SEGMENTS_IN = WireError.COUNT;
    public static final int SEGMENTS_OUT = SEGMENTS_IN + 1;
    public static final int RETRANSMITS = SEGMENTS_IN + 2;
    public static final int FAST_RETRANSMITS = SEGMENTS_IN + 3;
    public static final int RTO_EXPIRED = SEGMENTS_IN + 4;
    public static final int OUT_OF_WINDOW = SEGMENTS_IN + 5;
    public static final int PAWS_REJECTED = SEGMENTS_IN + 6;
    public static final int CHALLENGE_ACKS = SEGMENTS_IN + 7;
    public static final int CHALLENGE_ACKS_LIMITED = SEGMENTS_IN + 8;
    public static final int RESETS_IN = SEGMENTS_IN + 9;
    public static final int RESETS_OUT = SEGMENTS_IN + 10;
    public static final int DUPLICATE_SYNS = SEGMENTS_IN + 11;
    public static final int BAD_ACK = SEGMENTS_IN + 12;
    public static final int NO_ACK_FLAG = SEGMENTS_IN + 13;
    public static final int RETRY_LIMIT = SEGMENTS_IN + 14;
    public static final int PERSIST_PROBES = SEGMENTS_IN + 15;
    public static final int KEEPALIVE_PROBES = SEGMENTS_IN + 16;
    public static final int KEEPALIVE_TIMEOUTS = SEGMENTS_IN + 17;
    public static final int SINK_FULL = SEGMENTS_IN + 18;
    public static final int DATA_AFTER_CLOSE = SEGMENTS_IN + 19;
    public static final int DUP_ACKS = SEGMENTS_IN + 20;
    public static final int SEGMENT_IN_CLOSED = SEGMENTS_IN + 21;
    public static final int FIN_WAIT_2_TIMEOUTS = SEGMENTS_IN + 22;
    public static final int URGENT_IGNORED = SEGMENTS_IN + 23;
    /** A retransmission was itself lost (a segment sent after it was delivered first) and was sent again. */
    public static final int LOST_RETRANSMITS = SEGMENTS_IN + 24;
    /**
     * Segment text (or its tail) dropped unacknowledged because the buffer budget had no memory for it; the peer
     * sends it again ({@link ReceiveBuffer#shortOfMemory()}).
     */
    public static final int RCV_NO_MEMORY = SEGMENTS_IN + 25;

    private static final String[] NAMES = {
        "segments_in", "segments_out", "retransmits", "fast_retransmits", "rto_expired", "out_of_window",
        "paws_rejected", "challenge_acks", "challenge_acks_limited", "resets_in", "resets_out", "duplicate_syns",
        "bad_ack", "no_ack_flag", "retry_limit", "persist_probes", "keepalive_probes", "keepalive_timeouts",
        "sink_full", "data_after_close", "dup_acks", "segment_in_closed", "fin_wait_2_timeouts", "urgent_ignored",
        "lost_retransmits", "rcv_no_memory",
    };

    /** Number of counters: WireError codes first, then the protocol reasons above. */
    public static final int COUNT = WireError.COUNT + NAMES.length;

    private final long[] values = new long[COUNT];

    /** Counts a malformed segment under its {@link WireError} code. */
    public void wireError(int code) {
        values[wireIndex(code)]++;
    }

    public void increment(int reason) {
        values[reason]++;
    }

    public long get(int reason) {
        return values[reason];
    }

    /** Count for a {@link WireError} code. */
    public long wireErrors(int code) {
        return values[wireIndex(code)];
    }

    /** {@code -code} for a known {@link WireError} code, else 0 (the "ok" slot, never otherwise counted). */
    private static int wireIndex(int code) {
        return code <= 0 && code > -WireError.COUNT ? -code : 0;
    }

    /** Stable lowercase label of a counter index, for metrics. */
    public static String name(int reason) {
        return reason < WireError.COUNT ? WireError.name(-reason) : NAMES[reason - WireError.COUNT];
    }
}
