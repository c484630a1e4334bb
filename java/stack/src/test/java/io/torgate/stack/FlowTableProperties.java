package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** FlowTable behaves like a bounded HashMap under any sequence of operations, whatever the hash seed. */
class FlowTableProperties {
    private record Key(int srcAddr, int srcPort, int dstAddr, int dstPort) { }

    @Property(tries = 10_000)
    void behavesLikeAHashMap(@ForAll @IntRange(min = 1, max = 64) int maxFlows,
            @ForAll @IntRange(min = 1, max = 400) int ops, @ForAll long seed) {
        Random rnd = new Random(seed);
        FlowTable<Integer> table = new FlowTable<>(maxFlows, rnd.nextLong());
        Map<Key, Integer> model = new HashMap<>();
        // A small key space makes hits, misses, collisions and wrap-around probe runs all common.
        int keySpace = 1 + rnd.nextInt(maxFlows * 3);
        for (int i = 0; i < ops; i++) {
            Key k = key(rnd.nextInt(keySpace));
            int v = rnd.nextInt(1000);
            switch (rnd.nextInt(5)) {
                case 0, 1 -> {
                    if (!model.containsKey(k) && model.size() >= maxFlows) {
                        assertThrows(IllegalStateException.class, () -> put(table, k, v));
                    } else {
                        assertEquals(model.put(k, v), put(table, k, v));
                    }
                }
                case 2 -> {
                    boolean fits = model.containsKey(k) || model.size() < maxFlows;
                    assertEquals(fits, table.tryPut(k.srcAddr(), k.srcPort(), k.dstAddr(), k.dstPort(), v));
                    if (fits) {
                        model.put(k, v);
                    }
                }
                case 3 -> assertEquals(model.remove(k),
                        table.remove(k.srcAddr(), k.srcPort(), k.dstAddr(), k.dstPort()));
                default -> assertEquals(model.get(k), table.get(k.srcAddr(), k.srcPort(), k.dstAddr(), k.dstPort()));
            }
            assertEquals(model.size(), table.size());
        }
        for (Map.Entry<Key, Integer> e : model.entrySet()) {
            Key k = e.getKey();
            assertEquals(e.getValue(), table.get(k.srcAddr(), k.srcPort(), k.dstAddr(), k.dstPort()));
        }
        List<Integer> seen = new ArrayList<>();
        table.forEach(seen::add);
        List<Integer> expected = new ArrayList<>(model.values());
        seen.sort(null);
        expected.sort(null);
        assertEquals(expected, seen);
    }

    private static Integer put(FlowTable<Integer> table, Key k, int v) {
        return table.put(k.srcAddr(), k.srcPort(), k.dstAddr(), k.dstPort(), v);
    }

    /** Keys differing in every field, including the sign bit of the addresses and ports near 65535. */
    private static Key key(int i) {
        return new Key(0x0A000000 + (i & 3), 65535 - (i >> 2) % 7, 0xC0A80000 | (i >> 4), 443 + (i & 1));
    }
}
