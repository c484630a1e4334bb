package io.torgate.gateway.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hashed LRU table against a LinkedHashMap model, and the canonical query names it is keyed by. */
class NameTableTest {
    private static QueryName name(String dotted) {
        QueryName q = new QueryName();
        assertTrue(q.load(dotted), dotted);
        return q;
    }

    @Test
    void randomOperationsMatchAnAccessOrderedModel() {
        int capacity = 37;
        NameTable t = new NameTable(capacity);
        Map<String, Integer> model = new LinkedHashMap<>(16, 0.75f, true);
        Random rnd = new Random(42);
        for (int step = 0; step < 20_000; step++) {
            String key = "h" + rnd.nextInt(80) + ".test";
            int client = rnd.nextInt(3);
            String mk = client + "/" + key;
            QueryName q = name(key);
            int slot = t.find(client, 1, q);
            assertEquals(model.containsKey(mk), slot >= 0, "find " + mk + " at step " + step);
            int op = rnd.nextInt(10);
            if (slot >= 0 && op == 0) {
                t.remove(slot);
                model.remove(mk);
            } else if (slot >= 0) {
                t.touch(slot);
                model.get(mk);
                assertEquals(slot, model.get(mk));
            } else {
                String evicted = model.size() == capacity ? model.keySet().iterator().next() : null;
                int s = t.insert(client, 1, q, -1);
                if (evicted != null) {
                    assertEquals(model.remove(evicted), s, "the LRU slot is reused");
                    assertEquals(s, t.lastEvicted());
                } else {
                    assertEquals(-1, t.lastEvicted());
                }
                model.put(mk, s);
            }
            assertEquals(model.size(), t.size());
        }
        List<Integer> order = new ArrayList<>();
        for (int s = t.oldest(); s >= 0; s = t.newer(s)) {
            order.add(s);
        }
        assertEquals(new ArrayList<>(model.values()), order, "LRU order");
    }

    @Test
    void namesCompareIgnoringCaseAndKnowTheirKind() {
        assertTrue(name("WWW.Example.COM").equalsBytes(name("www.example.com").bytes, name("www.example.com").length));
        assertEquals(name("a.b").hash, name("A.B").hash);
        assertTrue(name("abc.onion").isOnion());
        assertTrue(name("x.y.ONION").isOnion());
        assertFalse(name("onion").isOnion());
        assertFalse(name("onion.example").isOnion());
        assertEquals(0x0AFB000AL, name("10.0.251.10.in-addr.arpa").reverseAddress());
        assertEquals(0xFFFFFFFFL, name("255.255.255.255.in-addr.arpa").reverseAddress());
        assertEquals(-1, name("256.0.0.10.in-addr.arpa").reverseAddress());
        assertEquals(-1, name("01.0.0.10.in-addr.arpa").reverseAddress(), "no leading zeros");
        assertEquals(-1, name("0.10.in-addr.arpa").reverseAddress());
        assertEquals(-1, name("a.0.0.10.in-addr.arpa").reverseAddress());
        assertTrue(name("0.10.in-addr.arpa").isArpa());
        assertEquals("web.lab.test", name("Web.Lab.Test").dotted());
        QueryName bad = name("we\\032b.test");
        assertFalse(bad.printable, "a space cannot go to tor");
        assertFalse(name("a\\.b.test").printable, "a dot inside a label cannot go to tor");
        assertEquals(0, name(".").labels);
    }
}
