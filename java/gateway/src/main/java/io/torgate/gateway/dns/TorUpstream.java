package io.torgate.gateway.dns;

import io.torgate.gateway.egress.EgressGuard;
import io.torgate.tor.ClientAction;
import io.torgate.tor.Socks5Client;
import io.torgate.tor.Socks5Reply;
import io.torgate.wire.Dns;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * Lookups through tor's SocksPort: one SOCKS connection per lookup (tor closes it after a RESOLVE reply), driven
 * by {@link Socks5Client} on the agent's {@link Selector}, carrying the lookup's isolation key as credentials.
 * Sockets are opened through the gateway's {@link EgressGuard}, the one way the JVM connects anywhere.
 * RESOLVE answers A queries (tor's {@code 0xF0}), RESOLVE_PTR answers PTR queries ({@code 0xF1}); a failed
 * exchange is mapped by {@link Socks5Client#clientAction()} (the {@code SocksReply} table: 0x04 host unreachable
 * and 0xF0/0xF6 become NXDOMAIN, policy refusals REFUSED, everything else SERVFAIL).
 *
 * <p>Ownership: confined to the DNS agent thread; the agent calls {@link #ready} for keys whose attachment is a
 * {@link Lookup}. Opening a socket allocates (unavoidable); nothing else does.
 */
final class TorUpstream implements Upstream {
    private static final Logger LOG = System.getLogger(TorUpstream.class.getName());

    private final EgressGuard egress;
    private final SocketAddress socks;
    private final Selector selector;
    private final long timeoutNanos;
    private final Completion completion;
    private final Lookup[] active;
    private int activeCount;
    private final DnsStats stats;

    TorUpstream(EgressGuard egress, SocketAddress socks, Selector selector, long timeoutNanos, int maxLookups,
                DnsStats stats, Completion completion) {
        this.egress = egress;
        this.socks = socks;
        this.selector = selector;
        this.timeoutNanos = timeoutNanos;
        this.completion = completion;
        this.active = new Lookup[maxLookups];
        this.stats = stats;
    }

    @Override
    public void start(Lookup l, long now) {
        l.startedNanos = now;
        l.deadlineNanos = now + timeoutNanos;
        try {
            l.channel = egress.open(socks);
            l.selectionKey = l.channel.register(selector, 0, l);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "cannot reach tor''s SocksPort {0}: {1}", socks, e.toString());
            finish(l, ClientAction.DNS_SERVFAIL, now);
            return;
        }
        if (l.type == Dns.TYPE_PTR) {
            l.socks.startResolvePtr(l.channel, l.ptrAddress, l.key);
        } else {
            l.socks.startResolve(l.channel, l.host, l.key);
        }
        active[activeCount++] = l;
        step(l, now);
    }

    /** Selector callback for a lookup's channel. */
    void ready(SelectionKey key, long now) {
        Lookup l = (Lookup) key.attachment();
        if (l.busy && l.selectionKey == key) {
            step(l, now);
        }
    }

    private void step(Lookup l, long now) {
        int ops = l.socks.advance();
        if (ops != 0) {
            l.selectionKey.interestOps(ops);
            return;
        }
        Socks5Client c = l.socks;
        if (c.status() == Socks5Client.Status.SUCCEEDED) {
            Socks5Reply reply = c.reply();
            if (l.type == Dns.TYPE_PTR) {
                l.pointer = reply.addressType() == Socks5Reply.ATYP_DOMAIN ? reply.domain() : null;
            } else if (reply.addressType() == Socks5Reply.ATYP_IPV4) {
                l.address = reply.ipv4();
                l.hasAddress = true;
            }
        } else if (c.failure() != Socks5Client.Failure.REPLY) {
            LOG.log(Level.DEBUG, "RESOLVE failed: {0} {1}", c.failure(), c.lastError());
        }
        finish(l, c.clientAction(), now);
    }

    @Override
    public int expire(long now) {
        int n = 0;
        for (int i = activeCount - 1; i >= 0; i--) {
            Lookup l = active[i];
            if (now - l.deadlineNanos >= 0) {
                l.timedOut = true;
                stats.increment(DnsCounter.RESOLVE_TIMEOUTS);
                finish(l, ClientAction.DNS_SERVFAIL, now);
                n++;
            }
        }
        return n;
    }

    @Override
    public long nextDeadline() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < activeCount; i++) {
            min = Math.min(min, active[i].deadlineNanos);
        }
        return min;
    }

    private void finish(Lookup l, ClientAction action, long now) {
        l.action = action;
        for (int i = 0; i < activeCount; i++) {
            if (active[i] == l) {
                active[i] = active[--activeCount];
                active[activeCount] = null;
                break;
            }
        }
        closeChannel(l);
        completion.done(l, now);
    }

    private static void closeChannel(Lookup l) {
        SocketChannel ch = l.channel;
        l.channel = null;
        if (l.selectionKey != null) {
            l.selectionKey.cancel();
            l.selectionKey = null;
        }
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing a SOCKS channel: {0}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        while (activeCount > 0) {
            finish(active[activeCount - 1], ClientAction.DNS_SERVFAIL, System.nanoTime());
        }
    }
}
