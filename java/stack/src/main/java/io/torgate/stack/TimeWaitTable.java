package io.torgate.stack;

import io.torgate.wire.SeqNum;
import io.torgate.wire.Tcp;

/**
 * TIME-WAIT without a connection (RFC 9293 §3.10.7.4, as Linux's {@code inet_timewait_sock}): once a connection
 * reaches TIME-WAIT its owner frees the {@link TcpConnection} and its buffers and keeps here only what the state
 * still needs, the 4-tuple, SND.NXT and RCV.NXT, for {@code durationNanos} (2 MSL). A segment for a remembered
 * tuple gets the TIME-WAIT answer from {@link #onSegment}: a retransmitted FIN is acknowledged again and restarts
 * the wait; a RST exactly at RCV.NXT ends it (RFC 5961 §3.2 exactness); a SYN above RCV.NXT may open a new
 * connection (RFC 9293 §3.10.7.4 note, RFC 6191); a late pure ACK is dropped; anything else is answered with an ACK
 * (RFC 9293 §3.10.7.4: an unacceptable segment gets an acknowledgment).
 *
 * <p>Bounded and compact: at most {@code capacity} entries in a ring of pre-allocated entries, in order of entry
 * into TIME-WAIT (all waits are equally long, so that is expiry order), indexed by a {@link FlowTable}. When full,
 * the oldest entry is evicted (counted): a new TIME-WAIT is worth more than the end of an old one. Expired entries
 * are removed lazily (on lookup, on add, by {@link #expire}), so the table needs no timer. Nothing allocates after
 * construction.
 *
 * <p>Ownership and thread-safety: owned by one worker thread, like its flow table; not thread-safe.
 */
public final class TimeWaitTable {
    /** {@link #onSegment}: the tuple is not in TIME-WAIT here (handle the segment as for no connection). */
    public static final int NOT_FOUND = 0;
    /** {@link #onSegment}: drop the segment silently. */
    public static final int DROP = 1;
    /** {@link #onSegment}: send a bare ACK with {@link #ackSeq()} and {@link #ackNumber()}. */
    public static final int ACK = 2;
    /** {@link #onSegment}: the wait ended for a new SYN; handle it as a new connection request. */
    public static final int NEW_SYN = 3;

    private static final class Entry {
        int remoteAddr;
        int remotePort;
        int localAddr;
        int localPort;
        int sndNxt;
        int rcvNxt;
        long expiry;
        boolean live;
    }

    private final FlowTable<Entry> index;
    private final Entry[] ring;
    private final long durationNanos;
    private int head;
    private int count;
    private int size;
    private int ackSeq;
    private int ackNumber;
    private long evicted;
    private long acks;

    /**
     * @param capacity most tuples remembered at once, &gt; 0
     * @param durationNanos how long each is remembered (2 MSL; {@link TcpConfig#timeWaitNanos(long)})
     */
    public TimeWaitTable(int capacity, long durationNanos) {
        if (durationNanos <= 0) {
            throw new IllegalArgumentException("durationNanos must be positive");
        }
        this.index = new FlowTable<>(capacity);
        this.ring = new Entry[capacity];
        for (int i = 0; i < capacity; i++) {
            ring[i] = new Entry();
        }
        this.durationNanos = durationNanos;
    }

    /** @return tuples in TIME-WAIT (expired ones not yet removed included) */
    public int size() {
        return size;
    }

    public int capacity() {
        return ring.length;
    }

    /** @return live entries pushed out by newer ones while the table was full */
    public long evicted() {
        return evicted;
    }

    /** @return ACKs asked for by {@link #onSegment} */
    public long acks() {
        return acks;
    }

    /** SEG.SEQ of the ACK asked for by the last {@link #onSegment} that returned {@link #ACK}. */
    public int ackSeq() {
        return ackSeq;
    }

    /** SEG.ACK of the ACK asked for by the last {@link #onSegment} that returned {@link #ACK}. */
    public int ackNumber() {
        return ackNumber;
    }

    /**
     * Remembers a connection that entered TIME-WAIT at {@code now}, replacing any entry of the same tuple.
     *
     * @param sndNxt our next sequence number (after our FIN)
     * @param rcvNxt the peer's next sequence number (after its FIN)
     */
    public void add(int localAddr, int localPort, int remoteAddr, int remotePort, int sndNxt, int rcvNxt, long now) {
        Entry old = index.get(remoteAddr, remotePort, localAddr, localPort);
        if (old != null) {
            remove(old);
        }
        expire(now);
        if (count == ring.length) {
            if (ring[head].live) {
                evicted++;
                remove(ring[head]);
            }
            pop();
        }
        Entry e = ring[(head + count) % ring.length];
        count++;
        e.remoteAddr = remoteAddr;
        e.remotePort = remotePort;
        e.localAddr = localAddr;
        e.localPort = localPort;
        e.sndNxt = sndNxt;
        e.rcvNxt = rcvNxt;
        e.expiry = now + durationNanos;
        e.live = true;
        index.put(remoteAddr, remotePort, localAddr, localPort, e);
        size++;
    }

    /**
     * The TIME-WAIT answer to a segment from the peer (parsed and checksum-verified).
     *
     * @return {@link #NOT_FOUND}, {@link #DROP}, {@link #ACK} (fields in {@link #ackSeq()}, {@link #ackNumber()})
     *     or {@link #NEW_SYN}
     */
    public int onSegment(TcpSegment s, long now) {
        Entry e = index.get(s.sourceAddress(), s.sourcePort(), s.destinationAddress(), s.destinationPort());
        if (e == null) {
            return NOT_FOUND;
        }
        if (now - e.expiry >= 0) {
            remove(e);
            return NOT_FOUND;
        }
        int seq = s.seq();
        if (s.has(Tcp.RST)) {
            if (seq == e.rcvNxt) {
                remove(e); // RFC 9293 §3.10.7.4: a RST ends TIME-WAIT; only an exact one (RFC 5961 §3.2)
            }
            return DROP;
        }
        if (s.has(Tcp.SYN) && !s.has(Tcp.ACK) && SeqNum.gt(seq, e.rcvNxt)) {
            remove(e); // a new incarnation above everything the old one used: the wait may end (RFC 6191)
            return NEW_SYN;
        }
        if (s.has(Tcp.FIN) && seq + s.payloadLength() + 1 == e.rcvNxt) {
            // The peer did not get our ACK of its FIN: acknowledge again and restart the 2 MSL wait.
            int localAddr = e.localAddr;
            int localPort = e.localPort;
            add(localAddr, localPort, e.remoteAddr, e.remotePort, e.sndNxt, e.rcvNxt, now);
            e = index.get(s.sourceAddress(), s.sourcePort(), localAddr, localPort);
        } else if (s.segmentLength() == 0 && s.has(Tcp.ACK) && seq == e.rcvNxt && s.ack() == e.sndNxt) {
            return DROP; // a late duplicate of the peer's last ACK: nothing to say
        }
        ackSeq = e.sndNxt;
        ackNumber = e.rcvNxt;
        acks++;
        return ACK;
    }

    /**
     * Removes entries whose wait is over.
     *
     * @return entries removed
     */
    public int expire(long now) {
        int removed = 0;
        while (count > 0) {
            Entry e = ring[head];
            if (e.live && now - e.expiry < 0) {
                break;
            }
            if (e.live) {
                remove(e);
                removed++;
            }
            pop();
        }
        return removed;
    }

    private void remove(Entry e) {
        index.remove(e.remoteAddr, e.remotePort, e.localAddr, e.localPort);
        e.live = false;
        size--;
    }

    private void pop() {
        head = (head + 1) % ring.length;
        count--;
    }
}
