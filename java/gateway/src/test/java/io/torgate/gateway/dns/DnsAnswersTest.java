package io.torgate.gateway.dns;

import static io.torgate.gateway.dns.DnsMessages.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Dns;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The TC path. Every answer the service gives fits in 512 bytes (a question of at most 255 name bytes and one
 * record, or the SOA), so truncation only happens when the room is smaller than the answer; these tests shrink
 * the room to show the response stays well-formed, keeps its question and sets TC, so the client retries over
 * TCP (RFC 7766 section 5), where {@code DnsTcpSessionTest} shows the full answer.
 */
class DnsAnswersTest {
    @Test
    void answerThatDoesNotFitSetsTcAndKeepsTheQuestion() {
        DnsAnswers answers = new DnsAnswers(1232, 60);
        byte[] q = query(0x77, "1.0.192.10.in-addr.arpa", Dns.TYPE_PTR, 0);
        Dns query = new Dns().wrap(ByteBuffer.wrap(q), 0, q.length);
        assertEquals(0, query.checkLength());
        ByteBuffer out = ByteBuffer.allocate(512);
        String longName = "y".repeat(63) + "." + "y".repeat(63) + "." + "y".repeat(63) + ".test";
        int len = answers.pointer(query, out, 0, 100, false, 60, longName);
        assertTrue(answers.truncated());
        Dns d = new Dns().wrap(out, 0, len);
        assertEquals(0, d.checkLength());
        assertTrue(d.truncated(), "TC");
        assertEquals(0x77, d.id());
        assertEquals(1, d.questionCount());
        assertEquals(0, d.answerCount());

        int full = answers.pointer(query, out, 0, 512, false, 60, longName);
        assertTrue(!answers.truncated() && full > 100);
    }
}
