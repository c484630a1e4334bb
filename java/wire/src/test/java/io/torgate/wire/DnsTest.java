package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class DnsTest {
    /** IPv4 (20) + UDP (8) headers precede the DNS message in the UDP captures. */
    static final int UDP_DNS = 28;

    private final Dns dns = new Dns();

    /** Wraps the DNS message inside a captured IPv4/UDP packet. */
    static Dns udpMessage(Dns dns, String packetHex) {
        ByteBuffer buf = Captures.buffer(packetHex, 0);
        return dns.wrap(buf, UDP_DNS, buf.capacity() - 7 - UDP_DNS);
    }

    @Test
    void parsesKnownBytes() {
        udpMessage(dns, Captures.DNS_A_NOEDNS_QUERY);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(WireError.OK, dns.checkQuery());
        assertEquals(0xe707, dns.id());
        assertFalse(dns.isResponse());
        assertEquals(Dns.OPCODE_QUERY, dns.opcode());
        assertTrue(dns.recursionDesired());
        assertTrue(dns.authenticData()); // dig sets AD in queries (RFC 6840 section 5.7)
        assertEquals(1, dns.questionCount());
        assertEquals(0, dns.answerCount() + dns.authorityCount() + dns.additionalCount());
        assertEquals("www.test.zone", dns.questionName());
        assertTrue(dns.questionNameEquals("WWW.test.ZONE"));
        assertTrue(dns.questionHasTopLabel("zone"));
        assertEquals(Dns.TYPE_A, dns.questionType());
        assertEquals(Dns.CLASS_IN, dns.questionClass());
        assertFalse(dns.hasEdns());
        assertEquals(512, dns.maxUdpResponse(4096));
        assertEquals(-1, dns.firstRecord());
    }

    @Test
    void parsesEdnsWithCookieAndDoBit() {
        udpMessage(dns, Captures.DNS_A_EDNS_COOKIE_QUERY);
        assertEquals(WireError.OK, dns.checkLength());
        assertTrue(dns.hasEdns());
        assertEquals(1232, dns.ednsUdpPayloadSize());
        assertEquals(1232, dns.maxUdpResponse(4096));
        assertEquals(1200, dns.maxUdpResponse(1200));
        assertEquals(0, dns.ednsVersion());
        assertFalse(dns.dnssecOk());
        int cookie = dns.ednsOption(Dns.OPTION_COOKIE);
        assertEquals(8, dns.buffer().getShort(cookie - 2)); // an 8-byte client cookie (RFC 7873 section 4)
        assertEquals(-1, dns.ednsOption(3));
        assertEquals(Dns.TYPE_OPT, dns.recordType(dns.firstRecord()));
        assertEquals(3, dns.section(dns.firstRecord()));

        udpMessage(dns, Captures.DNS_AAAA_DNSSEC_QUERY);
        assertEquals(WireError.OK, dns.checkLength());
        assertTrue(dns.dnssecOk());
        assertEquals(Dns.TYPE_AAAA, dns.questionType());
        assertTrue(dns.ednsOption(Dns.OPTION_COOKIE) > 0);
    }

    @Test
    void parsesGlibcAndTcpQueries() {
        udpMessage(dns, Captures.DNS_GLIBC_AAAA_QUERY);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(WireError.OK, dns.checkQuery());
        assertEquals(Dns.TYPE_AAAA, dns.questionType());
        assertFalse(dns.authenticData()); // glibc's stub sends plain RD
        assertEquals(0x0100, dns.flags());
        assertFalse(dns.hasEdns());

        ByteBuffer segment = Captures.buffer(Captures.DNS_A_TCP_SEGMENT, 0);
        int message = 20 + 32 + 2; // IPv4, TCP with timestamps, the two-byte length (RFC 1035 section 4.2.2)
        int length = segment.getShort(message - 2);
        dns.wrap(segment, message, length);
        assertEquals(54, length);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals("www.test.zone", dns.questionName());
        assertTrue(dns.hasEdns());
    }

    @Test
    void parsesSystemdResolvedQueries() {
        udpMessage(dns, Captures.DNS_RESOLVED_A_QUERY);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(WireError.OK, dns.checkQuery());
        assertEquals(0xe116, dns.id());
        assertEquals(0x0100, dns.flags()); // RD only: no AD, unlike dig
        assertEquals("www.test.zone", dns.questionName());
        assertEquals(Dns.TYPE_A, dns.questionType());
        assertTrue(dns.hasEdns());
        assertEquals(1472, dns.ednsUdpPayloadSize()); // resolved's default: an Ethernet MTU minus IPv4/UDP headers
        assertEquals(1472, dns.maxUdpResponse(4096));
        assertEquals(0, dns.ednsVersion());
        assertFalse(dns.dnssecOk()); // DNSSEC=no (Debian's default): no DO bit
        assertEquals(-1, dns.ednsOption(Dns.OPTION_COOKIE));
        assertEquals(3, dns.section(dns.firstRecord()));

        udpMessage(dns, Captures.DNS_RESOLVED_AAAA_QUERY);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(WireError.OK, dns.checkQuery());
        int id = dns.id();
        assertEquals(Dns.TYPE_AAAA, dns.questionType());
        assertTrue(dns.hasEdns());

        // The downgraded retry: the same question and ID without OPT, so the answer's size limit is 512 again.
        udpMessage(dns, Captures.DNS_RESOLVED_AAAA_RETRY_NOEDNS);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(WireError.OK, dns.checkQuery());
        assertEquals(id, dns.id());
        assertEquals(Dns.TYPE_AAAA, dns.questionType());
        assertEquals("www.test.zone", dns.questionName());
        assertFalse(dns.hasEdns());
        assertEquals(512, dns.maxUdpResponse(4096));
        assertEquals(-1, dns.firstRecord());

        udpMessage(dns, Captures.DNS_RESOLVED_PTR_QUERY);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(WireError.OK, dns.checkQuery());
        assertEquals(Dns.TYPE_PTR, dns.questionType());
        assertEquals("3.2.1.10.in-addr.arpa", dns.questionName());
        assertEquals(1472, dns.ednsUdpPayloadSize());
    }

    @Test
    void parsesAnswers() {
        udpMessage(dns, Captures.DNS_CNAME_ANSWER);
        assertEquals(WireError.OK, dns.checkLength());
        assertTrue(dns.isResponse());
        assertTrue(dns.authoritative());
        assertTrue(dns.recursionAvailable());
        assertEquals(WireError.BAD_COUNT, dns.checkQuery()); // a response is not something we answer
        int record = dns.firstRecord();
        assertEquals(1, dns.section(record));
        assertEquals(Dns.TYPE_CNAME, dns.recordType(record));
        assertEquals(Dns.CLASS_IN, dns.recordClass(record));
        assertEquals(0, dns.recordTtl(record));
        StringBuilder target = new StringBuilder();
        dns.nameCursor().appendTo(dns.buffer(), dns.offset(), dns.end(), dns.rdataOffset(record), target);
        assertEquals("www.test.zone", target.toString());
        record = dns.nextRecord(record);
        assertEquals(Dns.TYPE_OPT, dns.recordType(record));
        assertEquals(-1, dns.nextRecord(record));

        udpMessage(dns, Captures.DNS_A_NOEDNS_ANSWER);
        assertEquals(WireError.OK, dns.checkLength());
        record = dns.firstRecord();
        assertEquals(Dns.TYPE_A, dns.recordType(record));
        assertEquals(4, dns.rdataLength(record));
        assertEquals(0x0a010203, dns.buffer().getInt(dns.rdataOffset(record)));

        udpMessage(dns, Captures.DNS_NXDOMAIN_ANSWER);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(Dns.RCODE_NXDOMAIN, dns.rcode());
    }

    @Test
    void rejectsTruncated() {
        String[] fixtures = {Captures.DNS_A_NOEDNS_QUERY, Captures.DNS_A_EDNS_COOKIE_QUERY, Captures.DNS_CNAME_ANSWER,
            Captures.DNS_PTR_ANSWER, Captures.DNS_AAAA_DNSSEC_QUERY, Captures.DNS_NXDOMAIN_ANSWER,
            Captures.DNS_RESOLVED_A_QUERY, Captures.DNS_RESOLVED_PTR_QUERY};
        for (String fixture : fixtures) {
            udpMessage(dns, fixture);
            int full = dns.length();
            assertEquals(WireError.OK, dns.checkLength());
            for (int length = 0; length < full; length++) {
                int code = dns.wrap(dns.buffer(), UDP_DNS, length).checkLength();
                assertTrue(code == WireError.TRUNCATED || code == WireError.BAD_COUNT, length + ": " + code);
            }
            assertEquals(WireError.TRUNCATED, dns.wrap(dns.buffer(), UDP_DNS, full + 8).checkLength());
        }
    }

    @Test
    void rejectsBadCountsAndOpt() {
        udpMessage(dns, Captures.DNS_A_EDNS_COOKIE_QUERY);
        ByteBuffer buf = dns.buffer();
        buf.putShort(UDP_DNS + 10, (short) 2); // ARCOUNT 2 but only the OPT is there
        assertEquals(WireError.BAD_COUNT, dns.checkLength());
        buf.putShort(UDP_DNS + 10, (short) 0xFFFF); // absurd for the size
        assertEquals(WireError.BAD_COUNT, dns.checkLength());
        buf.putShort(UDP_DNS + 10, (short) 0);
        buf.putShort(UDP_DNS + 6, (short) 1); // the OPT counted as an answer
        assertEquals(WireError.BAD_COUNT, dns.checkLength());
        buf.putShort(UDP_DNS + 6, (short) 0);
        buf.putShort(UDP_DNS + 10, (short) 1);
        assertEquals(WireError.OK, dns.checkLength());
        int optRdata = UDP_DNS + 31 + 11;
        buf.putShort(optRdata + 2, (short) 9); // cookie option length runs past the OPT RDATA
        assertEquals(WireError.BAD_OPTION, dns.checkLength());
        buf.putShort(optRdata + 2, (short) 8);
        buf.putShort(UDP_DNS + 4, (short) 0); // no question
        assertTrue(dns.checkLength() < 0); // the question bytes do not parse as a record
        buf.putShort(UDP_DNS + 4, (short) 1);
        buf.put(UDP_DNS + 2, (byte) 0x29); // opcode 5 (UPDATE)
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(WireError.UNSUPPORTED, dns.checkQuery());
    }

    @Test
    void rejectsCompressionLoopInQuestion() {
        udpMessage(dns, Captures.DNS_A_NOEDNS_QUERY);
        ByteBuffer buf = dns.buffer();
        buf.put(UDP_DNS + 12, (byte) 0xC0).put(UDP_DNS + 13, (byte) 12); // QNAME points at itself
        assertEquals(WireError.BAD_POINTER, dns.checkLength());
        buf.put(UDP_DNS + 13, (byte) 20); // forward, past the pointer itself
        assertEquals(WireError.BAD_POINTER, dns.checkLength());
        // Into the header is a prior occurrence, so legal in form: flags 0x0120 read as the label "\032".
        buf.put(UDP_DNS + 13, (byte) 2);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals("\\032", dns.questionName());
    }

    @Test
    void headerOnlyMessageHasNoQuestion() {
        udpMessage(dns, Captures.DNS_A_NOEDNS_QUERY);
        ByteBuffer buf = dns.buffer();
        buf.putShort(UDP_DNS + 4, (short) 0);
        dns.wrap(buf, UDP_DNS, Dns.HEADER_LENGTH);
        assertEquals(WireError.OK, dns.checkLength());
        assertEquals(WireError.BAD_COUNT, dns.checkQuery());
        assertEquals(-1, dns.questionType());
        assertEquals(-1, dns.questionClass());
        assertEquals("", dns.questionName());
        assertFalse(dns.questionNameEquals("www.test.zone"));
        assertFalse(dns.questionHasTopLabel("zone"));
        assertEquals(-1, dns.firstRecord());
    }
}
