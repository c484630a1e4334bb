package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DnsWriterTest {
    private static final int WWW = 0x0a010203; // 10.1.2.3, what dnsmasq answered for www.test.zone

    private final Dns query = new Dns();
    private final Dns reply = new Dns();
    private final DnsWriter writer = new DnsWriter();
    private final ByteBuffer out = ByteBuffer.allocate(70000);

    private Dns query(String packetHex) {
        DnsTest.udpMessage(query, packetHex);
        assertEquals(WireError.OK, query.checkLength());
        return query;
    }

    /** The DNS message of a captured answer packet. */
    private static byte[] expected(String packetHex) {
        byte[] packet = Captures.bytes(packetHex);
        return Arrays.copyOfRange(packet, DnsTest.UDP_DNS, packet.length);
    }

    private byte[] written(int length) {
        return Arrays.copyOfRange(out.array(), 0, length);
    }

    private Dns reparse(int length) {
        reply.wrap(out, 0, length);
        assertEquals(WireError.OK, reply.checkLength());
        return reply;
    }

    @Test
    void buildsKnownBytes() {
        // Each response below is byte-identical to what dnsmasq sent to the same captured query.
        assertEquals(WireError.OK, writer.startResponse(query(Captures.DNS_A_NOEDNS_QUERY), out, 0, 512, 0, true));
        assertEquals(WireError.OK, writer.addA(DnsWriter.QUESTION_NAME, 0, WWW));
        assertArrayEquals(expected(Captures.DNS_A_NOEDNS_ANSWER), written(writer.finish()));

        writer.startResponse(query(Captures.DNS_A_EDNS_COOKIE_QUERY), out, 0, 1232, 0, true);
        writer.addA(DnsWriter.QUESTION_NAME, 0, WWW);
        assertEquals(WireError.OK, writer.addOpt(1232, false));
        assertArrayEquals(expected(Captures.DNS_A_EDNS_ANSWER), written(writer.finish()));

        writer.startResponse(query(Captures.DNS_ALIAS_QUERY), out, 0, 1232, 0, true);
        assertEquals(12 + 21 + 12, writer.addCname(DnsWriter.QUESTION_NAME, 0, "www.test.zone"));
        writer.addOpt(1232, false);
        assertArrayEquals(expected(Captures.DNS_CNAME_ANSWER), written(writer.finish()));

        writer.startResponse(query(Captures.DNS_PTR_QUERY), out, 0, 1232, 0, true);
        writer.addPtr(DnsWriter.QUESTION_NAME, 0, "www.test.zone");
        writer.addOpt(1232, false);
        assertArrayEquals(expected(Captures.DNS_PTR_ANSWER), written(writer.finish()));

        // dnsmasq leaves AA clear on its NXDOMAIN for a --local zone.
        writer.startResponse(query(Captures.DNS_MISSING_QUERY), out, 0, 1232, Dns.RCODE_NXDOMAIN, false);
        writer.addOpt(1232, false);
        assertArrayEquals(expected(Captures.DNS_NXDOMAIN_ANSWER), written(writer.finish()));
    }

    @Test
    void buildsNodataWithSoaForNegativeCaching() {
        Dns q = query(Captures.DNS_AAAA_DNSSEC_QUERY);
        writer.startResponse(q, out, 0, q.maxUdpResponse(4096), Dns.RCODE_NOERROR, false);
        assertEquals(WireError.OK, writer.addSoa(DnsWriter.QUESTION_NAME, 3600, "torgate.invalid",
            "hostmaster.torgate.invalid", 1, 3600, 600, 86400, 60));
        writer.addOpt(1232, q.dnssecOk());
        Dns r = reparse(writer.finish());
        assertTrue(r.isResponse());
        assertFalse(r.authoritative());
        assertTrue(r.recursionAvailable());
        assertTrue(r.recursionDesired());
        assertEquals(q.id(), r.id());
        assertEquals(Dns.RCODE_NOERROR, r.rcode());
        assertEquals(0, r.answerCount());
        assertEquals(1, r.authorityCount());
        int soa = r.firstRecord();
        assertEquals(2, r.section(soa));
        assertEquals(Dns.TYPE_SOA, r.recordType(soa));
        assertEquals(60, r.recordTtl(soa)); // min(TTL, MINIMUM), RFC 2308 section 3
        assertEquals(60, out.getInt(r.rdataOffset(soa) + r.rdataLength(soa) - 4));
        assertTrue(r.dnssecOk());
        assertEquals(1232, r.ednsUdpPayloadSize());
        assertEquals("www.test.zone", r.questionName());
        assertEquals(Dns.TYPE_AAAA, r.questionType());
    }

    @Test
    void errorResponsesKeepIdOpcodeAndQuestion() {
        Dns q = query(Captures.DNS_GLIBC_A_QUERY);
        for (int rcode : new int[] {Dns.RCODE_SERVFAIL, Dns.RCODE_NOTIMP, Dns.RCODE_REFUSED}) {
            writer.startResponse(q, out, 0, 512, rcode, false);
            Dns r = reparse(writer.finish());
            assertEquals(rcode, r.rcode());
            assertEquals(q.id(), r.id());
            assertEquals(1, r.questionCount());
            assertEquals(0, r.answerCount());
            assertFalse(r.hasEdns());
        }
        // FORMERR for bytes that failed checkLength: header only, same ID.
        ByteBuffer broken = ByteBuffer.wrap(Arrays.copyOf(expected(Captures.DNS_GLIBC_A_QUERY), 20));
        assertTrue(query.wrap(broken, 0, 20).checkLength() < 0);
        assertEquals(WireError.OK, writer.startHeaderOnly(broken, 0, 20, out, 0, 512, Dns.RCODE_FORMERR));
        Dns r = reparse(writer.finish());
        assertEquals(Dns.HEADER_LENGTH, r.length());
        assertEquals(Dns.RCODE_FORMERR, r.rcode());
        assertEquals(q.id(), r.id());
        assertEquals(0, r.questionCount());
        assertEquals(WireError.TRUNCATED, writer.startHeaderOnly(broken, 0, 11, out, 0, 512, Dns.RCODE_FORMERR));
        // The output buffer's limit bounds the response like the client's size does.
        ByteBuffer small = ByteBuffer.allocate(100).limit(11);
        assertEquals(WireError.TRUNCATED, writer.startHeaderOnly(broken, 0, 20, small, 0, 512, Dns.RCODE_FORMERR));
    }

    @Test
    void answersUnknownEdnsVersionWithBadvers() {
        ByteBuffer buf = ByteBuffer.wrap(expected(Captures.DNS_A_EDNS_COOKIE_QUERY));
        buf.put(31 + 6, (byte) 1); // EDNS version 1
        query.wrap(buf, 0, buf.capacity());
        assertEquals(WireError.OK, query.checkLength());
        assertEquals(1, query.ednsVersion());
        writer.startResponse(query, out, 0, query.maxUdpResponse(1232), Dns.RCODE_BADVERS, false);
        writer.addOpt(1232, false, Dns.RCODE_BADVERS);
        Dns r = reparse(writer.finish());
        assertEquals(Dns.RCODE_BADVERS, r.ednsExtendedRcode() << 4 | r.rcode());
        assertEquals(0, r.ednsVersion());
    }

    @Test
    void preservesQuestionCaseAndCopiesCd() {
        ByteBuffer buf = ByteBuffer.wrap(expected(Captures.DNS_GLIBC_A_QUERY));
        buf.put(13, (byte) 'W').put(17, (byte) 'T').put(22, (byte) 'Z'); // 0x20 randomisation (unbound does it)
        buf.put(3, (byte) (buf.get(3) | 0x10)); // CD
        query.wrap(buf, 0, buf.capacity());
        assertEquals(WireError.OK, query.checkLength());
        writer.startResponse(query, out, 0, 512, 0, false);
        writer.addA(DnsWriter.QUESTION_NAME, 300, WWW);
        Dns r = reparse(writer.finish());
        assertEquals("Www.Test.Zone", r.questionName());
        assertTrue(r.checkingDisabled());
        assertEquals(300, r.recordTtl(r.firstRecord()));
    }

    @Test
    void truncatesAtTheClientLimitAndSetsTc() {
        Dns q = query(Captures.DNS_GLIBC_A_QUERY); // no EDNS: 512 bytes
        writer.startResponse(q, out, 0, q.maxUdpResponse(4096), 0, false);
        int added = 0;
        for (int i = 0; i < 100; i++) {
            if (writer.addA(DnsWriter.QUESTION_NAME, 60, WWW + i) == WireError.OK) {
                added++;
            }
        }
        assertTrue(writer.truncated());
        int length = writer.finish();
        assertTrue(length <= 512);
        assertEquals((512 - 31) / 16, added); // 31-byte header + question, 16 bytes per A record
        Dns r = reparse(length);
        assertTrue(r.truncated());
        assertEquals(added, r.answerCount());

        Dns edns = query(Captures.DNS_A_EDNS_COOKIE_QUERY);
        writer.startResponse(edns, out, 0, edns.maxUdpResponse(4096), 0, false);
        while (writer.addA(DnsWriter.QUESTION_NAME, 60, WWW) == WireError.OK) {
            assertFalse(writer.truncated());
        }
        assertEquals(WireError.TRUNCATED, writer.addSoa(DnsWriter.QUESTION_NAME, 1, ".", ".", 1, 1, 1, 1, 1));
        assertEquals(WireError.OK, writer.addOpt(1232, false)); // room for OPT was reserved
        r = reparse(writer.finish());
        assertTrue(r.length() <= 1232 && r.length() > 1232 - 16);
        assertTrue(r.truncated());
        assertTrue(r.hasEdns());
    }

    @Test
    void rejectsBadNamesAndSectionOrder() {
        writer.startResponse(query(Captures.DNS_ALIAS_QUERY), out, 0, 1232, 0, true);
        int before = writer.length();
        assertEquals(WireError.BAD_LABEL, writer.addCname(DnsWriter.QUESTION_NAME, 0, "a..b"));
        assertEquals(before, writer.length());
        assertFalse(writer.truncated());
        int target = writer.addCname(DnsWriter.QUESTION_NAME, 0, "www.test.zone");
        assertEquals(WireError.OK, writer.addA(target, 0, WWW));
        assertEquals(WireError.OK, writer.addSoa(DnsWriter.QUESTION_NAME, 0, "a", "b", 1, 1, 1, 1, 1));
        assertEquals(WireError.UNSUPPORTED, writer.addA(target, 0, WWW)); // answers after authority
        assertEquals(WireError.UNSUPPORTED, writer.addA(0x4000, 0, WWW)); // not a pointer target
        writer.addOpt(1232, false);
        Dns r = reparse(writer.finish());
        int record = r.nextRecord(r.firstRecord());
        assertEquals(Dns.TYPE_A, r.recordType(record));
        assertTrue(r.nameCursor().equalsIgnoreCase(out, 0, r.end(), record, "www.test.zone"));
        assertEquals(2, r.answerCount());
    }

    @Test
    void steadyStateParseAndBuildDoNotAllocate() {
        ByteBuffer in = ByteBuffer.allocateDirect(512);
        in.put(0, expected(Captures.DNS_A_EDNS_COOKIE_QUERY));
        ByteBuffer tx = ByteBuffer.allocateDirect(1500);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int round = 0; round < 2; round++) { // the first round warms up (class loading, JIT)
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                query.wrap(in, 0, 54);
                if (query.checkLength() == WireError.OK && query.checkQuery() == WireError.OK) {
                    writer.startResponse(query, tx, 0, query.maxUdpResponse(1232), 0, false);
                    writer.addA(DnsWriter.QUESTION_NAME, 60, WWW + i);
                    writer.addOpt(1232, query.dnssecOk());
                    sink += writer.finish();
                }
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertTrue(allocated < 20_000, "allocated " + allocated + " bytes for 20,000 queries");
            }
        }
        assertEquals(2 * 20_000L * 58, sink);
    }
}
