package io.torgate.stack;

/**
 * Tunables of a {@link TcpConnection}, with defaults close to Linux's. Configure with the fluent setters, then
 * share: connections only read it.
 *
 * <p>Ownership and thread-safety: built once by the gateway; after it is handed to connections it must not be
 * modified (reads from several worker threads are then safe because the instance is published before the
 * workers start).
 */
public final class TcpConfig {
    /** Device MTU; our MSS is clamped to MTU − 40 (20-byte IPv4 + 20-byte TCP header, RFC 9293 §3.7.1). */
    int mtu = 1500;
    int receiveBuffer = 256 * 1024;
    int sendBuffer = 256 * 1024;
    boolean windowScaling = true;
    boolean timestamps = true;
    boolean sack = true;
    int ttl = 64;
    /** RFC 6928: IW10. */
    int initialWindowSegments = 10;
    /** RFC 5681 §4.2 allows up to 500 ms; Linux's minimum of 40 ms keeps request/response latency low. */
    long delayedAckNanos = 40_000_000L;
    long minRtoNanos = RttEstimator.DEFAULT_MIN_RTO_NANOS;
    long maxRtoNanos = RttEstimator.DEFAULT_MAX_RTO_NANOS;
    long initialRtoNanos = RttEstimator.DEFAULT_INITIAL_RTO_NANOS;
    /** Retransmissions of one segment before giving up (RFC 1122 §4.2.3.5 R2; Linux tcp_retries2 = 15). */
    int maxRetransmits = 12;
    /** SYN-ACK retransmissions before giving up (Linux tcp_synack_retries = 5). */
    int maxSynRetransmits = 5;
    /** RFC 1122 §4.2.3.6: keepalive off by default; when on, idle of at least two hours unless configured. */
    boolean keepalive;
    long keepaliveIdleNanos = 7_200_000_000_000L;
    long keepaliveIntervalNanos = 75_000_000_000L;
    int keepaliveProbes = 9;
    /** 2 × MSL. RFC 9293 suggests MSL = 2 min; Linux uses 60 s for the whole TIME-WAIT. */
    long timeWaitNanos = 60_000_000_000L;
    /** Bound on FIN-WAIT-2 after a full close, so a peer that never closes cannot pin it (tcp_fin_timeout). */
    long finWait2TimeoutNanos = 60_000_000_000L;
    /** RFC 5961 §7: challenge ACKs per connection per second (Linux's global default is 1000/s; per flow less). */
    int challengeAcksPerSecond = 10;

    public TcpConfig mtu(int v) {
        mtu = v;
        return this;
    }

    /** IP time to live of the packets we send. */
    public TcpConfig ttl(int v) {
        ttl = v;
        return this;
    }

    public TcpConfig receiveBuffer(int v) {
        receiveBuffer = v;
        return this;
    }

    public TcpConfig sendBuffer(int v) {
        sendBuffer = v;
        return this;
    }

    public TcpConfig windowScaling(boolean v) {
        windowScaling = v;
        return this;
    }

    public TcpConfig timestamps(boolean v) {
        timestamps = v;
        return this;
    }

    public TcpConfig sack(boolean v) {
        sack = v;
        return this;
    }

    public TcpConfig initialWindowSegments(int v) {
        initialWindowSegments = v;
        return this;
    }

    public TcpConfig delayedAckNanos(long v) {
        delayedAckNanos = v;
        return this;
    }

    public TcpConfig rto(long minNanos, long initialNanos, long maxNanos) {
        minRtoNanos = minNanos;
        initialRtoNanos = initialNanos;
        maxRtoNanos = maxNanos;
        return this;
    }

    public TcpConfig maxRetransmits(int v) {
        maxRetransmits = v;
        return this;
    }

    public TcpConfig maxSynRetransmits(int v) {
        maxSynRetransmits = v;
        return this;
    }

    public TcpConfig keepalive(long idleNanos, long intervalNanos, int probes) {
        keepalive = true;
        keepaliveIdleNanos = idleNanos;
        keepaliveIntervalNanos = intervalNanos;
        keepaliveProbes = probes;
        return this;
    }

    /** @return how long TIME-WAIT lasts (2 MSL), e.g. for a {@link TimeWaitTable} that takes it over */
    public long timeWaitNanos() {
        return timeWaitNanos;
    }

    public TcpConfig timeWaitNanos(long v) {
        timeWaitNanos = v;
        return this;
    }

    public TcpConfig finWait2TimeoutNanos(long v) {
        finWait2TimeoutNanos = v;
        return this;
    }

    public TcpConfig challengeAcksPerSecond(int v) {
        challengeAcksPerSecond = v;
        return this;
    }

    /**
     * Rejects settings no connection can work with (called when a connection is built: control plane only).
     *
     * @throws IllegalArgumentException naming the bad setting
     */
    void validate() {
        if (mtu < 296 || mtu > 65535) {
            throw new IllegalArgumentException("mtu " + mtu + " outside 296..65535"); // 256 bytes of MSS at least
        }
        if (receiveBuffer <= 0 || sendBuffer <= 0 || receiveBuffer > 1 << 30 || sendBuffer > 1 << 30) {
            throw new IllegalArgumentException("buffer sizes must be in 1..2^30 (RFC 7323 §2.3)");
        }
        if (initialWindowSegments <= 0 || maxRetransmits < 0 || maxSynRetransmits < 0 || keepaliveProbes < 0) {
            throw new IllegalArgumentException("window and retry counts must not be negative");
        }
        if (minRtoNanos <= 0 || maxRtoNanos < minRtoNanos || initialRtoNanos <= 0 || delayedAckNanos < 0) {
            throw new IllegalArgumentException("bad timer settings");
        }
    }

    /** Our MSS: MTU − 40 (the option we advertise and the most we send). */
    public int mss() {
        return mtu - 40;
    }

    public int receiveBuffer() {
        return receiveBuffer;
    }

    public int sendBuffer() {
        return sendBuffer;
    }

    /** Largest packet a connection emits: one MTU (payload shrinks by the options it carries). */
    public int maxPacketLength() {
        return mtu;
    }

    /** Window scale shift we offer: the smallest that lets the receive buffer fit the 16-bit field. */
    int receiveWindowShift() {
        int shift = 0;
        while ((receiveBuffer >>> shift) > 0xFFFF && shift < 14) {
            shift++;
        }
        return shift;
    }
}
