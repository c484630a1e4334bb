package io.torgate.gateway.dns;

/**
 * What the DNS service counts; {@link #label()} is the stable metric label. Queries that are not answered
 * (drops) and answers given for a reason other than the name's data each have their own counter.
 *
 * <p>Immutable; thread-safe.
 */
public enum DnsCounter {
    QUERIES_UDP("queries_udp"),
    QUERIES_TCP("queries_tcp"),
    ANSWERS("answers"),
    CACHE_HITS("cache_hits"),
    CACHE_MISSES("cache_misses"),
    /** A query that joined a RESOLVE already in flight for the same key (RFC 5452 section 5 calls for this). */
    COALESCED("coalesced"),
    RESOLVES("resolves"),
    RESOLVE_PTRS("resolve_ptrs"),
    RESOLVE_FAILURES("resolve_failures"),
    RESOLVE_TIMEOUTS("resolve_timeouts"),
    MAPPED_ANSWERS("mapped_answers"),
    ONION_MAPPED("onion_mapped"),
    /** Special-use names (localhost, .local, .invalid) answered here and never sent to tor. */
    SPECIAL_USE("special_use"),
    /** Answered SERVFAIL at once because tor is not bootstrapped. */
    NOT_BOOTSTRAPPED("not_bootstrapped"),
    /** Answered SERVFAIL: the client already has its maximum of queries waiting for Tor. */
    OUTSTANDING_CAP("outstanding_cap"),
    /** Answered SERVFAIL: every pre-allocated lookup is busy. */
    LOOKUPS_EXHAUSTED("lookups_exhausted"),
    /** Dropped: the client's token bucket is empty. */
    RATE_LIMITED("rate_limited"),
    /** Dropped: no free request slot between the workers and the agent. */
    QUEUE_FULL("queue_full"),
    /** Dropped: not a DNS message (no complete header, or a response). */
    MALFORMED("malformed"),
    /** Answered FORMERR: a header but a broken body, or not exactly one question. */
    FORMERR("formerr"),
    /** Answered NOTIMP: an opcode other than QUERY, a class other than IN, or a zone-transfer type. */
    NOTIMP("notimp"),
    /** Answered BADVERS: an EDNS version other than 0. */
    BADVERS("badvers"),
    /** Dropped: a query larger than a request slot. */
    OVERSIZED("oversized"),
    /** Answers that carried the TC bit. */
    TRUNCATED("truncated"),
    /** A TCP connection closed by us for a malformed frame. */
    TCP_BAD_FRAME("tcp_bad_frame"),
    /** Exceptions caught by the agent loop (a bug: logged, and the loop goes on). */
    ERRORS("errors"),
    /** Virtual map save failures. */
    MAP_SAVE_ERRORS("map_save_errors");

    private final String label;

    DnsCounter(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
