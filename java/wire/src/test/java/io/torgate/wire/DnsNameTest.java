package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class DnsNameTest {
    private final DnsName cursor = new DnsName();

    private static ByteBuffer hex(String hex) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(hex));
    }

    private String text(ByteBuffer buf, int at) {
        StringBuilder sb = new StringBuilder();
        int code = cursor.appendTo(buf, 0, buf.capacity(), at, sb);
        return code < 0 ? WireError.name(code) : sb.toString();
    }

    @Test
    void readsPlainAndCompressedNames() {
        // "www.test.zone" at 0, then "alias" + pointer to "test.zone" at 19.
        ByteBuffer buf = hex("037777770474657374047a6f6e650005616c696173c004");
        assertEquals(15, cursor.skip(buf, 0, buf.capacity(), 0));
        assertEquals("www.test.zone", text(buf, 0));
        assertEquals(23, cursor.skip(buf, 0, buf.capacity(), 15));
        assertEquals("alias.test.zone", text(buf, 15));
        assertEquals(17, cursor.wireLength());
        assertTrue(cursor.equalsIgnoreCase(buf, 0, buf.capacity(), 15, "ALIAS.Test.zone."));
        assertFalse(cursor.equalsIgnoreCase(buf, 0, buf.capacity(), 15, "alias.test.zon"));
        assertFalse(cursor.equalsIgnoreCase(buf, 0, buf.capacity(), 15, "alias.test.zone.x"));
        assertFalse(cursor.equalsIgnoreCase(buf, 0, buf.capacity(), 15, "aliastest.zone"));
        assertTrue(cursor.hasTopLabel(buf, 0, buf.capacity(), 15, "ZONE"));
        assertFalse(cursor.hasTopLabel(buf, 0, buf.capacity(), 15, "test"));
        assertEquals(".", text(hex("00"), 0));
    }

    @Test
    void escapesUnusualBytes() {
        ByteBuffer buf = hex("03612e6202ff5c00");
        assertEquals("a\\.b.\\255\\\\", text(buf, 0));
        ByteBuffer out = ByteBuffer.allocate(16);
        assertEquals(8, DnsName.write(out, 0, 16, "a\\.b.\\255\\\\"));
        assertEquals(buf, out.limit(8));
    }

    @Test
    void rejectsPointerLoopsAndForwardPointers() {
        assertEquals(WireError.BAD_POINTER, cursor.skip(hex("c000"), 0, 2, 0)); // points at itself
        assertEquals(WireError.BAD_POINTER, cursor.skip(hex("c00200"), 0, 3, 0)); // forward
        // "a" then a pointer back to the "a": would repeat forever.
        assertEquals(WireError.POINTER_LOOP, cursor.skip(hex("0161c000"), 0, 4, 0));
        // Two names pointing at each other: after the first (backward) jump the second pointer points forward.
        assertEquals(WireError.BAD_POINTER, cursor.skip(hex("0161c0040162c000"), 0, 8, 4));
        assertEquals(WireError.BAD_POINTER, cursor.skip(hex("c0ff"), 0, 2, 0)); // outside the message
    }

    @Test
    void longPointerChainsAreBounded() {
        // 200 pointers, each to the one before it, ending at a root label: legal shape, but over MAX_POINTERS.
        ByteBuffer buf = ByteBuffer.allocate(1 + 2 * 200);
        for (int i = 0; i < 200; i++) {
            buf.putShort(1 + 2 * i, (short) (0xC000 | (i == 0 ? 0 : 1 + 2 * (i - 1))));
        }
        assertEquals(WireError.POINTER_LOOP, cursor.skip(buf, 0, buf.capacity(), 1 + 2 * 199));
        assertEquals(1 + 2 * 101, cursor.skip(buf, 0, buf.capacity(), 1 + 2 * 100));
    }

    @Test
    void rejectsBadLabels() {
        assertEquals(WireError.BAD_LABEL, cursor.skip(hex("4000"), 0, 2, 0)); // extended label type
        assertEquals(WireError.BAD_LABEL, cursor.skip(hex("8000"), 0, 2, 0)); // reserved label type
        ByteBuffer big = ByteBuffer.allocate(300);
        for (int i = 0; i < 4; i++) {
            big.put(i * 64, (byte) 63); // four 63-byte labels = 256 bytes before the root
        }
        assertEquals(WireError.BAD_LABEL, cursor.skip(big, 0, 300, 0));
        big.put(3 * 64, (byte) 61); // 3*64 + 62 + root = 255: the longest legal name
        big.put(3 * 64 + 62, (byte) 0);
        assertEquals(255, cursor.skip(big, 0, 300, 0));
        assertEquals(255, cursor.wireLength());
    }

    @Test
    void rejectsTruncated() {
        ByteBuffer buf = hex("037777770474657374047a6f6e6500");
        for (int end = 0; end < 15; end++) {
            assertEquals(WireError.TRUNCATED, cursor.skip(buf, 0, end, 0), "end " + end);
        }
        assertEquals(WireError.TRUNCATED, cursor.skip(hex("0161c0"), 0, 3, 0));
    }

    @Test
    void writesNames() {
        ByteBuffer out = ByteBuffer.allocate(300);
        assertEquals(15, DnsName.write(out, 0, 300, "www.test.zone"));
        assertEquals("www.test.zone", text(out, 0));
        assertEquals(15, DnsName.write(out, 0, 300, "www.test.zone."));
        assertEquals(1, DnsName.write(out, 0, 300, "."));
        assertEquals(1, DnsName.write(out, 0, 300, ""));
        assertEquals(WireError.TRUNCATED, DnsName.write(out, 0, 14, "www.test.zone"));
        assertEquals(WireError.BAD_LABEL, DnsName.write(out, 0, 300, "a..b"));
        assertEquals(WireError.BAD_LABEL, DnsName.write(out, 0, 300, ".a"));
        assertEquals(WireError.BAD_LABEL, DnsName.write(out, 0, 300, "x".repeat(64)));
        assertEquals(65, DnsName.write(out, 0, 300, "x".repeat(63)));
        String longest = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
        assertEquals(255, DnsName.write(out, 0, 300, longest));
        assertEquals(WireError.BAD_LABEL, DnsName.write(out, 0, 300, longest + "d"));
        assertEquals(WireError.BAD_LABEL, DnsName.write(out, 0, 300, "bad\\2"));
        assertEquals(WireError.BAD_LABEL, DnsName.write(out, 0, 300, "\u0100"));
    }

    /** Any wire name, printed in presentation form (escapes included) and written back, is the same bytes. */
    @Property(tries = 2000)
    void presentationFormRoundTrips(@ForAll @Size(max = 6) List<@Size(min = 1, max = 63) byte[]> labels) {
        ByteBuffer wire = ByteBuffer.allocate(600);
        int w = 0;
        for (byte[] label : labels) {
            if (w + 1 + label.length + 1 > DnsName.MAX_WIRE_LENGTH) {
                break;
            }
            wire.put(w, (byte) label.length).put(w + 1, label);
            w += 1 + label.length;
        }
        wire.put(w++, (byte) 0);
        StringBuilder text = new StringBuilder();
        assertEquals(w, cursor.appendTo(wire, 0, w, 0, text));
        ByteBuffer back = ByteBuffer.allocate(300);
        assertEquals(w, DnsName.write(back, 0, 300, text));
        assertEquals(wire.slice(0, w), back.slice(0, w));
    }
}
