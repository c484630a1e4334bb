package io.torgate.gateway.relay;

import io.torgate.gateway.pipeline.WorkerContext;
import io.torgate.stack.TcpConnection;
import io.torgate.stack.TimerWheel;
import io.torgate.tor.IsolationKey;
import io.torgate.tor.IsolationProfile;
import io.torgate.tor.Socks5Client;
import io.torgate.tor.SocksServerSession;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One relayed stream: the client-side {@link TcpConnection}, the SOCKS channel and the two relay buffers.
 * Pooled and reused by its worker ({@link #reset} between lives), so a new flow allocates nothing once warm.
 *
 * <p>Memory on demand: the relay buffers are borrowed from the worker's {@link RelayBuffers} only while a service
 * of this flow runs or bytes wait in them ({@link #attachBuffers}, {@link #detachIdleBuffers}), and the
 * connection's own buffers from the worker's chunk pool while they hold data; an idle stream holds neither. Outside
 * a service {@link #up} and {@link #down} may be null. A {@link #RELAYING} flow takes no {@code down}: it reads
 * its socket straight into its connection's send buffer ({@link StreamPump}); {@code down} then holds only what a
 * gateway SOCKS port's exchange left for the client.
 *
 * <p>Buffers: {@link #up} (client → SOCKS) is kept in write mode (bytes at {@code [0, position)} wait to be sent);
 * {@link #down} (SOCKS → client) is kept in read mode (bytes at {@code [position, limit)} wait for the
 * connection's send buffer). Each buffer is only refilled when it is empty or has room, so a slow side stops the
 * other one instead of growing anything.
 *
 * <p>Ownership: confined to the worker thread that created it.
 */
final class Flow implements WorkerContext.Ready {
    /** Waiting for the SOCKS reply; the client's SYN is held. */
    static final int CONNECTING = 0;
    /** Handshake completed; bytes flow both ways. */
    static final int RELAYING = 1;
    /** DNS over TCP, served by the DNS service instead of a SOCKS relay. */
    static final int DNS = 2;
    /** A flow to a gateway SOCKS port: accepted, reading the client's SOCKS request. */
    static final int SOCKS_REQUEST = 3;
    /** A gateway SOCKS port flow waiting for tor's answer to the client's request. */
    static final int SOCKS_UPSTREAM = 4;
    /** A gateway SOCKS port flow that sends its last reply, then FIN, and waits for the client to close. */
    static final int SOCKS_CLOSING = 5;

    final TcpConnection conn;
    final Socks5Client socks = new Socks5Client();
    /** The server side of a gateway SOCKS port flow (the client's own SOCKS request). */
    final SocksServerSession server = new SocksServerSession();
    final TimerWheel.Timer timer = new TimerWheel.Timer(this, 0);
    /** Null when not borrowed (see the class comment). */
    ByteBuffer up;
    /** Null when not borrowed (see the class comment). */
    ByteBuffer down;
    private final RelayHandler owner;
    /** When memory was short (buffers refused by the budget): the worker retries this flow then. */
    long memoryRetryAt = Long.MAX_VALUE;

    SocketChannel channel;
    SelectionKey key;
    /** The descriptor of {@link #channel} for {@link SocketResets}, or -1. */
    int channelFd = -1;
    int phase;
    int client;
    int clientPort;
    int destination;
    int destinationPort;
    long socksDeadline;
    /** Client FIN carried to the SOCKS side (shutdownOutput done). */
    boolean upShut;
    /** The SOCKS side sent EOF. */
    boolean downEof;
    /** SOCKS EOF carried to the client (FIN queued). */
    boolean downShut;
    /** The last socket read filled all it asked for, or found no room: the socket may hold more. */
    boolean moreToRead;
    /** The send buffer had room for Tor's bytes but the budget granted no memory: retry later, do not listen. */
    boolean memoryShort;
    long bytesUp;
    long bytesDown;
    /** Stable id for the control socket ({@link StreamInfo#id()}). */
    long id;
    /** Worker clock at the client's SYN. */
    long openedAt;
    /** Worker clock when the SOCKS CONNECT started (for the connect latency histogram). */
    long socksStartedAt;
    /** The SOCKS channel came pre-connected from the pool and has not been retried yet. */
    boolean socksPooled;
    /** A SOCKS CONNECT is in progress (counted in the handler's pending exchanges). */
    boolean socksPending;
    /** The isolation key and profile name of a relayed stream, else null. */
    IsolationKey isolationKey;
    String profile;
    /** The DNS session of a {@link #DNS} flow, else null. */
    DnsStream dns;
    /** The isolation profile of a gateway SOCKS port flow, else null. */
    IsolationProfile serverProfile;
    /** Set by the DNS agent thread when answers are ready; cleared by the worker. */
    volatile boolean dnsReady;
    /** ACKs or SOCKS data came in this worker turn: the flow waits in the handler's deferred list for service. */
    boolean serviceDue;

    Flow(RelayHandler owner, TcpConnection conn) {
        this.owner = owner;
        this.conn = conn;
    }

    /**
     * Borrows the relay buffers not held: {@code up} empty in write mode, and except for a relaying flow (whose
     * socket reads land in its connection's send buffer) {@code down} empty in read mode.
     *
     * @return false when the budget refused one (the flow must not be pumped now; what it holds stays)
     */
    boolean attachBuffers(RelayBuffers pool) {
        if (up == null && (up = pool.take()) == null) {
            return false;
        }
        return phase == RELAYING || attachDown(pool);
    }

    /** Borrows {@code down} only (empty, read mode); false when the budget refused it. */
    private boolean attachDown(RelayBuffers pool) {
        if (down == null) {
            if ((down = pool.take()) == null) {
                return false;
            }
            down.flip();
        }
        return true;
    }

    /**
     * Gives back each relay buffer that holds no bytes; a DNS or closing SOCKS-port flow uses {@code up} only as
     * scratch space, so it goes back whatever it holds.
     */
    void detachIdleBuffers(RelayBuffers pool) {
        if (up != null && (up.position() == 0 || phase == DNS || phase == SOCKS_CLOSING)) {
            pool.give(up);
            up = null;
        }
        if (down != null && !down.hasRemaining()) {
            pool.give(down);
            down = null;
        }
    }

    /** Gives back both relay buffers and the connection's memory, discarding what they hold (retirement). */
    void releaseBuffers(RelayBuffers pool) {
        if (up != null) {
            pool.give(up);
            up = null;
        }
        if (down != null) {
            pool.give(down);
            down = null;
        }
        conn.releaseBuffers();
    }

    /** Prepares a pooled flow for a new 4-tuple (the caller opens the connection). */
    void reset(int client, int clientPort, int destination, int destinationPort) {
        this.client = client;
        this.clientPort = clientPort;
        this.destination = destination;
        this.destinationPort = destinationPort;
        channel = null;
        key = null;
        channelFd = -1;
        phase = CONNECTING;
        socksDeadline = Long.MAX_VALUE;
        socksPooled = false;
        socksPending = false;
        upShut = false;
        serviceDue = false;
        downEof = false;
        downShut = false;
        moreToRead = false;
        memoryShort = false;
        bytesUp = 0;
        bytesDown = 0;
        isolationKey = null;
        profile = null;
        dns = null;
        dnsReady = false;
        serverProfile = null;
        server.reset();
        memoryRetryAt = Long.MAX_VALUE;
    }

    @Override
    public void ready(SelectionKey key, long nowNanos) {
        owner.onReady(this, nowNanos);
    }

    @Override
    public String toString() {
        return Addresses.flow(client, clientPort, destination, destinationPort);
    }

    /** Bytes wait in {@link #down} for the connection (what a gateway SOCKS port's exchange left; see above). */
    boolean downQueued() {
        return down != null && down.hasRemaining();
    }
}
