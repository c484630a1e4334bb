package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlowTableTest {
    private static final int CLIENT = 0x0A000002;
    private static final int SERVER = 0xC0A80001;

    @Test
    void putGetRemove() {
        FlowTable<String> t = new FlowTable<>(4, 1);
        assertNull(t.put(CLIENT, 40000, SERVER, 80, "a"));
        assertNull(t.put(SERVER, 80, CLIENT, 40000, "reverse"));
        assertEquals("a", t.get(CLIENT, 40000, SERVER, 80));
        assertEquals("reverse", t.get(SERVER, 80, CLIENT, 40000));
        assertNull(t.get(CLIENT, 40001, SERVER, 80));
        assertEquals("a", t.put(CLIENT, 40000, SERVER, 80, "b"));
        assertEquals(2, t.size());
        assertEquals("b", t.remove(CLIENT, 40000, SERVER, 80));
        assertNull(t.remove(CLIENT, 40000, SERVER, 80));
        assertEquals(1, t.size());
    }

    @Test
    void fullTableRefusesNewKeysButReplacesOld() {
        FlowTable<Integer> t = new FlowTable<>(3, 7);
        for (int p = 1; p <= 3; p++) {
            t.put(CLIENT, p, SERVER, 443, p);
        }
        assertTrue(t.isFull());
        assertThrows(IllegalStateException.class, () -> t.put(CLIENT, 4, SERVER, 443, 4));
        assertFalse(t.tryPut(CLIENT, 4, SERVER, 443, 4));
        assertTrue(t.tryPut(CLIENT, 2, SERVER, 443, 20));
        assertEquals(20, t.get(CLIENT, 2, SERVER, 443));
        assertEquals(3, t.size());
        assertNull(t.get(CLIENT, 4, SERVER, 443));
    }

    @Test
    void collidingKeysSurviveDeletionInTheMiddleOfAProbeRun() {
        // A tiny table forces long probe runs that wrap around the array end.
        FlowTable<Integer> t = new FlowTable<>(8, 42);
        for (int p = 0; p < 8; p++) {
            t.put(CLIENT, p, SERVER, 22, p);
        }
        for (int p = 0; p < 8; p += 2) {
            assertEquals(p, t.remove(CLIENT, p, SERVER, 22));
        }
        for (int p = 1; p < 8; p += 2) {
            assertEquals(p, t.get(CLIENT, p, SERVER, 22));
        }
        List<Integer> seen = new ArrayList<>();
        t.forEach(seen::add);
        seen.sort(null);
        assertEquals(List.of(1, 3, 5, 7), seen);
        t.clear();
        assertEquals(0, t.size());
        assertNull(t.get(CLIENT, 1, SERVER, 22));
    }
}
