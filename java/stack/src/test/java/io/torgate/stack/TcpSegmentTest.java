package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@link TcpSegment#parse} checks everything; {@link TcpSegment#parseChecksumVerified} skips only the checksum
 * (already verified by the caller) and still rejects every structural fault of untrusted bytes.
 */
class TcpSegmentTest {
    private static final int SRC = 0x0a890005;
    private static final int DST = 0x5db8d822;
    private static final int AT = 20;

    private final TcpSegment segment = new TcpSegment();
    private final TcpCounters counters = new TcpCounters();

    /** A data segment with MSS and SACK-permitted options at offset {@link #AT} of a larger buffer. */
    private static ByteBuffer segmentWithOptions(int payload) {
        ByteBuffer buf = ByteBuffer.allocate(AT + 60 + payload);
        Tcp tcp = new Tcp().wrap(buf, AT, buf.capacity() - AT);
        TcpOptions opts = new TcpOptions();
        opts.mss = 1460;
        opts.sackPermitted = true;
        int hl = tcp.writeHeader(40000, 80, 1001, 2002, Tcp.ACK | Tcp.PSH, 65535, opts, payload);
        for (int i = 0; i < payload; i++) {
            buf.put(AT + hl + i, (byte) i);
        }
        tcp.fillChecksum(SRC, DST);
        return buf.limit(AT + hl + payload);
    }

    private int checked(ByteBuffer buf) {
        return segment.parse(buf, AT, buf.limit() - AT, SRC, DST, counters);
    }

    private int trusted(ByteBuffer buf) {
        return segment.parseChecksumVerified(buf, AT, buf.limit() - AT, SRC, DST, counters);
    }

    @Test
    void bothPathsParseTheSameFields() {
        ByteBuffer buf = segmentWithOptions(100);
        assertEquals(WireError.OK, checked(buf));
        assertEquals(WireError.OK, trusted(buf));
        assertEquals(1001, segment.seq());
        assertEquals(2002, segment.ack());
        assertEquals(100, segment.payloadLength());
        assertEquals(1460, segment.options().mss);
        assertEquals(SRC, segment.sourceAddress());
    }

    @Test
    void onlyTheCheckedPathLooksAtTheChecksum() {
        ByteBuffer buf = segmentWithOptions(100);
        buf.put(AT + 40, (byte) (buf.get(AT + 40) ^ 0x5a));
        assertEquals(WireError.BAD_CHECKSUM, checked(buf));
        assertEquals(1, counters.wireErrors(WireError.BAD_CHECKSUM));
        assertEquals(WireError.OK, trusted(buf), "the caller vouched for the checksum");
    }

    @Test
    void trustedPathStillRejectsTruncatedHeaders() {
        ByteBuffer buf = segmentWithOptions(0);
        assertEquals(WireError.TRUNCATED, segment.parseChecksumVerified(buf, AT, 19, SRC, DST, counters));
        assertEquals(1, counters.wireErrors(WireError.TRUNCATED));
    }

    @Test
    void trustedPathStillRejectsBadDataOffsets() {
        ByteBuffer buf = segmentWithOptions(0);
        new Tcp().wrap(buf, AT, buf.limit() - AT).headerLength(16);
        assertEquals(WireError.BAD_DATA_OFFSET, trusted(buf));
        ByteBuffer past = segmentWithOptions(0);
        new Tcp().wrap(past, AT, past.limit() - AT).headerLength(60);
        assertEquals(WireError.BAD_DATA_OFFSET, trusted(past), "data offset past the segment's end");
    }

    @Test
    void trustedPathStillRejectsOptionsRunningPastTheHeader() {
        ByteBuffer buf = segmentWithOptions(8);
        int mssAt = AT + 20;
        while (buf.get(mssAt) != 2) {
            mssAt++; // skip NOP padding before the MSS option (kind 2)
        }
        buf.put(mssAt + 1, (byte) 40); // MSS claims 40 bytes: it runs past the 28-byte header
        assertEquals(WireError.BAD_OPTION, trusted(buf));
        buf.put(mssAt + 1, (byte) 0);
        assertEquals(WireError.BAD_OPTION, trusted(buf), "zero-length option");
        assertEquals(2, counters.wireErrors(WireError.BAD_OPTION));
    }
}
