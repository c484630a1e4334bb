package io.torgate.gateway.relay;

import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.egress.EgressGuard;
import io.torgate.stack.TcpConnection;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.IsolationKeys;
import io.torgate.tor.Socks5Client;
import io.torgate.tor.Socks5Codec;
import io.torgate.tor.Socks5Reply;
import io.torgate.tor.SocksReply;
import io.torgate.tor.SocksRequest;
import io.torgate.tor.SocksServerSession;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * The server half of a flow to one of the gateway's own SOCKS ports (TorVM's 9050/9049): reads the client's
 * SOCKS5 or SOCKS4a request from the flow's connection into {@link SocksServerSession}, starts the same command
 * toward tor with the combined isolation key (the port's profile over client, client credentials and, for 9049,
 * destination), and writes tor's answer back in the client's protocol. Replies go through {@link Flow#down} so
 * they reach the client in order before any relayed byte.
 *
 * <p>Ownership: one per worker, confined to its thread. Allocates only per request (the host name and the
 * credentials for key derivation), never per packet.
 */
final class SocksPortServer {
    private static final Logger LOG = System.getLogger(SocksPortServer.class.getName());

    private final IsolationKeys keys;
    private final EgressGuard egress;
    private final RelaySettings settings;
    private final PolicyGate gate;
    private DropCounters counters;
    private Selector selector;
    private StreamPump pump;

    SocksPortServer(IsolationKeys keys, EgressGuard egress, RelaySettings settings, PolicyGate gate) {
        this.gate = gate;
        this.keys = keys;
        this.egress = egress;
        this.settings = settings;
    }

    /** Binds the worker's counters, selector and pump (called from the handler's start on the worker thread). */
    void start(DropCounters workerCounters, Selector workerSelector, StreamPump workerPump) {
        this.counters = workerCounters;
        this.selector = workerSelector;
        this.pump = workerPump;
    }

    /**
     * A {@link Flow#SOCKS_REQUEST} flow: reads the client's request; a complete one goes to tor
     * ({@link Flow#SOCKS_UPSTREAM}), a bad one is answered and closed ({@link Flow#SOCKS_CLOSING}).
     */
    void serve(Flow f, long now) {
        int r = readRequest(f);
        flushReplies(f);
        if (r == SocksServerSession.REQUEST) {
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "{0}: gateway SOCKS port ({1}): {2}", f, f.serverProfile.name(),
                    f.server.request());
            }
            DropReason denied = gate.checkSocks(gate.policy(), f.client, f.destination, f.server.request());
            if (denied != null) {
                // RFC 1928 REP 0x02 "connection not allowed by ruleset", then close.
                LOG.log(Level.DEBUG, "{0}: gateway SOCKS request denied by the firewall", f);
                counters.increment(denied);
                gate.count(f.client, denied);
                close(f, SocksReply.NOT_ALLOWED);
                return;
            }
            startUpstream(f, now);
        } else if (r == SocksServerSession.ERROR) {
            LOG.log(Level.DEBUG, "{0}: bad SOCKS request → error reply and close", f);
            counters.increment(DropReason.SOCKS_BAD_REQUEST);
            f.socksDeadline = Long.MAX_VALUE;
            f.phase = Flow.SOCKS_CLOSING;
        }
    }

    private void startUpstream(Flow f, long now) {
        try {
            f.channel = egress.open(settings.socksEndpoint());
            f.channelFd = SocketResets.fd(f.channel);
            f.key = f.channel.register(selector, 0, f);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "{0}: SOCKS endpoint unreachable: {1}", f, e.getMessage());
            counters.increment(DropReason.SOCKS_UNAVAILABLE);
            pump.close(f, true);
            close(f, SocksReply.GENERAL_FAILURE);
            return;
        }
        startCommand(f, f.channel);
        f.phase = Flow.SOCKS_UPSTREAM;
        f.socksDeadline = now + settings.connectTimeoutNanos();
        advanceUpstream(f);
    }

    /**
     * Moves the exchange with tor on; once done, answers the client: a successful CONNECT goes on to
     * {@link Flow#RELAYING}, anything else to {@link Flow#SOCKS_CLOSING}. The caller services the flow after.
     */
    void advanceUpstream(Flow f) {
        int ops = f.socks.advance();
        if (ops != 0) {
            f.key.interestOps(ops);
            return;
        }
        f.socksDeadline = Long.MAX_VALUE;
        if (writeFinalReply(f)) {
            f.phase = Flow.RELAYING;
            return;
        }
        if (f.socks.status() != Socks5Client.Status.SUCCEEDED) {
            counters.increment(f.socks.failure() == Socks5Client.Failure.REPLY
                ? DropReason.SOCKS_REFUSED : DropReason.SOCKS_UNAVAILABLE);
        }
        pump.close(f, false);
        f.phase = Flow.SOCKS_CLOSING;
    }

    /** Tor did not answer in time: the client gets TTL expired (REP 0x06, as tor itself says on timeouts). */
    void timeout(Flow f) {
        counters.increment(DropReason.SOCKS_TIMEOUT);
        pump.close(f, true);
        close(f, SocksReply.TTL_EXPIRED);
    }

    private void close(Flow f, SocksReply code) {
        f.socksDeadline = Long.MAX_VALUE;
        writeFailure(f, code);
        f.phase = Flow.SOCKS_CLOSING;
    }

    /**
     * Moves the client's bytes into the session and its replies (method choice, auth status, error) into
     * {@link Flow#down}.
     *
     * @return {@link SocksServerSession#REQUEST} when the request is complete, {@link SocksServerSession#ERROR}
     *         when the connection must close after the reply (also when the client closed before a full request),
     *         else {@link SocksServerSession#NEED_MORE}
     */
    private int readRequest(Flow f) {
        TcpConnection conn = f.conn;
        if (f.up.hasRemaining()) {
            conn.read(f.up);
        }
        if (f.up.position() == 0) {
            return clientGone(conn) ? SocksServerSession.ERROR : SocksServerSession.NEED_MORE;
        }
        f.up.flip();
        f.down.compact();
        int r = f.server.consume(f.up, f.down);
        f.down.flip();
        // Bytes after a complete request (a client sending early data) stay in up for the relay.
        f.up.compact();
        if (r == SocksServerSession.NEED_MORE && clientGone(conn)) {
            return SocksServerSession.ERROR;
        }
        return r;
    }

    private static boolean clientGone(TcpConnection conn) {
        return conn.readable() == 0 && (conn.events() & TcpConnection.EV_REMOTE_FIN) != 0;
    }

    /** Starts the client's command toward tor on {@code ch} with the combined isolation key. */
    private void startCommand(Flow f, SocketChannel ch) {
        SocksRequest q = f.server.request();
        String host = q.hasHost() ? q.host() : null;
        IsolationKey key = keys.derive(f.serverProfile, f.client, host, q.ipv4(), q.port(), q.credentials());
        switch (q.command()) {
            case Socks5Codec.CMD_RESOLVE -> f.socks.startResolve(ch, host, key);
            case Socks5Codec.CMD_RESOLVE_PTR -> f.socks.startResolvePtr(ch, q.ipv4(), key);
            default -> {
                if (host != null) {
                    f.socks.startConnect(ch, host, q.port(), key);
                } else {
                    f.socks.startConnect(ch, q.ipv4(), q.port(), key);
                }
            }
        }
    }

    /**
     * Writes the final reply after tor answered (or failed) into {@link Flow#down}.
     *
     * @return true when the flow goes on to relay bytes (a successful CONNECT); false when it closes after the
     *         reply (RESOLVE answers and every failure)
     */
    private boolean writeFinalReply(Flow f) {
        Socks5Client up = f.socks;
        if (up.status() != Socks5Client.Status.SUCCEEDED) {
            writeFailure(f, up.failure() == Socks5Client.Failure.REPLY ? up.reply().reply()
                : SocksReply.GENERAL_FAILURE);
            return false;
        }
        Socks5Reply reply = up.reply();
        boolean ipv4 = reply.addressType() == Socks5Reply.ATYP_IPV4;
        f.down.compact();
        boolean relay = f.server.request().command() == Socks5Codec.CMD_CONNECT;
        if (f.server.request().command() == Socks5Codec.CMD_RESOLVE_PTR) {
            if (reply.addressType() != Socks5Reply.ATYP_DOMAIN
                || f.server.writeResolvedName(f.down, reply.domain()) < 0) {
                f.server.writeReply(f.down, SocksReply.GENERAL_FAILURE, 0, 0);
            }
        } else if (!relay && !ipv4) {
            // A RESOLVE answered with an IPv6 address: our clients are IPv4 only (RFC 1928 ATYP 4 is not relayed).
            f.server.writeReply(f.down, SocksReply.ADDRESS_TYPE_NOT_SUPPORTED, 0, 0);
        } else {
            f.server.writeReply(f.down, SocksReply.SUCCEEDED, ipv4 ? reply.ipv4() : 0, ipv4 ? reply.port() : 0);
        }
        f.down.flip();
        return relay;
    }

    /** Writes a failure reply with {@code code} into {@link Flow#down}. */
    private static void writeFailure(Flow f, SocksReply code) {
        f.down.compact();
        f.server.writeReply(f.down, code, 0, 0);
        f.down.flip();
    }

    /**
     * A closing flow: sends what is left of the reply, then FIN; the client's further bytes are read and
     * discarded so its window never closes while it finishes.
     */
    void drainClosing(Flow f) {
        TcpConnection conn = f.conn;
        f.up.clear();
        while (conn.readable() > 0 && conn.read(f.up) > 0) {
            f.up.clear();
        }
        if (f.down.hasRemaining() && conn.write(f.down) < 0) {
            f.down.clear().flip();
        }
        if (!f.down.hasRemaining() && !f.downShut) {
            conn.shutdownOutput();
            f.downShut = true;
        }
    }

    /** Sends reply bytes waiting in {@link Flow#down} (greeting and auth answers while the request is read). */
    private static void flushReplies(Flow f) {
        if (f.down.hasRemaining() && f.conn.write(f.down) < 0) {
            f.down.clear().flip();
        }
    }
}
