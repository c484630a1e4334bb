package io.torgate.gateway.dns;

import io.torgate.tor.ClientAction;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Dns;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;

/**
 * Decides the answer to each query. Every request handed to {@link #handle} is given back exactly once to the
 * {@link Emitter}, with a response ({@link DnsRequest#responseLength} &gt; 0) or without one (a drop): at once,
 * or when the RESOLVE it waits for completes.
 *
 * <table>
 *   <caption>query → answer</caption>
 *   <tr><th>query</th><th>answer</th></tr>
 *   <tr><td>no complete header, or QR set</td><td>dropped (malformed)</td></tr>
 *   <tr><td>header but broken body; QDCOUNT ≠ 1; QTYPE OPT</td><td>FORMERR</td></tr>
 *   <tr><td>opcode ≠ QUERY; QCLASS ≠ IN; QTYPE AXFR/IXFR/MAILA/MAILB</td><td>NOTIMP</td></tr>
 *   <tr><td>EDNS version ≠ 0</td><td>BADVERS (RFC 6891 section 6.1.3)</td></tr>
 *   <tr><td>client over its rate</td><td>dropped (rate_limited)</td></tr>
 *   <tr><td>tor not bootstrapped</td><td>SERVFAIL</td></tr>
 *   <tr><td>{@code localhost} and names under it</td><td>A/ANY: 127.0.0.1; other types NODATA (RFC 6761
 *       section 6.3); never sent to tor</td></tr>
 *   <tr><td>names under {@code local} or {@code invalid}</td><td>NXDOMAIN + SOA (RFC 6762 section 22.1, RFC 6761
 *       section 6.4); never sent to tor, so an exit never sees a VM's local names</td></tr>
 *   <tr><td>A or ANY, {@code .onion} or mapped mode</td><td>A = virtual address, mapped TTL</td></tr>
 *   <tr><td>A or ANY, resolve mode</td><td>RESOLVE with the client's key: A (positive TTL), NXDOMAIN + SOA
 *       (negative TTL), SERVFAIL or REFUSED per {@code SocksReply}; an IPv6-only answer is NODATA</td></tr>
 *   <tr><td>A for a name tor cannot carry (bytes outside printable ASCII, '.' inside a label)</td>
 *       <td>NXDOMAIN + SOA</td></tr>
 *   <tr><td>PTR of a virtual address</td><td>its name, or NXDOMAIN when unmapped</td></tr>
 *   <tr><td>PTR of another {@code in-addr.arpa} address</td><td>RESOLVE_PTR, cached like A</td></tr>
 *   <tr><td>PTR of any other name under {@code arpa} (ip6.arpa, partial names)</td><td>NXDOMAIN + SOA</td></tr>
 *   <tr><td>AAAA (IPv6 is off), MX, TXT, SRV, NS, SOA, CNAME, every other type; PTR outside arpa</td>
 *       <td>NODATA: NOERROR, no answer, SOA (cacheable, RFC 2308 section 2.2)</td></tr>
 * </table>
 *
 * <p>Only positive, NXDOMAIN and NODATA outcomes are cached; SERVFAIL and REFUSED are not, so a transient tor
 * failure is retried by the next query. Identical queries (same client, type and name) arriving while a RESOLVE
 * is in flight wait for it instead of starting another.
 *
 * <p>Ownership: confined to the DNS agent thread (or to the one thread of a synchronous caller such as a
 * benchmark). Not thread-safe.
 */
final class DnsEngine implements Upstream.Completion {
    /** Receives each request once its fate is decided; owns it from then on. */
    interface Emitter {
        void emit(DnsRequest request, long nowNanos);
    }

    private static final int TYPE_IXFR = 251;
    private static final int TYPE_AXFR = 252;
    private static final int TYPE_MAILB = 253;
    private static final int TYPE_MAILA = 254;
    private static final long NANOS = 1_000_000_000L;
    private static final int LOOPBACK = 0x7F000001;

    private final DnsConfig config;
    private final IsolationKeys keys;
    private final BooleanSupplier torReady;
    private final DnsStats stats;
    private final VirtualMap map;
    private final ResolveCache cache;
    private final ClientLimits limits;
    private final DnsAnswers answers;
    private final Emitter emitter;
    private final Lookup[] lookups;
    private int freeLookups;
    private final Dns dns = new Dns();
    private final QueryName name = new QueryName();
    private Upstream upstream;

    DnsEngine(DnsConfig config, IsolationKeys keys, BooleanSupplier torReady, DnsStats stats, VirtualMap map,
              Emitter emitter) {
        this(config, keys, torReady, stats, map, emitter, null);
    }

    /** With per-client rates from {@code rates} (null: the config's rate for every client). */
    DnsEngine(DnsConfig config, IsolationKeys keys, BooleanSupplier torReady, DnsStats stats, VirtualMap map,
              Emitter emitter, DnsRateLimit rates) {
        this.config = config;
        this.keys = keys;
        this.torReady = torReady;
        this.stats = stats;
        this.map = map;
        this.emitter = emitter;
        this.cache = new ResolveCache(config.cacheEntries());
        this.limits = new ClientLimits(config.queriesPerSecond(), config.burst(), config.outstandingPerClient(),
            rates);
        this.answers = new DnsAnswers(config.udpPayloadSize(), config.negativeTtl());
        this.lookups = new Lookup[config.lookups()];
        for (int i = 0; i < lookups.length; i++) {
            lookups[i] = new Lookup();
        }
        this.freeLookups = lookups.length;
    }

    void upstream(Upstream u) {
        this.upstream = u;
    }

    ResolveCache cache() {
        return cache;
    }

    /** Decides the request's answer; see the class comment. */
    void handle(DnsRequest r, long now) {
        r.receivedNanos = now;
        r.responseLength = 0;
        r.outstanding = false;
        stats.increment(r.isTcp() ? DnsCounter.QUERIES_TCP : DnsCounter.QUERIES_UDP);
        ByteBuffer q = r.query;
        if (dns.wrap(q, 0, r.queryLength).checkLength() != WireError.OK) {
            boolean query = r.queryLength >= Dns.HEADER_LENGTH && (q.getShort(2) & 0x8000) == 0;
            if (query) {
                stats.increment(DnsCounter.FORMERR);
                r.responseLength = answers.headerOnly(q, 0, r.queryLength, r.response, DnsRequest.HEADROOM,
                    Dns.RCODE_FORMERR);
            } else {
                stats.increment(DnsCounter.MALFORMED);
            }
            emitter.emit(r, now);
            return;
        }
        if (dns.isResponse()) {
            stats.increment(DnsCounter.MALFORMED);
            emitter.emit(r, now);
            return;
        }
        int check = dns.checkQuery();
        if (check != WireError.OK) {
            boolean formErr = check == WireError.BAD_COUNT;
            stats.increment(formErr ? DnsCounter.FORMERR : DnsCounter.NOTIMP);
            error(r, formErr ? Dns.RCODE_FORMERR : Dns.RCODE_NOTIMP, now);
            return;
        }
        if (dns.hasEdns() && dns.ednsVersion() != 0) {
            stats.increment(DnsCounter.BADVERS);
            respond(r, answers.badVersion(dns, r.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, r.isTcp()),
                now);
            return;
        }
        r.limitEntry = limits.entry(r.client, now);
        if (!limits.tryAcquire(r.limitEntry, r.client, now)) {
            stats.increment(DnsCounter.RATE_LIMITED);
            emitter.emit(r, now);
            return;
        }
        if (!torReady.getAsBoolean()) {
            stats.increment(DnsCounter.NOT_BOOTSTRAPPED);
            error(r, Dns.RCODE_SERVFAIL, now);
            return;
        }
        dispatch(r, now);
    }

    private void dispatch(DnsRequest r, long now) {
        int qtype = dns.questionType();
        if (dns.questionClass() != Dns.CLASS_IN || qtype == TYPE_AXFR || qtype == TYPE_IXFR || qtype == TYPE_MAILA
            || qtype == TYPE_MAILB) {
            stats.increment(DnsCounter.NOTIMP);
            error(r, Dns.RCODE_NOTIMP, now);
            return;
        }
        if (qtype == Dns.TYPE_OPT || !name.load(dns)) {
            stats.increment(DnsCounter.FORMERR);
            error(r, Dns.RCODE_FORMERR, now);
            return;
        }
        int special = name.specialUse();
        if (special != QueryName.ORDINARY) {
            stats.increment(DnsCounter.SPECIAL_USE);
            answerSpecial(r, qtype, special, now);
            return;
        }
        switch (qtype) {
            case Dns.TYPE_A, Dns.TYPE_ANY -> answerAddress(r, now);
            case Dns.TYPE_PTR -> answerPointer(r, now);
            default -> negative(r, Dns.RCODE_NOERROR, config.negativeTtl(), now);
        }
    }

    /** RFC 6761 section 6.3: localhost names are the loopback address; section 6.4 and RFC 6762: NXDOMAIN. */
    private void answerSpecial(DnsRequest r, int qtype, int special, long now) {
        if (special == QueryName.NONEXISTENT) {
            negative(r, Dns.RCODE_NXDOMAIN, config.negativeTtl(), now);
        } else if (qtype == Dns.TYPE_A || qtype == Dns.TYPE_ANY) {
            respond(r, answers.address(dns, r.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, r.isTcp(),
                config.positiveTtl(), LOOPBACK), now);
        } else {
            negative(r, Dns.RCODE_NOERROR, config.negativeTtl(), now);
        }
    }

    private void answerAddress(DnsRequest r, long now) {
        if (name.labels == 0) {
            negative(r, Dns.RCODE_NOERROR, config.negativeTtl(), now);
        } else if (!name.printable) {
            negative(r, Dns.RCODE_NXDOMAIN, config.negativeTtl(), now);
        } else if (name.isOnion() || config.mode() == DnsConfig.Mode.MAPPED) {
            if (name.isOnion()) {
                stats.increment(DnsCounter.ONION_MAPPED);
            }
            stats.increment(DnsCounter.MAPPED_ANSWERS);
            int address = map.map(name);
            respond(r, answers.address(dns, r.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, r.isTcp(),
                config.mappedTtl(), address), now);
        } else {
            resolve(r, Dns.TYPE_A, 0, now);
        }
    }

    private void answerPointer(DnsRequest r, long now) {
        long address = name.reverseAddress();
        if (address >= 0 && map.isVirtual((int) address)) {
            String host = map.hostnameFor((int) address);
            if (host == null) {
                negative(r, Dns.RCODE_NXDOMAIN, config.negativeTtl(), now);
            } else {
                stats.increment(DnsCounter.MAPPED_ANSWERS);
                respond(r, answers.pointer(dns, r.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE,
                    r.isTcp(), config.mappedTtl(), host), now);
            }
        } else if (address >= 0) {
            resolve(r, Dns.TYPE_PTR, (int) address, now);
        } else {
            negative(r, name.isArpa() ? Dns.RCODE_NXDOMAIN : Dns.RCODE_NOERROR, config.negativeTtl(), now);
        }
    }

    private void resolve(DnsRequest r, int type, int ptrAddress, long now) {
        long epoch = keys.epochs().epoch(r.client);
        int slot = cache.find(r.client, type, name, epoch);
        if (slot >= 0 && cache.state(slot) == ResolveCache.PENDING) {
            if (wait(r, now)) {
                stats.increment(DnsCounter.COALESCED);
                cache.lookup(slot).addWaiter(r);
            }
            return;
        }
        if (slot >= 0 && cache.expires(slot) - now > 0) {
            stats.increment(DnsCounter.CACHE_HITS);
            cache.touch(slot);
            answerFromCache(r, slot, ttlLeft(cache.expires(slot), now), now);
            return;
        }
        stats.increment(DnsCounter.CACHE_MISSES);
        if (!wait(r, now)) {
            return;
        }
        if (freeLookups == 0) {
            stats.increment(DnsCounter.LOOKUPS_EXHAUSTED);
            limits.endOutstanding(r.limitEntry);
            r.outstanding = false;
            error(r, Dns.RCODE_SERVFAIL, now);
            return;
        }
        Lookup l = lookups[--freeLookups];
        l.reset();
        l.busy = true;
        l.client = r.client;
        l.type = type;
        l.ptrAddress = ptrAddress;
        l.host = type == Dns.TYPE_PTR ? null : name.dotted();
        l.key = keys.derive(config.profile(), r.client, l.host, ptrAddress, 53, null);
        if (slot >= 0) {
            cache.setPending(slot, l);
        } else {
            cache.insertPending(r.client, type, name, epoch, l);
        }
        l.addWaiter(r);
        stats.increment(type == Dns.TYPE_PTR ? DnsCounter.RESOLVE_PTRS : DnsCounter.RESOLVES);
        upstream.start(l, now);
    }

    /** Counts the request as waiting for tor; false (and answered SERVFAIL) when its client is at the cap. */
    private boolean wait(DnsRequest r, long now) {
        if (!limits.beginOutstanding(r.limitEntry)) {
            stats.increment(DnsCounter.OUTSTANDING_CAP);
            error(r, Dns.RCODE_SERVFAIL, now);
            return false;
        }
        r.outstanding = true;
        return true;
    }

    private static int ttlLeft(long expires, long now) {
        return (int) Math.max(1, (expires - now + NANOS - 1) / NANOS);
    }

    private void answerFromCache(DnsRequest r, int slot, int ttl, long now) {
        switch (cache.state(slot)) {
            case ResolveCache.POSITIVE -> {
                int len = dns.questionType() == Dns.TYPE_PTR
                    ? answers.pointer(dns, r.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, r.isTcp(), ttl,
                        cache.pointer(slot))
                    : answers.address(dns, r.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, r.isTcp(), ttl,
                        cache.address(slot));
                respond(r, len, now);
            }
            case ResolveCache.NXDOMAIN -> negative(r, Dns.RCODE_NXDOMAIN, ttl, now);
            default -> negative(r, Dns.RCODE_NOERROR, ttl, now);
        }
    }

    /** A lookup finished: cache its outcome and answer every waiter from its own query. */
    @Override
    public void done(Lookup l, long now) {
        stats.recordResolve(now - l.startedNanos);
        byte outcome = outcome(l);
        if (outcome == 0) {
            stats.increment(DnsCounter.RESOLVE_FAILURES);
        }
        int ttl = outcome == ResolveCache.POSITIVE ? config.positiveTtl() : config.negativeTtl();
        if (l.cacheSlot >= 0) {
            if (outcome == 0) {
                cache.remove(l.cacheSlot);
            } else {
                cache.store(l.cacheSlot, outcome, l.address, l.pointer, now + ttl * NANOS);
            }
        }
        int rcode = l.action == ClientAction.DNS_REFUSED ? Dns.RCODE_REFUSED : Dns.RCODE_SERVFAIL;
        // Emitting a waiter only sends its answer and frees its slot, so the lookup is released after the loop.
        DnsRequest w = l.waiters;
        while (w != null) {
            DnsRequest next = w.nextWaiter;
            w.nextWaiter = null;
            limits.endOutstanding(w.limitEntry);
            w.outstanding = false;
            answerWaiter(w, outcome, rcode, ttl, l, now);
            w = next;
        }
        l.reset();
        lookups[freeLookups++] = l;
    }

    private void answerWaiter(DnsRequest w, byte outcome, int rcode, int ttl, Lookup l, long now) {
        if (dns.wrap(w.query, 0, w.queryLength).checkLength() != WireError.OK || !name.load(dns)) {
            emitter.emit(w, now); // cannot happen: the query passed these checks when it arrived
            return;
        }
        switch (outcome) {
            case ResolveCache.POSITIVE -> respond(w, l.type == Dns.TYPE_PTR
                ? answers.pointer(dns, w.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, w.isTcp(), ttl,
                    l.pointer)
                : answers.address(dns, w.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, w.isTcp(), ttl,
                    l.address), now);
            case ResolveCache.NXDOMAIN -> negative(w, Dns.RCODE_NXDOMAIN, ttl, now);
            case ResolveCache.NODATA -> negative(w, Dns.RCODE_NOERROR, ttl, now);
            default -> error(w, rcode, now);
        }
    }

    /** The cacheable outcome of a finished lookup, or 0 for SERVFAIL/REFUSED (not cached). */
    private static byte outcome(Lookup l) {
        if (l.action == ClientAction.PROCEED) {
            boolean data = l.type == Dns.TYPE_PTR ? l.pointer != null : l.hasAddress;
            return data ? ResolveCache.POSITIVE : ResolveCache.NODATA;
        }
        return l.action == ClientAction.DNS_NXDOMAIN ? ResolveCache.NXDOMAIN : 0;
    }

    private void negative(DnsRequest r, int rcode, int ttl, long now) {
        respond(r, answers.negative(dns, r.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, r.isTcp(), rcode,
            ttl, name.lastLabel), now);
    }

    private void error(DnsRequest r, int rcode, long now) {
        respond(r, answers.error(dns, r.response, DnsRequest.HEADROOM, DnsRequest.MAX_RESPONSE, r.isTcp(), rcode),
            now);
    }

    private void respond(DnsRequest r, int length, long now) {
        r.responseLength = length;
        if (length > 0) {
            stats.increment(DnsCounter.ANSWERS);
            if (answers.truncated()) {
                stats.increment(DnsCounter.TRUNCATED);
            }
            stats.recordAnswer(now - r.receivedNanos);
        }
        emitter.emit(r, now);
    }
}
