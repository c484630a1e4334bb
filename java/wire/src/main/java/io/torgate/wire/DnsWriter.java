package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * Builds DNS responses (RFC 1035 section 4.1) into a caller-owned, reused {@link ByteBuffer} without
 * allocating: header, the query's question copied byte for byte (so a resolver's 0x20 case randomisation
 * survives), answers (A, CNAME, PTR), an SOA in the authority section for negative answers (RFC 2308) and an
 * OPT record (RFC 6891). Owner names are compression pointers to names already in the message: the question
 * name is at {@link #QUESTION_NAME}, and {@link #addCname} returns where it put the target so the records of
 * the alias can point at it.
 *
 * <p>Use: {@link #startResponse} (or {@link #startHeaderOnly} for a message too broken to have a question),
 * then answers, then the authority SOA, then {@link #addOpt} when the query had EDNS, then {@link #finish()}.
 * Sections must be filled in that order. Size: the caller gives the client's limit (512 without EDNS, its
 * payload size with EDNS, 65535 over TCP); room for the OPT record is reserved up front. An answer or
 * authority record that does not fit is left out whole, the TC bit is set (RFC 2181 section 9) and later
 * answer and authority records are refused, so the client retries over TCP (RFC 7766).
 *
 * <p>The output must not overlap the query's bytes. Ownership: one writer per thread, reused for every
 * response; it keeps indexes only. Not thread-safe.
 */
public final class DnsWriter {
    /** Offset of the question name from the message start: the target of owner-name pointers. */
    public static final int QUESTION_NAME = Dns.HEADER_LENGTH;
    /** Length of an OPT record with no options, in bytes: root, TYPE, CLASS, TTL, RDLENGTH. */
    public static final int OPT_LENGTH = 1 + Dns.RECORD_FIXED;

    private static final int SECTION_ANSWER = 1;
    private static final int SECTION_AUTHORITY = 2;
    private static final int SECTION_ADDITIONAL = 3;
    private static final int POINTER = 0xC000;
    /** Compression pointers carry 14 bits of offset. */
    private static final int MAX_POINTER_TARGET = 0x3FFF;

    private final DnsName name = new DnsName();
    private ByteBuffer out;
    private int start;
    private int limit;
    private int pos;
    private int reserved;
    private int section;
    private boolean truncated;
    private final int[] counts = new int[4];

    /**
     * Starts a response to {@code query} (which passed {@link Dns#checkLength()}): same ID and opcode, QR and
     * RA set, RD and CD copied (RFC 1035 4.1.1, RFC 4035 3.2.2), AA as asked, and the question copied when the
     * query has exactly one (otherwise QDCOUNT is 0, as for FORMERR).
     *
     * @param out           destination buffer (big-endian)
     * @param offset        absolute index of the response (after the TCP length prefix, if any)
     * @param maxLength     largest response the client accepts, >= 512 for UDP
     * @param rcode         e.g. {@link Dns#RCODE_NOERROR}, {@link Dns#RCODE_NXDOMAIN}
     * @param authoritative value of the AA bit
     * @return {@link WireError#OK}, or {@link WireError#TRUNCATED} when even header and question do not fit
     */
    public int startResponse(Dns query, ByteBuffer out, int offset, int maxLength, int rcode,
                             boolean authoritative) {
        int code = begin(out, offset, maxLength, query.hasEdns(), query.id(), query.flags(), rcode, authoritative);
        if (code < 0 || query.questionCount() != 1) {
            return code;
        }
        int typeAndClass = query.questionType() << 16 | query.questionClass();
        name.start(query.buffer(), query.offset(), query.end(), query.questionNameOffset());
        int len;
        while ((len = name.next()) > 0) {
            if (pos + 1 + len > limit) {
                return WireError.TRUNCATED;
            }
            out.put(pos, (byte) len);
            out.put(pos + 1, query.buffer(), name.labelOffset(), len);
            pos += 1 + len;
        }
        if (len < 0 || pos + 1 + Dns.QUESTION_FIXED > limit) {
            return len < 0 ? len : WireError.TRUNCATED;
        }
        out.put(pos, (byte) 0);
        out.putInt(pos + 1, typeAndClass);
        pos += 1 + Dns.QUESTION_FIXED;
        counts[0] = 1;
        return WireError.OK;
    }

    /**
     * Starts a header-only response (e.g. FORMERR) to a message that failed {@link Dns#checkLength()} but has a
     * 12-byte header: its ID, opcode and RD are copied, all counts are zero.
     *
     * @return OK, or {@link WireError#TRUNCATED} when the message has no complete header (send nothing)
     */
    public int startHeaderOnly(ByteBuffer query, int queryOffset, int queryLength, ByteBuffer out, int offset,
                               int maxLength, int rcode) {
        if (queryLength < Dns.HEADER_LENGTH) {
            return WireError.TRUNCATED;
        }
        int id = query.getShort(queryOffset) & 0xFFFF;
        int flags = query.getShort(queryOffset + 2) & 0xFFFF;
        return begin(out, offset, maxLength, false, id, flags, rcode, false);
    }

    private int begin(ByteBuffer out, int offset, int maxLength, boolean reserveOpt, int id, int queryFlags,
                      int rcode, boolean authoritative) {
        this.out = out;
        this.start = offset;
        this.limit = offset + Math.min(maxLength, out.limit() - offset);
        this.reserved = reserveOpt ? OPT_LENGTH : 0;
        this.section = 0;
        this.truncated = false;
        counts[0] = 0;
        counts[SECTION_ANSWER] = 0;
        counts[SECTION_AUTHORITY] = 0;
        counts[SECTION_ADDITIONAL] = 0;
        if (limit - start < Dns.HEADER_LENGTH + reserved) {
            return WireError.TRUNCATED;
        }
        int flags = Dns.FLAG_QR | (queryFlags & (0x7800 | Dns.FLAG_RD | Dns.FLAG_CD)) | Dns.FLAG_RA
            | (authoritative ? Dns.FLAG_AA : 0) | (rcode & 0x0F);
        out.putShort(offset, (short) id);
        out.putShort(offset + 2, (short) flags);
        out.putLong(offset + 4, 0L);
        pos = offset + Dns.HEADER_LENGTH;
        return WireError.OK;
    }

    /**
     * Adds an A record (RFC 1035 section 3.4.1) to the answer section.
     *
     * @param owner offset (from the message start) of the owner name, e.g. {@link #QUESTION_NAME}
     * @param ttl   seconds, 0 .. 2^31-1 (RFC 2181 section 8)
     * @return OK, or TRUNCATED (left out, TC set) / UNSUPPORTED (section order)
     */
    public int addA(int owner, int ttl, int address) {
        int rdata = beginRecord(SECTION_ANSWER, owner, Dns.TYPE_A, ttl, 4);
        if (rdata < 0) {
            return rdata;
        }
        out.putInt(rdata, address);
        return endRecord(rdata, rdata + 4);
    }

    /**
     * Adds a CNAME record to the answer section.
     *
     * @return offset (from the message start) of the written target name, to use as owner of its A records;
     *     or a negative code (TRUNCATED: left out and TC set; BAD_LABEL: the target is not a valid name)
     */
    public int addCname(int owner, int ttl, CharSequence target) {
        return addNameRecord(owner, Dns.TYPE_CNAME, ttl, target);
    }

    /** Adds a PTR record (RFC 1035 section 3.3.12); returns like {@link #addCname}. */
    public int addPtr(int owner, int ttl, CharSequence target) {
        return addNameRecord(owner, Dns.TYPE_PTR, ttl, target);
    }

    private int addNameRecord(int owner, int type, int ttl, CharSequence target) {
        int rdata = beginRecord(SECTION_ANSWER, owner, type, ttl, 1);
        if (rdata < 0) {
            return rdata;
        }
        int after = DnsName.write(out, rdata, limit - reserved, target);
        if (after < 0) {
            return rollBack(rdata, after);
        }
        int code = endRecord(rdata, after);
        return code < 0 ? code : rdata - start;
    }

    /**
     * Adds the SOA that makes a NXDOMAIN or NODATA answer cacheable (RFC 2308 section 3) to the authority
     * section. Its TTL is written as min(ttl, minimum), which is what RFC 2308 says resolvers use as the
     * negative TTL.
     *
     * @param owner offset of the zone name (e.g. {@link #QUESTION_NAME} when we speak for the name itself)
     * @return OK or a negative code as for {@link #addA}
     */
    public int addSoa(int owner, int ttl, CharSequence mname, CharSequence rname, int serial, int refresh,
                      int retry, int expire, int minimum) {
        int rdata = beginRecord(SECTION_AUTHORITY, owner, Dns.TYPE_SOA, Math.min(ttl, minimum), 22);
        if (rdata < 0) {
            return rdata;
        }
        int p = DnsName.write(out, rdata, limit - reserved, mname);
        p = p < 0 ? p : DnsName.write(out, p, limit - reserved, rname);
        if (p < 0 || p + 20 > limit - reserved) {
            return rollBack(rdata, p < 0 ? p : WireError.TRUNCATED);
        }
        out.putInt(p, serial);
        out.putInt(p + 4, refresh);
        out.putInt(p + 8, retry);
        out.putInt(p + 12, expire);
        out.putInt(p + 16, minimum);
        return endRecord(rdata, p + 20);
    }

    /**
     * Adds the OPT pseudo-record (RFC 6891 section 6.1.2) to the additional section: our UDP payload size, the
     * extended RCODE 0, version 0 and the DO bit when we echo it. Always fits (space was reserved).
     */
    public int addOpt(int udpPayloadSize, boolean dnssecOk) {
        return addOpt(udpPayloadSize, dnssecOk, 0);
    }

    /**
     * As {@link #addOpt(int, boolean)}, carrying the upper 8 bits of a 12-bit RCODE such as
     * {@link Dns#RCODE_BADVERS} (the header got the lower 4 bits from {@code startResponse}).
     */
    public int addOpt(int udpPayloadSize, boolean dnssecOk, int rcode) {
        if (section > SECTION_ADDITIONAL || pos + OPT_LENGTH > limit) {
            return WireError.UNSUPPORTED;
        }
        section = SECTION_ADDITIONAL + 1; // one OPT only
        out.put(pos, (byte) 0);
        out.putShort(pos + 1, (short) Dns.TYPE_OPT);
        out.putShort(pos + 3, (short) udpPayloadSize);
        out.putInt(pos + 5, (rcode >>> 4 & 0xFF) << 24 | (dnssecOk ? Dns.EDNS_DO : 0));
        out.putShort(pos + 9, (short) 0);
        pos += OPT_LENGTH;
        reserved = 0;
        counts[SECTION_ADDITIONAL]++;
        return WireError.OK;
    }

    /**
     * Writes the section counts and the TC bit.
     *
     * @return the message length in bytes (the response occupies {@code [offset, offset + length)})
     */
    public int finish() {
        out.putShort(start + 4, (short) counts[0]);
        out.putShort(start + 6, (short) counts[SECTION_ANSWER]);
        out.putShort(start + 8, (short) counts[SECTION_AUTHORITY]);
        out.putShort(start + 10, (short) counts[SECTION_ADDITIONAL]);
        if (truncated) {
            out.putShort(start + 2, (short) (out.getShort(start + 2) | Dns.FLAG_TC));
        }
        return pos - start;
    }

    /** True once a record was left out for lack of room (the response will carry TC). */
    public boolean truncated() {
        return truncated;
    }

    /** Bytes written so far. */
    public int length() {
        return pos - start;
    }

    /** Writes NAME (a pointer), TYPE, CLASS IN, TTL and a placeholder RDLENGTH; returns the RDATA index. */
    private int beginRecord(int target, int owner, int type, int ttl, int minRdata) {
        if (section > target || owner < 0 || owner > MAX_POINTER_TARGET) {
            return WireError.UNSUPPORTED;
        }
        if (truncated) {
            return WireError.TRUNCATED;
        }
        section = target;
        if (pos + 2 + Dns.RECORD_FIXED + minRdata > limit - reserved) {
            truncated = true;
            return WireError.TRUNCATED;
        }
        out.putShort(pos, (short) (POINTER | owner));
        out.putShort(pos + 2, (short) type);
        out.putShort(pos + 4, (short) Dns.CLASS_IN);
        out.putInt(pos + 6, Math.max(ttl, 0));
        return pos + 2 + Dns.RECORD_FIXED;
    }

    private int endRecord(int rdata, int after) {
        out.putShort(rdata - 2, (short) (after - rdata));
        pos = after;
        counts[section]++;
        return WireError.OK;
    }

    /** Forgets a half-written record; running out of room marks the response truncated. */
    private int rollBack(int rdata, int code) {
        if (code == WireError.TRUNCATED) {
            truncated = true;
        }
        pos = rdata - 2 - Dns.RECORD_FIXED;
        return code;
    }
}
