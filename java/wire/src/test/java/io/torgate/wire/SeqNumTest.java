package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SeqNumTest {

    @Test
    void comparesAcrossWrap() {
        assertTrue(SeqNum.lt(0xFFFF_FFF0, 0x10));
        assertTrue(SeqNum.gt(0x10, 0xFFFF_FFF0));
        assertEquals(0x20, SeqNum.diff(0x10, 0xFFFF_FFF0));
        assertEquals(0x10, SeqNum.max(0xFFFF_FFF0, 0x10));
        assertEquals(0xFFFF_FFF0, SeqNum.min(0xFFFF_FFF0, 0x10));
        assertTrue(SeqNum.le(5, 5));
        assertTrue(SeqNum.ge(5, 5));
        assertFalse(SeqNum.lt(5, 5));
        assertTrue(SeqNum.inRange(0, -1, 1));
        assertFalse(SeqNum.inRange(1, 1, 1));
    }

    /** Order is preserved under translation: adding any base (with wrap) never changes a comparison. */
    @Property(tries = 10_000)
    void orderIsTranslationInvariant(@ForAll int base, @ForAll @IntRange(min = -(1 << 30), max = 1 << 30) int d) {
        int a = base;
        int b = base + d;
        assertEquals(d > 0, SeqNum.lt(a, b));
        assertEquals(d >= 0, SeqNum.le(a, b));
        assertEquals(d < 0, SeqNum.gt(a, b));
        assertEquals(d <= 0, SeqNum.ge(a, b));
        assertEquals(-d, SeqNum.diff(a, b));
        assertEquals(d >= 0 ? b : a, SeqNum.max(a, b));
        assertEquals(d >= 0 ? a : b, SeqNum.min(a, b));
    }

    @Property(tries = 10_000)
    void inRangeMatchesOffsets(@ForAll int lo, @ForAll @IntRange(min = 0, max = 1 << 30) int len,
                               @ForAll @IntRange(min = -(1 << 30), max = 1 << 30) int off) {
        assertEquals(off >= 0 && off < len, SeqNum.inRange(lo + off, lo, lo + len));
    }
}
