package io.torgate.gateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TableJsonTest {
    @Test
    void tableAlignsNumbersRightTextLeftAndShowsNullAsDash() {
        String t = new Table("ID", "NAME", "BYTES").row(7L, "web", 1234L).row(12345L, null, 5L).toString();
        assertEquals("""
               ID  NAME  BYTES
                7  web    1234
            12345  -         5
            """, t);
        assertThrows(IllegalArgumentException.class, () -> new Table("A", "B").row(1));
    }

    @Test
    void jsonRoundTripsThroughARealParser() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "quote \" backslash \\ newline \n tab \t ctl \u0001 é");
        m.put("n", 42L);
        m.put("d", 1.5);
        m.put("nan", Double.NaN);
        m.put("b", true);
        m.put("null", null);
        m.put("list", Arrays.asList(1, "two", null, List.of()));
        m.put("map", Map.of("k", "v"));
        JsonNode j = new ObjectMapper().readTree(Json.write(m));
        assertEquals(m.get("s"), j.get("s").asText());
        assertEquals(42, j.get("n").asLong());
        assertEquals(1.5, j.get("d").asDouble());
        assertEquals(true, j.get("nan").isNull());
        assertEquals(true, j.get("b").asBoolean());
        assertEquals(true, j.get("null").isNull());
        assertEquals("two", j.get("list").get(1).asText());
        assertEquals(true, j.get("list").get(2).isNull());
        assertEquals("v", j.get("map").get("k").asText());
        assertEquals(List.of("s", "n", "d", "nan", "b", "null", "list", "map"),
            iterable(j.fieldNames()), "key order kept");
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new java.util.ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    @Test
    void requestParsing() throws Exception {
        ControlRequest r = ControlRequest.parse("  streams\t--json  x ", "root/root");
        assertEquals("streams", r.command());
        assertEquals(List.of("x"), r.args());
        assertEquals(true, r.json());
    }
}
