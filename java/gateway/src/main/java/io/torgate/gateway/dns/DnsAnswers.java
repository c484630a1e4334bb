package io.torgate.gateway.dns;

import io.torgate.wire.Dns;
import io.torgate.wire.DnsWriter;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/**
 * Writes every response the service gives, with {@link DnsWriter}: the question is copied (0x20 case kept),
 * RA set, AA clear (we are a recursive service, not an authority), an OPT record when the query had one.
 *
 * <p>Negative answers (NXDOMAIN, NODATA) carry an SOA in the authority section so resolvers can cache them
 * (RFC 2308 section 3). We are authoritative for nothing, so its owner is the question's top-level label (an
 * ancestor of the name, which is what RFC 2308 section 2.2 needs) and its names are under {@code .invalid}
 * (RFC 6761 section 6.4); its TTL and MINIMUM are the configured negative TTL.
 *
 * <p>Ownership: one per agent thread (it owns a writer). Not thread-safe.
 */
final class DnsAnswers {
    static final String SOA_MNAME = "gateway.torgate.invalid";
    static final String SOA_RNAME = "hostmaster.torgate.invalid";

    private final DnsWriter writer = new DnsWriter();
    private final int udpPayloadSize;
    private final int negativeTtl;

    DnsAnswers(int udpPayloadSize, int negativeTtl) {
        this.udpPayloadSize = udpPayloadSize;
        this.negativeTtl = negativeTtl;
    }

    private int maxLength(Dns query, boolean tcp, int room) {
        return Math.min(room, tcp ? 65535 : query.maxUdpResponse(udpPayloadSize));
    }

    private boolean start(Dns query, ByteBuffer out, int offset, int room, boolean tcp, int rcode) {
        return writer.startResponse(query, out, offset, maxLength(query, tcp, room), rcode, false) == WireError.OK;
    }

    private int finish(Dns query) {
        if (query.hasEdns()) {
            writer.addOpt(udpPayloadSize, false);
        }
        return writer.finish();
    }

    /** An A answer (also for ANY, RFC 8482 section 4.2: a subset of the RRsets). Returns the length, 0 if none. */
    int address(Dns query, ByteBuffer out, int offset, int room, boolean tcp, int ttl, int address) {
        if (!start(query, out, offset, room, tcp, Dns.RCODE_NOERROR)) {
            return 0;
        }
        writer.addA(DnsWriter.QUESTION_NAME, ttl, address);
        return finish(query);
    }

    /** A PTR answer. */
    int pointer(Dns query, ByteBuffer out, int offset, int room, boolean tcp, int ttl, CharSequence target) {
        if (!start(query, out, offset, room, tcp, Dns.RCODE_NOERROR)) {
            return 0;
        }
        writer.addPtr(DnsWriter.QUESTION_NAME, ttl, target);
        return finish(query);
    }

    /**
     * NXDOMAIN ({@code rcode} 3) or NODATA ({@code rcode} 0, no answer) with the SOA.
     *
     * @param ttl      remaining TTL (cache hits count down)
     * @param topLabel offset of the question's top-level label within the canonical name
     */
    int negative(Dns query, ByteBuffer out, int offset, int room, boolean tcp, int rcode, int ttl, int topLabel) {
        if (!start(query, out, offset, room, tcp, rcode)) {
            return 0;
        }
        writer.addSoa(DnsWriter.QUESTION_NAME + topLabel, ttl, SOA_MNAME, SOA_RNAME, 1, 3600, 600, 86400,
            negativeTtl);
        return finish(query);
    }

    /** A bare answer with an RCODE: SERVFAIL, REFUSED, NOTIMP, FORMERR (question echoed when there is one). */
    int error(Dns query, ByteBuffer out, int offset, int room, boolean tcp, int rcode) {
        if (!start(query, out, offset, room, tcp, rcode)) {
            return 0;
        }
        return finish(query);
    }

    /** BADVERS for an EDNS version other than 0 (RFC 6891 section 6.1.3): 12-bit RCODE split header/OPT. */
    int badVersion(Dns query, ByteBuffer out, int offset, int room, boolean tcp) {
        if (!start(query, out, offset, room, tcp, Dns.RCODE_BADVERS)) {
            return 0;
        }
        writer.addOpt(udpPayloadSize, false, Dns.RCODE_BADVERS);
        return writer.finish();
    }

    /** FORMERR for a message with a header but a body that does not parse (RFC 1035 section 4.1.1). */
    int headerOnly(ByteBuffer query, int queryOffset, int queryLength, ByteBuffer out, int offset, int rcode) {
        if (writer.startHeaderOnly(query, queryOffset, queryLength, out, offset, Dns.CLASSIC_UDP_LIMIT, rcode)
            != WireError.OK) {
            return 0;
        }
        return writer.finish();
    }

    /** True when the last response was cut short (TC set). */
    boolean truncated() {
        return writer.truncated();
    }
}
