package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Fuzz target for the DNS codec: any bytes give a {@link WireError} code and never an exception (compression
 * loops, forward pointers, truncated names, bad counts, broken OPT records); a message that passes can be walked
 * completely, and a query that passes is answered with a response that itself parses, within the size limit,
 * with the question copied exactly.
 *
 * <p>Regression mode in every {@code mvn test}: replays {@code DnsFuzzTestInputs/parseAndAnswer/} (the captured
 * dig/glibc queries and answers, hand-made loops and bad counts, and the {@code fuzzed-*} corpus kept from a
 * 60-second fuzzing run on JDK 25: 1.7 million inputs, no finding). Real fuzzing:
 * {@code JAZZER_FUZZ=1 mvn -pl java/wire test -Dtest=DnsFuzzTest -Djazzer.max_duration=5m}.
 */
class DnsFuzzTest {
    private final Dns dns = new Dns();
    private final Dns reply = new Dns();
    private final DnsWriter writer = new DnsWriter();
    private final ByteBuffer out = ByteBuffer.allocate(1232);

    @FuzzTest(maxDuration = "60s")
    void parseAndAnswer(byte[] data) {
        ByteBuffer buf = ByteBuffer.allocate(data.length + 5);
        buf.put(5, data);
        int code = dns.wrap(buf, 5, data.length).checkLength();
        assertTrue(code <= 0 && !"unknown".equals(WireError.name(code)));
        if (code != WireError.OK) {
            if (writer.startHeaderOnly(buf, 5, data.length, out, 0, 512, Dns.RCODE_FORMERR) == WireError.OK) {
                assertEquals(WireError.OK, reply.wrap(out, 0, writer.finish()).checkLength());
            }
            return;
        }
        int records = 0;
        for (int r = dns.firstRecord(); r >= 0; r = dns.nextRecord(r)) {
            assertTrue(dns.rdataOffset(r) + dns.rdataLength(r) <= dns.end());
            assertTrue(dns.section(r) >= 1 && dns.section(r) <= 3 && dns.recordType(r) >= 0);
            records++;
        }
        assertEquals(dns.answerCount() + dns.authorityCount() + dns.additionalCount(), records);
        int cookie = dns.ednsOption(Dns.OPTION_COOKIE);
        assertTrue(cookie == -1 || cookie <= dns.end());
        if (dns.checkQuery() == WireError.OK) {
            answer();
        }
    }

    private void answer() {
        String question = dns.questionName();
        int limit = dns.maxUdpResponse(1232);
        assertEquals(WireError.OK, writer.startResponse(dns, out, 0, limit, Dns.RCODE_NOERROR, false));
        int target = writer.addCname(DnsWriter.QUESTION_NAME, 60, "alias." + "x".repeat(40) + ".example");
        if (target > 0) {
            writer.addA(target, 60, 0x0a000001);
        }
        writer.addSoa(DnsWriter.QUESTION_NAME, 60, "ns.invalid", "hostmaster.invalid", 1, 2, 3, 4, 5);
        if (dns.hasEdns()) {
            assertEquals(WireError.OK, writer.addOpt(1232, dns.dnssecOk()));
        }
        int length = writer.finish();
        assertTrue(length <= limit);
        assertEquals(WireError.OK, reply.wrap(out, 0, length).checkLength());
        assertEquals(question, reply.questionName());
        assertEquals(dns.questionType(), reply.questionType());
        assertEquals(dns.id(), reply.id());
        assertEquals(dns.hasEdns(), reply.hasEdns());
    }
}
