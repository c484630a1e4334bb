package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Fuzz target for the checked TCP-with-options path. In a normal test run the seeds under
 * {@code TcpFuzzTestInputs/parseSegment} replay as regression cases; {@code JAZZER_FUZZ=1} fuzzes for real.
 */
class TcpFuzzTest {

    private final Tcp tcp = new Tcp();
    private final TcpOptions options = new TcpOptions();

    @FuzzTest(maxDuration = "30s")
    void parseSegment(byte[] data) {
        // The first byte chooses where the segment starts, so non-zero offsets are fuzzed too.
        int start = data.length == 0 ? 0 : (data[0] & 0x7) % Math.max(1, data.length);
        ByteBuffer buf = ByteBuffer.wrap(data);
        int code = tcp.wrap(buf, start, data.length - start).checkLength();
        if (code != WireError.OK) {
            assertTrue(code == WireError.TRUNCATED || code == WireError.BAD_DATA_OFFSET, WireError.name(code));
            return;
        }
        assertEquals(start + tcp.length(), tcp.payloadOffset() + tcp.payloadLength());
        assertTrue(tcp.payloadLength() >= 0);
        int optCode = tcp.parseOptions(options);
        assertTrue(optCode == WireError.OK || optCode == WireError.BAD_OPTION);
        assertTrue(options.sackCount <= TcpOptions.MAX_SACK_BLOCKS);
        assertTrue(options.windowScale <= TcpOptions.MAX_WINDOW_SCALE);
        assertTrue(options.mss <= 0xFFFF);
        tcp.verifyChecksum(0x0A00_0001, 0x0A00_0002);
        tcp.segmentLength();
        tcp.urgentPointer();
        if (optCode == WireError.OK) {
            // Whatever parsed must re-encode within the option space and parse back to the same values.
            ByteBuffer out = ByteBuffer.allocate(Tcp.MAX_HEADER_LENGTH);
            int hl = new Tcp().wrap(out, 0, out.capacity()).writeHeader(1, 2, 3, 4, Tcp.ACK, 5, options, 0);
            assertTrue(hl <= Tcp.MAX_HEADER_LENGTH && hl % 4 == 0);
            int mss = options.mss;
            int ws = options.windowScale;
            boolean ts = options.hasTimestamp;
            assertEquals(WireError.OK, new Tcp().wrap(out, 0, hl).parseOptions(options));
            assertEquals(mss, options.mss);
            assertEquals(ws, options.windowScale);
            assertEquals(ts, options.hasTimestamp);
        }
    }
}
