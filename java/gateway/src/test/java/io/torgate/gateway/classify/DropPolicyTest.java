package io.torgate.gateway.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DropPolicyTest {
    @Test
    void labelsAreUniqueLowercaseAndRoundTrip() {
        Set<String> seen = new HashSet<>();
        for (DropReason r : DropReason.values()) {
            assertTrue(r.label().matches("[a-z0-9_]+"), r.label());
            assertTrue(seen.add(r.label()));
            assertEquals(r, DropReason.byLabel(r.label()));
            assertEquals(r, DropReason.of(r.ordinal()));
        }
        assertNull(DropReason.byLabel("nope"));
    }

    @Test
    void defaultsToDropAndRefusesRejectForUnanswerableClasses() {
        assertFalse(DropPolicy.dropAll().rejects(DropReason.UDP_PORT));
        DropPolicy p = DropPolicy.of(Map.of(DropReason.UDP_PORT, DropPolicy.Action.REJECT));
        assertTrue(p.rejects(DropReason.UDP_PORT));
        assertEquals(DropPolicy.Action.DROP, p.action(DropReason.TO_GATEWAY));
        assertThrows(IllegalArgumentException.class,
            () -> DropPolicy.of(Map.of(DropReason.SPOOFED_SOURCE, DropPolicy.Action.REJECT)));
    }
}
