package io.torgate.gateway.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Dns;
import io.torgate.wire.DnsName;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/** Builds DNS queries and parses answers back with the wire codec, for the DNS tests. */
final class DnsMessages {
    private DnsMessages() {
    }

    /** A query with RD set; {@code ednsSize} 0 for none. */
    static byte[] query(int id, String name, int type, int ednsSize) {
        ByteBuffer b = ByteBuffer.allocate(512);
        b.putShort(0, (short) id);
        b.putShort(2, (short) 0x0100);
        b.putShort(4, (short) 1);
        int p = DnsName.write(b, Dns.HEADER_LENGTH, b.capacity(), name);
        assertTrue(p > 0, "bad test name " + name);
        b.putShort(p, (short) type);
        b.putShort(p + 2, (short) Dns.CLASS_IN);
        p += 4;
        if (ednsSize > 0) {
            b.putShort(10, (short) 1);
            b.put(p, (byte) 0);
            b.putShort(p + 1, (short) Dns.TYPE_OPT);
            b.putShort(p + 3, (short) ednsSize);
            b.putInt(p + 5, 0);
            b.putShort(p + 9, (short) 0);
            p += 11;
        }
        byte[] out = new byte[p];
        b.get(0, out);
        return out;
    }

    /** A parsed answer with the checks every answer must pass: ID, QR, RA, RD echo, question echo. */
    static Dns parse(byte[] response, int id, String name, int type) {
        Dns d = new Dns().wrap(ByteBuffer.wrap(response), 0, response.length);
        assertEquals(WireError.OK, d.checkLength(), "answer does not parse");
        assertEquals(id, d.id(), "ID");
        assertTrue(d.isResponse(), "QR");
        assertTrue(d.recursionAvailable(), "RA");
        assertTrue(d.recursionDesired(), "RD echoed");
        assertEquals(1, d.questionCount(), "question echoed");
        assertTrue(d.questionNameEquals(name), "question name " + d.questionName());
        assertEquals(type, d.questionType(), "question type");
        return d;
    }

    /** The first answer-section record of the given type, or -1. */
    static int record(Dns d, int section, int type) {
        for (int r = d.firstRecord(); r >= 0; r = d.nextRecord(r)) {
            if (d.section(r) == section && d.recordType(r) == type) {
                return r;
            }
        }
        return -1;
    }

    /** The A address of the first answer record. */
    static int addressOf(Dns d) {
        int r = record(d, 1, Dns.TYPE_A);
        assertTrue(r >= 0, "no A record");
        return d.buffer().getInt(d.rdataOffset(r));
    }

    /** The PTR target of the first answer record. */
    static String pointerOf(Dns d) {
        int r = record(d, 1, Dns.TYPE_PTR);
        assertTrue(r >= 0, "no PTR record");
        StringBuilder sb = new StringBuilder();
        d.nameCursor().appendTo(d.buffer(), d.offset(), d.end(), d.rdataOffset(r), sb);
        return sb.toString();
    }

    /** Asserts a negative answer: the RCODE, no answers, an SOA in authority with TTL {@code ttl}. */
    static void assertNegative(Dns d, int rcode, long maxTtl) {
        assertEquals(rcode, d.rcode(), "rcode");
        assertEquals(0, d.answerCount(), "no answers");
        int soa = record(d, 2, Dns.TYPE_SOA);
        assertTrue(soa >= 0, "SOA in authority");
        assertTrue(d.recordTtl(soa) > 0 && d.recordTtl(soa) <= maxTtl, "SOA TTL " + d.recordTtl(soa));
    }

    static String reverse(int a) {
        return (a & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + ((a >>> 16) & 0xFF) + "." + (a >>> 24) + ".in-addr.arpa";
    }
}
