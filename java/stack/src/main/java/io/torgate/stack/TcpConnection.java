package io.torgate.stack;

import io.torgate.wire.Tcp;
import java.nio.ByteBuffer;

/**
 * One TCP endpoint (RFC 9293) for one 4-tuple. It never does I/O and never reads a clock: the owner feeds it
 * parsed segments with {@link #onSegment}, application calls ({@link #read}, {@link #write},
 * {@link #shutdownOutput}, {@link #abort}), and {@link #poll} with the current time and an output sink; the
 * connection answers by writing packets into the sink and by the {@link #events()} bitmask.
 *
 * <p>Passive open for a gateway: {@link #open} puts a fresh connection in LISTEN for one remote; its SYN is held
 * ({@link #EV_SYN}) until the owner calls {@link #accept} (SYN-ACK) or {@link #refuse} (RST); duplicate SYNs
 * meanwhile are absorbed. {@link #connect} is the active open (used by tests and benchmarks). The segment
 * processing per state is in {@link TcpInput}; the send side in {@link TcpSender} and {@link TcpTransmitter}; the
 * receive side in {@link TcpReceiver}; deadlines in {@link TcpTimers}.
 *
 * <p>Ownership and thread-safety: a connection belongs to exactly one worker thread for its whole life; no
 * method is thread-safe. After construction and {@link #open} nothing allocates per segment (the congestion
 * state is created once per handshake).
 */
public final class TcpConnection {
    /** The timestamps option as every data segment carries it: NOP NOP TS (RFC 7323 Appendix A layout). */
    static final int TIMESTAMP_OPTION_BYTES = 12;
    /** A SYN is held: the owner must {@link #accept} or {@link #refuse}. */
    public static final int EV_SYN = 1;
    /** The handshake completed (ESTABLISHED or later; stays set once reached, also in CLOSED). */
    public static final int EV_ESTABLISHED = 1 << 1;
    /** In-order data waits for {@link #read}. */
    public static final int EV_READABLE = 1 << 2;
    /** {@link #write} would accept data. */
    public static final int EV_WRITABLE = 1 << 3;
    /** The peer sent FIN: no more data will arrive after what is readable. */
    public static final int EV_REMOTE_FIN = 1 << 4;
    /** CLOSED: the owner may remove the connection. */
    public static final int EV_CLOSED = 1 << 5;
    /** Closed by a RST from the peer (or refused). */
    public static final int EV_RESET = 1 << 6;
    /** Closed because retransmissions, SYN-ACKs, probes or keepalives went unanswered. */
    public static final int EV_TIMEOUT = 1 << 7;
    /** In TIME-WAIT: only the owner's bounded TIME-WAIT bookkeeping still needs this flow. */
    public static final int EV_TIME_WAIT = 1 << 8;

    private static final System.Logger LOG = System.getLogger(TcpConnection.class.getName());
    private static final long SECOND = 1_000_000_000L;

    final TcpConfig cfg;
    final TcpCounters counters;
    final IsnGenerator isn;
    final TcpSender snd;
    final TcpReceiver rcv;
    final TcpTimers timers = new TcpTimers();
    final TcpOutput output;
    private final TcpInput input;
    private final TcpTransmitter transmitter;

    TcpState state = TcpState.CLOSED;
    int localAddr;
    int localPort;
    int remoteAddr;
    int remotePort;
    // Negotiated in the handshake (RFC 7323 §2.2, §3.2; RFC 2018 §2).
    boolean tsOk;
    boolean sackOk;
    boolean wsOk;
    int tsOffset;
    int peerMss;
    /** LISTEN holding a SYN that the owner has not decided on yet. */
    boolean synHeld;
    /** The handshake completed at some point (stays set through the close states and CLOSED). */
    boolean wasEstablished;
    boolean reset;
    boolean timedOut;
    /** The application closed both directions ({@link #close}): FIN-WAIT-2 is then bounded in time. */
    boolean orphaned;
    // A RST to send at the next poll (RFC 9293 §3.10.7).
    boolean rstPending;
    int rstSeq;
    int rstAck;
    int rstFlags;
    // RFC 5961 §7 per-connection challenge-ACK budget.
    long challengeWindowStart = Long.MIN_VALUE;
    int challengeAcksInWindow;
    /** Exponent of the persist interval; reset when the window opens. */
    int persistBackoff;
    /** Persist probes since the last ACK from the peer (the give-up count, as Linux's probes_out). */
    int persistUnanswered;
    int keepaliveProbesSent;
    /** An acceptable ACK arrived since the last retransmission timeout. */
    boolean heardSinceTimeout;

    /**
     * With buffers from a pool of the connection's own that keeps what it takes (tests, benchmarks, replay).
     *
     * @throws IllegalArgumentException when {@code cfg} is unusable
     */
    public TcpConnection(TcpConfig cfg, IsnGenerator isn, TcpCounters counters) {
        this(cfg, isn, counters, ChunkPool.privatePool(Math.max(cfg.sendBuffer, cfg.receiveBuffer)));
    }

    /**
     * Buffer sizes from {@code cfg} bound the windows; their memory is borrowed from {@code pool} (shared by the
     * owning worker's connections) only while data is held, so an idle connection holds no buffer memory.
     *
     * @throws IllegalArgumentException when {@code cfg} is unusable
     */
    public TcpConnection(TcpConfig cfg, IsnGenerator isn, TcpCounters counters, ChunkPool pool) {
        cfg.validate();
        this.cfg = cfg;
        this.isn = isn;
        this.counters = counters;
        this.snd = new TcpSender(cfg.sendBuffer, cfg, pool);
        this.rcv = new TcpReceiver(cfg.receiveBuffer, pool);
        this.output = new TcpOutput(cfg.ttl, cfg.mtu);
        this.input = new TcpInput(this);
        this.transmitter = new TcpTransmitter(this);
    }

    /** (Re)initializes this connection for a flow and enters LISTEN (reusable: pool-friendly). */
    public void open(int localAddr, int localPort, int remoteAddr, int remotePort) {
        this.localAddr = localAddr;
        this.localPort = localPort;
        this.remoteAddr = remoteAddr;
        this.remotePort = remotePort;
        timers.clear();
        synHeld = false;
        wasEstablished = false;
        reset = false;
        timedOut = false;
        orphaned = false;
        rstPending = false;
        tsOk = false;
        sackOk = false;
        wsOk = false;
        challengeWindowStart = Long.MIN_VALUE;
        challengeAcksInWindow = 0;
        persistBackoff = 0;
        persistUnanswered = 0;
        keepaliveProbesSent = 0;
        heardSinceTimeout = false;
        tsOffset = isn.timestampOffset(localAddr, localPort, remoteAddr, remotePort);
        snd.init(0);
        rcv.init(0);
        state = TcpState.CLOSED;
        setState(TcpState.LISTEN);
    }

    /** Active open (RFC 9293 §3.10.1): send a SYN offering our options. Call after {@link #open}. */
    public void connect(long now) {
        if (state != TcpState.LISTEN || synHeld) {
            return;
        }
        tsOk = cfg.timestamps;
        sackOk = cfg.sack;
        rcv.shift = cfg.windowScaling ? cfg.receiveWindowShift() : 0;
        snd.init(isn.isn(localAddr, localPort, remoteAddr, remotePort, now));
        setState(TcpState.SYN_SENT);
    }

    /** Completes the passive open of the held SYN: SYN-ACK at the next poll (RFC 9293 §3.10.7.2). */
    public void accept(long now) {
        if (state != TcpState.LISTEN || !synHeld) {
            return;
        }
        synHeld = false;
        snd.init(isn.isn(localAddr, localPort, remoteAddr, remotePort, now));
        snd.negotiated(peerMss, cfg.mss(), fixedOptionBytes());
        setState(TcpState.SYN_RECEIVED);
    }

    /** TCP option bytes every data segment carries once negotiated: the timestamps (RFC 7323 §3.2), padded. */
    int fixedOptionBytes() {
        return tsOk ? TIMESTAMP_OPTION_BYTES : 0;
    }

    /** Refuses the held SYN: {@code <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>} at the next poll, then CLOSED. */
    public void refuse() {
        if (state != TcpState.LISTEN || !synHeld) {
            return;
        }
        synHeld = false;
        queueReset(0, rcv.irs + 1, Tcp.RST | Tcp.ACK);
        reset = true;
        setState(TcpState.CLOSED);
    }

    /** Handles one parsed, checksum-verified segment of this flow at time {@code now}. */
    public void onSegment(TcpSegment s, long now) {
        counters.increment(TcpCounters.SEGMENTS_IN);
        input.onSegment(s, now);
    }

    /**
     * Runs due timers and writes whatever is pending — a RST, SYN or SYN-ACK, data, retransmissions, FIN, probes,
     * a (delayed) ACK — into {@code sink}. Call after every batch of segments and application calls touching this
     * connection, and when {@link #nextDeadline()} is reached.
     */
    public void poll(long now, SegmentSink sink) {
        transmitter.poll(now, sink);
    }

    /** Earliest time {@link #poll} has timer work, or {@link Long#MAX_VALUE}. */
    public long nextDeadline() {
        return timers.next();
    }

    /** Moves up to {@code dst.remaining()} received bytes into {@code dst}; may schedule a window update. */
    public int read(ByteBuffer dst) {
        int n = rcv.buffer.read(dst);
        if (n > 0 && state.isSynchronized()) {
            rcv.onRead(snd.mss);
        }
        return n;
    }

    /**
     * Queues application data; it is sent at the next poll as windows allow.
     *
     * @return bytes accepted (0 when the send buffer is full), or -1 once no more data can be sent
     */
    public int write(ByteBuffer src) {
        if (!state.canSend() || snd.finQueued) {
            return -1;
        }
        return snd.buffer.write(src);
    }

    /**
     * Hands out free send-buffer space for the application to fill in place (a scattering socket read straight into
     * the buffer; see {@link SendBuffer#claim}); {@link #commitSend} must follow before any other call.
     *
     * @return entries of {@code spans} used (0 when the send buffer is full or memory is short), or -1 once no more
     *     data can be sent
     */
    public int claimSend(ByteBuffer[] spans, int max) {
        if (!state.canSend() || snd.finQueued) {
            return -1;
        }
        return snd.buffer.claim(spans, max);
    }

    /** Ends {@link #claimSend}: the first {@code n} bytes of the space are queued like written data. */
    public void commitSend(int n) {
        snd.buffer.commit(n);
    }

    /** @return bytes the send buffer would still take (0 once no more data can be sent) */
    public int sendFree() {
        return state.canSend() && !snd.finQueued ? snd.buffer.free() : 0;
    }

    /** CLOSE for the sending direction (RFC 9293 §3.10.4): a FIN follows the queued data. */
    public void shutdownOutput() {
        if (state == TcpState.LISTEN && synHeld) {
            refuse();
            return;
        }
        if (!state.canSend() || snd.finQueued) {
            return;
        }
        snd.finQueued = true;
        if (state == TcpState.ESTABLISHED) {
            setState(TcpState.FIN_WAIT_1);
        } else if (state == TcpState.CLOSE_WAIT) {
            setState(TcpState.LAST_ACK);
        }
    }

    /**
     * Full CLOSE: like {@link #shutdownOutput} and the application will not read any more, so a peer that never
     * sends its FIN cannot pin the connection in FIN-WAIT-2 beyond the configured timeout (as Linux bounds orphaned
     * sockets with tcp_fin_timeout). A half-closed connection ({@code shutdownOutput} only) waits for the peer's
     * FIN for as long as the peer keeps the connection alive.
     */
    public void close(long now) {
        orphaned = true;
        shutdownOutput();
        if (state == TcpState.FIN_WAIT_2) {
            timers.set(TcpTimers.FIN_WAIT_2, now + cfg.finWait2TimeoutNanos);
        }
    }

    /** ABORT (RFC 9293 §3.10.5): a RST at the next poll when synchronized, then CLOSED at once. */
    public void abort() {
        if (state == TcpState.LISTEN && synHeld) {
            refuse();
            return;
        }
        if (state.isSynchronized() && state != TcpState.TIME_WAIT) {
            queueReset(snd.max, 0, Tcp.RST); // the highest sent: where the peer's RCV.NXT most likely is
        }
        setState(TcpState.CLOSED);
    }

    /**
     * Gives both buffers' memory back to the pool, discarding what they hold; for the owner retiring the
     * connection (after CLOSED or at TIME-WAIT, when nothing held can still be delivered or retransmitted). Also
     * done by {@link #open} on reuse.
     */
    public void releaseBuffers() {
        snd.buffer.reset(snd.buffer.sndUna());
        rcv.buffer.reset(rcv.buffer.rcvNxt());
    }

    /** @return pool chunks the two buffers hold now (0 for an idle connection) */
    public int chunksHeld() {
        return snd.buffer.chunksHeld() + rcv.buffer.chunksHeld();
    }

    /** The current events as a bitmask of {@code EV_*} (level-triggered; no allocation). */
    public int events() {
        int e = 0;
        if (synHeld) {
            e |= EV_SYN;
        }
        if (wasEstablished) {
            e |= EV_ESTABLISHED;
        }
        if (rcv.buffer.readable() > 0) {
            e |= EV_READABLE;
        }
        if (state.canSend() && !snd.finQueued && snd.buffer.free() > 0) {
            e |= EV_WRITABLE;
        }
        if (rcv.finReceived) {
            e |= EV_REMOTE_FIN;
        }
        if (state == TcpState.CLOSED) {
            e |= EV_CLOSED | (reset ? EV_RESET : 0) | (timedOut ? EV_TIMEOUT : 0);
        }
        if (state == TcpState.TIME_WAIT) {
            e |= EV_TIME_WAIT;
        }
        return e;
    }

    public TcpState state() {
        return state;
    }

    public int localAddress() {
        return localAddr;
    }

    public int localPort() {
        return localPort;
    }

    public int remoteAddress() {
        return remoteAddr;
    }

    public int remotePort() {
        return remotePort;
    }

    /** RCV.NXT (what a compact TIME-WAIT entry must acknowledge). */
    public int rcvNxt() {
        return rcv.rcvNxt();
    }

    /** SND.NXT, the highest sent (the sequence number of a compact TIME-WAIT entry's ACKs). */
    public int sndNxt() {
        return snd.max;
    }

    /** When TIME-WAIT ends (2 × MSL after it began or was last restarted), or {@link Long#MAX_VALUE}. */
    public long timeWaitDeadline() {
        return timers.deadline(TcpTimers.TIME_WAIT);
    }

    /** Bytes of received data not yet read. */
    public int readable() {
        return rcv.buffer.readable();
    }

    /** Bytes queued to send (unacknowledged plus unsent). */
    public int unsent() {
        return snd.buffer.length();
    }

    /**
     * The send side's recovery state in one line (SND.UNA/NXT/MAX relative to ISS, windows, RTO and back-off,
     * recovery flags, timers): for diagnostics of a stalled transfer. Allocates; never call it per segment.
     */
    public String describeSender(long now) {
        TcpSender s = snd;
        CongestionControl cc = s.cc;
        return "una=" + (s.una - s.iss) + " nxt=" + (s.nxt - s.iss) + " max=" + (s.max - s.iss)
            + " wnd=" + s.window + " cwnd=" + (cc == null ? -1 : cc.cwnd()) + " ssthresh="
            + (cc == null ? -1 : cc.ssthresh()) + " recovery=" + (cc != null && cc.inRecovery())
            + " sacked=" + s.buffer.sackedBytes() + " rtoMs=" + s.rtt.rtoNanos() / 1_000_000 + " backoffs="
            + s.rtt.backoffs() + " retries=" + s.retries + " srttUs=" + s.rtt.srttNanos() / 1000
            + " rtxInMs=" + (timers.running(TcpTimers.RETRANSMIT)
                ? (timers.deadline(TcpTimers.RETRANSMIT) - now) / 1_000_000 : -1);
    }

    /** The only way the state changes, logging {@code A=>B} at debug level. */
    void setState(TcpState next) {
        if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
            LOG.log(System.Logger.Level.DEBUG, "{0}:{1} {2}=>{3}", Integer.toHexString(remoteAddr), remotePort,
                    state, next);
        }
        state = next;
        if (next == TcpState.CLOSED) {
            timers.clear();
            synHeld = false;
        }
    }

    void queueReset(int seq, int ack, int flags) {
        rstPending = true;
        rstSeq = seq;
        rstAck = ack;
        rstFlags = flags;
        counters.increment(TcpCounters.RESETS_OUT);
    }

    /** RFC 5961 §7: at most {@code challengeAcksPerSecond} challenge ACKs per connection per second. */
    void challengeAck(long now) {
        if (challengeAcksInWindow == 0 || now - challengeWindowStart >= SECOND) {
            challengeWindowStart = now;
            challengeAcksInWindow = 0;
        }
        if (challengeAcksInWindow < cfg.challengeAcksPerSecond) {
            challengeAcksInWindow++;
            rcv.ackNow = true;
            counters.increment(TcpCounters.CHALLENGE_ACKS);
        } else {
            counters.increment(TcpCounters.CHALLENGE_ACKS_LIMITED);
        }
    }

    /** Our TSval: a 1 ms clock (RFC 7323 §5.4 allows 1 ms to 1 s per tick) plus the per-connection offset. */
    int tsNow(long now) {
        return (int) (now / 1_000_000L) + tsOffset;
    }
}
