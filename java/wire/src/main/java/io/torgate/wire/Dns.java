package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight reader of a DNS message (RFC 1035 section 4.1) in a {@link ByteBuffer}, with EDNS(0) (RFC 6891).
 * Indexes are absolute; the buffer must be big-endian (the default). Over TCP, wrap the bytes after the two-byte
 * length prefix (RFC 1035 section 4.2.2).
 *
 * <pre>
 *                                   1  1  1  1  1  1
 *     0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                      ID                       |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                    QDCOUNT                    |
 *   |                    ANCOUNT                    |
 *   |                    NSCOUNT                    |
 *   |                    ARCOUNT                    |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   | Question: QNAME (labels or pointer), QTYPE, QCLASS
 *   | Answer, Authority, Additional: NAME, TYPE, CLASS, TTL (32 bits), RDLENGTH, RDATA
 * </pre>
 * (AD and CD are from RFC 4035 section 3.2.)
 *
 * <p>Untrusted bytes: {@link #wrap} then {@link #checkLength()} once. It walks every name (see {@link DnsName}
 * for the compression-pointer rules) and every record, checks the counts against the bytes present and finds
 * the OPT record; after it returns {@link WireError#OK} no accessor can fail, and the record cursor
 * ({@link #firstRecord()}, {@link #nextRecord(int)}) only visits validated records. A server then calls
 * {@link #checkQuery()} to decide between an answer, FORMERR and NOTIMP.
 *
 * <p>Ownership: the flyweight (and its name cursor) is reused by one thread for many messages. Not thread-safe.
 */
public final class Dns extends Flyweight {
    /** Fixed header length in bytes. */
    public static final int HEADER_LENGTH = 12;
    /** Largest UDP answer for a client without EDNS (RFC 1035 section 4.2.1). */
    public static final int CLASSIC_UDP_LIMIT = 512;

    public static final int TYPE_A = 1;
    public static final int TYPE_NS = 2;
    public static final int TYPE_CNAME = 5;
    public static final int TYPE_SOA = 6;
    public static final int TYPE_PTR = 12;
    public static final int TYPE_MX = 15;
    public static final int TYPE_TXT = 16;
    public static final int TYPE_AAAA = 28;
    public static final int TYPE_SRV = 33;
    public static final int TYPE_OPT = 41;
    public static final int TYPE_ANY = 255;
    public static final int CLASS_IN = 1;

    public static final int OPCODE_QUERY = 0;
    public static final int RCODE_NOERROR = 0;
    public static final int RCODE_FORMERR = 1;
    public static final int RCODE_SERVFAIL = 2;
    public static final int RCODE_NXDOMAIN = 3;
    public static final int RCODE_NOTIMP = 4;
    public static final int RCODE_REFUSED = 5;
    /** Extended RCODE for an EDNS version we do not speak (RFC 6891 section 6.1.3); needs an OPT record. */
    public static final int RCODE_BADVERS = 16;
    /** EDNS option code of DNS cookies (RFC 7873). */
    public static final int OPTION_COOKIE = 10;

    // Header offsets in bytes.
    private static final int ID = 0;
    private static final int FLAGS = 2;
    private static final int QDCOUNT = 4;
    private static final int ANCOUNT = 6;
    private static final int NSCOUNT = 8;
    private static final int ARCOUNT = 10;

    static final int FLAG_QR = 0x8000;
    static final int FLAG_AA = 0x0400;
    static final int FLAG_TC = 0x0200;
    static final int FLAG_RD = 0x0100;
    static final int FLAG_RA = 0x0080;
    static final int FLAG_AD = 0x0020;
    static final int FLAG_CD = 0x0010;
    /** DO bit in the OPT TTL field (RFC 3225 section 3). */
    static final int EDNS_DO = 0x8000;

    /** Question fixed part after QNAME: QTYPE and QCLASS, in bytes. */
    static final int QUESTION_FIXED = 4;
    /** Record fixed part after NAME: TYPE, CLASS, TTL and RDLENGTH, in bytes. */
    static final int RECORD_FIXED = 10;

    private final DnsName name = new DnsName();
    private int end;
    private int questionEnd;
    /** Index of the first question's QTYPE, found by checkLength() so accessors need not re-walk the name. */
    private int questionFixed;
    private int answerEnd;
    private int authorityEnd;
    private int recordsEnd;
    private int opt;
    private int optRdata;

    /**
     * Points this flyweight at a message of {@code length} bytes at absolute index {@code offset}.
     *
     * @return this
     */
    public Dns wrap(ByteBuffer buf, int offset, int length) {
        view(buf, offset, length);
        this.end = offset + length;
        this.opt = -1;
        return this;
    }

    /**
     * The checked path: header present, every question and record (names, fixed parts, RDATA) inside the
     * message, counts matching, at most one OPT record and only in the additional section with the root as
     * owner (RFC 6891 section 6.1.1). Bytes after the last counted record are ignored.
     *
     * @return {@link WireError#OK} or a negative code: TRUNCATED, BAD_COUNT, BAD_LABEL, BAD_POINTER,
     *     POINTER_LOOP, BAD_OPTION; never throws
     */
    public int checkLength() {
        opt = -1;
        if (!fits(HEADER_LENGTH)) {
            return WireError.TRUNCATED;
        }
        int questions = questionCount();
        int records = answerCount() + authorityCount() + additionalCount();
        // Each question needs >= 5 bytes and each record >= 11: reject absurd counts before walking.
        if ((long) questions * 5 + (long) records * 11 > length - HEADER_LENGTH) {
            return WireError.BAD_COUNT;
        }
        int pos = offset + HEADER_LENGTH;
        for (int i = 0; i < questions; i++) {
            if (pos >= end) {
                return WireError.BAD_COUNT; // the count promises a question the bytes do not hold
            }
            pos = name.skip(buf, offset, end, pos);
            if (pos < 0) {
                return pos;
            }
            if (i == 0) {
                questionFixed = pos;
            }
            pos += QUESTION_FIXED;
            if (pos > end) {
                return WireError.TRUNCATED;
            }
        }
        questionEnd = pos;
        pos = checkRecords(pos, answerCount(), false);
        answerEnd = pos;
        pos = checkRecords(pos, authorityCount(), false);
        authorityEnd = pos;
        pos = checkRecords(pos, additionalCount(), true);
        recordsEnd = pos;
        return Math.min(pos, 0);
    }

    /** Walks {@code count} records from {@code pos}; returns the index after them or a negative code. */
    private int checkRecords(int pos, int count, boolean additional) {
        for (int i = 0; i < count && pos >= 0; i++) {
            if (pos >= end) {
                return WireError.BAD_COUNT;
            }
            int start = pos;
            pos = name.skip(buf, offset, end, pos);
            if (pos < 0) {
                return pos;
            }
            if (pos + RECORD_FIXED > end) {
                return WireError.TRUNCATED;
            }
            int rdata = pos + RECORD_FIXED;
            int next = rdata + (buf.getShort(pos + 8) & 0xFFFF);
            if (next > end) {
                return WireError.TRUNCATED;
            }
            if ((buf.getShort(pos) & 0xFFFF) == TYPE_OPT) {
                int code = checkOpt(start, pos, rdata, next, additional);
                if (code < 0) {
                    return code;
                }
            }
            pos = next;
        }
        return pos;
    }

    private int checkOpt(int start, int fixed, int rdata, int next, boolean additional) {
        if (!additional || opt >= 0) {
            return WireError.BAD_COUNT;
        }
        if (fixed != start + 1) {
            return WireError.BAD_OPTION; // owner must be the root (one zero byte)
        }
        // Options are {code, length, data}; they must tile the RDATA exactly (RFC 6891 section 6.1.2).
        int p = rdata;
        while (p < next) {
            if (p + 4 > next) {
                return WireError.BAD_OPTION;
            }
            p += 4 + (buf.getShort(p + 2) & 0xFFFF);
        }
        if (p != next) {
            return WireError.BAD_OPTION;
        }
        opt = fixed;
        optRdata = rdata;
        return WireError.OK;
    }

    /**
     * What a server may answer, after {@link #checkLength()} passed: a query (QR clear) with opcode QUERY and
     * exactly one question.
     *
     * @return OK; {@link WireError#UNSUPPORTED} for another opcode (answer NOTIMP, RFC 1035 section 4.1.1);
     *     {@link WireError#BAD_COUNT} for QR set or a question count other than one (answer FORMERR)
     */
    public int checkQuery() {
        if ((flags() & FLAG_QR) != 0 || questionCount() != 1) {
            return WireError.BAD_COUNT;
        }
        return opcode() == OPCODE_QUERY ? WireError.OK : WireError.UNSUPPORTED;
    }

    public int id() {
        return buf.getShort(offset + ID) & 0xFFFF;
    }

    /** The 16 flag bits (QR .. RCODE) as one value. */
    public int flags() {
        return buf.getShort(offset + FLAGS) & 0xFFFF;
    }

    public boolean isResponse() {
        return (flags() & FLAG_QR) != 0;
    }

    public int opcode() {
        return (flags() >>> 11) & 0x0F;
    }

    public boolean authoritative() {
        return (flags() & FLAG_AA) != 0;
    }

    public boolean truncated() {
        return (flags() & FLAG_TC) != 0;
    }

    public boolean recursionDesired() {
        return (flags() & FLAG_RD) != 0;
    }

    public boolean recursionAvailable() {
        return (flags() & FLAG_RA) != 0;
    }

    public boolean authenticData() {
        return (flags() & FLAG_AD) != 0;
    }

    public boolean checkingDisabled() {
        return (flags() & FLAG_CD) != 0;
    }

    /** The header RCODE (low 4 bits; EDNS extends it with {@link #ednsExtendedRcode()}). */
    public int rcode() {
        return flags() & 0x0F;
    }

    public int questionCount() {
        return buf.getShort(offset + QDCOUNT) & 0xFFFF;
    }

    public int answerCount() {
        return buf.getShort(offset + ANCOUNT) & 0xFFFF;
    }

    public int authorityCount() {
        return buf.getShort(offset + NSCOUNT) & 0xFFFF;
    }

    public int additionalCount() {
        return buf.getShort(offset + ARCOUNT) & 0xFFFF;
    }

    /** Absolute index of the first question's QNAME (the byte after the header). */
    public int questionNameOffset() {
        return offset + HEADER_LENGTH;
    }

    /** QTYPE of the first question, or -1 when there is none. */
    public int questionType() {
        return questionCount() == 0 ? -1 : buf.getShort(questionFixed) & 0xFFFF;
    }

    /** QCLASS of the first question, or -1 when there is none. */
    public int questionClass() {
        return questionCount() == 0 ? -1 : buf.getShort(questionFixed + 2) & 0xFFFF;
    }

    /** Absolute index after the question section (where the answer section starts). */
    public int questionEnd() {
        return questionEnd;
    }

    /** The first question's name in presentation form without a trailing dot, e.g. "www.test.zone" (allocates). */
    public String questionName() {
        StringBuilder sb = new StringBuilder(64);
        name.appendTo(buf, offset, end, questionNameOffset(), sb);
        return sb.toString();
    }

    /** Case-insensitive comparison of the first question's name with a plain dotted name (RFC 4343). */
    public boolean questionNameEquals(CharSequence dotted) {
        return name.equalsIgnoreCase(buf, offset, end, questionNameOffset(), dotted);
    }

    /** True when the question name's last label is {@code label}, case-insensitively (e.g. "onion"). */
    public boolean questionHasTopLabel(CharSequence label) {
        return name.hasTopLabel(buf, offset, end, questionNameOffset(), label);
    }

    /** The name cursor this reader uses, for walking names at record offsets (same message bounds). */
    public DnsName nameCursor() {
        return name;
    }

    /** Absolute index one past the message. */
    public int end() {
        return end;
    }

    /**
     * Record cursor: absolute index of the first answer record, or -1 when there are no records. Records run
     * through answer, authority and additional sections in order; see {@link #section(int)}.
     */
    public int firstRecord() {
        return answerCount() + authorityCount() + additionalCount() == 0 ? -1 : questionEnd;
    }

    /** The record after the one at {@code record}, or -1 after the last counted record. */
    public int nextRecord(int record) {
        int next = rdataOffset(record) + rdataLength(record);
        return next < recordsEnd ? next : -1;
    }

    /** Section of the record at {@code record}: 1 answer, 2 authority, 3 additional. */
    public int section(int record) {
        return record < answerEnd ? 1 : record < authorityEnd ? 2 : 3;
    }

    private int recordFixed(int record) {
        return name.skip(buf, offset, end, record);
    }

    public int recordType(int record) {
        return buf.getShort(recordFixed(record)) & 0xFFFF;
    }

    public int recordClass(int record) {
        return buf.getShort(recordFixed(record) + 2) & 0xFFFF;
    }

    /** TTL in seconds (unsigned 32 bits; RFC 2181 section 8 caps meaningful values at 2^31 - 1). */
    public long recordTtl(int record) {
        return buf.getInt(recordFixed(record) + 4) & 0xFFFF_FFFFL;
    }

    public int rdataLength(int record) {
        return buf.getShort(recordFixed(record) + 8) & 0xFFFF;
    }

    public int rdataOffset(int record) {
        return recordFixed(record) + RECORD_FIXED;
    }

    /** True when the message carries an OPT record (the client speaks EDNS). */
    public boolean hasEdns() {
        return opt >= 0;
    }

    /** Requestor's UDP payload size from the OPT CLASS field, or 512 without EDNS. */
    public int ednsUdpPayloadSize() {
        return opt < 0 ? CLASSIC_UDP_LIMIT : buf.getShort(opt + 2) & 0xFFFF;
    }

    public int ednsExtendedRcode() {
        return opt < 0 ? 0 : buf.get(opt + 4) & 0xFF;
    }

    public int ednsVersion() {
        return opt < 0 ? 0 : buf.get(opt + 5) & 0xFF;
    }

    /** The DO bit: the client wants DNSSEC records (RFC 3225). */
    public boolean dnssecOk() {
        return opt >= 0 && (buf.getShort(opt + 6) & EDNS_DO) != 0;
    }

    /**
     * Finds an EDNS option by code.
     *
     * @return absolute index of the option's data (its length is the 16 bits before it), or -1
     */
    public int ednsOption(int code) {
        if (opt < 0) {
            return -1;
        }
        int p = optRdata;
        int stop = optRdata + (buf.getShort(opt + 8) & 0xFFFF);
        while (p < stop) {
            if ((buf.getShort(p) & 0xFFFF) == code) {
                return p + 4;
            }
            p += 4 + (buf.getShort(p + 2) & 0xFFFF);
        }
        return -1;
    }

    /**
     * Largest UDP response this client accepts: its EDNS payload size (values below 512 count as 512, RFC 6891
     * section 6.2.5) capped at {@code serverMax}, or 512 without EDNS.
     */
    public int maxUdpResponse(int serverMax) {
        if (opt < 0) {
            return CLASSIC_UDP_LIMIT;
        }
        return Math.max(CLASSIC_UDP_LIMIT, Math.min(ednsUdpPayloadSize(), serverMax));
    }
}
