package io.torgate.gateway.dns;

import io.torgate.tor.ClientAction;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.Socks5Client;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One RESOLVE or RESOLVE_PTR in flight and the requests waiting for it (an intrusive list through
 * {@link DnsRequest#nextWaiter}, so coalescing allocates nothing). Pre-allocated in a pool with its own
 * {@link Socks5Client}; reused for many lookups.
 *
 * <p>Ownership: confined to the DNS agent thread. Not thread-safe.
 */
final class Lookup {
    final Socks5Client socks = new Socks5Client();
    boolean busy;
    int client;
    int type;
    String host;
    int ptrAddress;
    IsolationKey key;
    /** The cache entry to fill, or -1 when it was evicted (the answer still goes to the waiters). */
    int cacheSlot = -1;
    DnsRequest waiters;
    DnsRequest lastWaiter;
    long startedNanos;
    long deadlineNanos;
    SocketChannel channel;
    SelectionKey selectionKey;

    /** Outcome, set by the upstream before it reports completion. */
    ClientAction action;
    /** The answer of a successful RESOLVE, or 0 when tor answered with a non-IPv4 address. */
    int address;
    boolean hasAddress;
    String pointer;
    boolean timedOut;

    void reset() {
        busy = false;
        host = null;
        key = null;
        cacheSlot = -1;
        waiters = null;
        lastWaiter = null;
        channel = null;
        selectionKey = null;
        action = null;
        address = 0;
        hasAddress = false;
        pointer = null;
        timedOut = false;
    }

    void addWaiter(DnsRequest r) {
        r.nextWaiter = null;
        if (lastWaiter == null) {
            waiters = r;
        } else {
            lastWaiter.nextWaiter = r;
        }
        lastWaiter = r;
    }
}
