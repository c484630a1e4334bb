package io.torgate.gateway.capture;

import io.torgate.stack.TcpConnection;
import io.torgate.stack.TcpSegment;
import io.torgate.stack.TcpState;
import io.torgate.wire.Checksum;
import io.torgate.wire.SeqNum;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/**
 * One flow during a {@link Replay}: our {@link TcpConnection} in the server's seat, plus what makes a recorded
 * client talk sensibly to it. Our stack picks its own ISN and timestamps, so the client's acknowledgements (and
 * SACK blocks, and echoed timestamps) are shifted by the difference to the original server's, learnt from the
 * server's SYN-ACK in the capture or, when only the client side was captured, from the client's first ACK.
 * The original server's bytes and FIN, when captured, are what the fake upstream hands to the connection, so the
 * client's later ACKs cover data we really sent.
 *
 * <p>Offline tool: allocates freely. Confined to the replay thread.
 */
final class ReplayFlow {
    final TcpConnection conn;
    final String name;
    TcpState lastState;
    private final ByteBuffer scratch = ByteBuffer.allocate(65536);
    private ByteBuffer upstream = ByteBuffer.allocate(4096).flip();
    private boolean ourIsnKnown;
    private int ourIsn;
    private int ourTsVal;
    private boolean serverIsnKnown;
    private int serverIsn;
    private int serverTsVal;
    private int serverNext;
    private boolean serverFin;
    private boolean shutdown;
    long bytesFromClient;

    ReplayFlow(TcpConnection conn, String name) {
        this.conn = conn;
        this.name = name;
        this.lastState = conn.state();
    }

    /** Our segment just emitted: the SYN-ACK tells our ISN and first TSval. */
    void onOurSegment(Tcp tcp, TcpOptions options) {
        if ((tcp.flags() & Tcp.SYN) != 0 && !ourIsnKnown) {
            ourIsnKnown = true;
            ourIsn = tcp.sequenceNumber();
            ourTsVal = options.hasTimestamp ? options.tsVal : 0;
        }
    }

    /** A segment of the original server (from the capture): its ISN, data and FIN feed the fake upstream. */
    void onServerSegment(ByteBuffer buf, int offset, int length, Tcp tcp, TcpOptions options) {
        if (tcp.wrap(buf, offset, length).checkLength() != WireError.OK || tcp.parseOptions(options) != WireError.OK) {
            return;
        }
        int seq = tcp.sequenceNumber();
        if ((tcp.flags() & Tcp.SYN) != 0) {
            learnServer(seq, options.hasTimestamp ? options.tsVal : 0);
            return;
        }
        if (!serverIsnKnown) {
            return;
        }
        int len = tcp.payloadLength();
        int skip = SeqNum.diff(serverNext, seq);
        if (skip >= 0 && skip < len) { // new bytes (retransmitted ones are skipped, gaps wait for a retransmission)
            appendUpstream(buf, tcp.payloadOffset() + skip, len - skip);
            serverNext += len - skip;
        }
        if ((tcp.flags() & Tcp.FIN) != 0 && SeqNum.diff(serverNext, seq) == len) {
            serverFin = true;
        }
    }

    private void learnServer(int isn, int tsVal) {
        if (!serverIsnKnown) {
            serverIsnKnown = true;
            serverIsn = isn;
            serverTsVal = tsVal;
            serverNext = isn + 1;
        }
    }

    /**
     * Shifts a client segment's acknowledgement number in the packet bytes (fixing the checksum, RFC 1624) before
     * it is parsed; the first ACK teaches the server's ISN when the capture had no SYN-ACK.
     */
    void translateAck(ByteBuffer buf, int tcpOffset, int tcpLength) {
        if (tcpLength < 20 || (buf.get(tcpOffset + 13) & Tcp.ACK) == 0) {
            return;
        }
        int ack = buf.getInt(tcpOffset + 8);
        if (!serverIsnKnown && (buf.get(tcpOffset + 13) & Tcp.SYN) == 0) {
            learnServer(ack - 1, echoedTimestamp(buf, tcpOffset, tcpLength));
        }
        if (!serverIsnKnown || !ourIsnKnown) {
            return;
        }
        int shifted = ack + (ourIsn - serverIsn);
        int sum = buf.getShort(tcpOffset + 16) & 0xFFFF;
        buf.putInt(tcpOffset + 8, shifted);
        buf.putShort(tcpOffset + 16, (short) Checksum.update32(sum, ack, shifted));
    }

    /** Shifts the parsed SACK blocks and echoed timestamp of a client segment the same way. */
    void translateOptions(TcpSegment s) {
        if (!serverIsnKnown || !ourIsnKnown) {
            return;
        }
        TcpOptions o = s.options();
        for (int i = 0; i < o.sackCount; i++) {
            o.sackLeft[i] += ourIsn - serverIsn;
            o.sackRight[i] += ourIsn - serverIsn;
        }
        if (o.hasTimestamp && o.tsEcr != 0 && serverTsVal != 0) {
            o.tsEcr += ourTsVal - serverTsVal;
        }
    }

    /** The fake upstream's turn: consume what the client sent, hand over the server's bytes and FIN. */
    void pump() {
        int n;
        do {
            scratch.clear();
            n = conn.read(scratch);
            bytesFromClient += n;
        } while (n > 0);
        if (upstream.hasRemaining() && conn.write(upstream) < 0) {
            upstream.position(upstream.limit());
        }
        if (serverFin && !upstream.hasRemaining() && !shutdown) {
            shutdown = true;
            conn.shutdownOutput();
        }
    }

    private void appendUpstream(ByteBuffer buf, int offset, int length) {
        if (upstream.capacity() - upstream.limit() < length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(upstream.capacity() * 2, upstream.remaining() + length));
            bigger.put(upstream).flip();
            upstream = bigger;
        }
        int pos = upstream.position();
        upstream.position(upstream.limit()).limit(upstream.limit() + length);
        upstream.put(buf.slice(offset, length)).position(pos);
    }

    private static int echoedTimestamp(ByteBuffer buf, int tcpOffset, int tcpLength) {
        Tcp t = new Tcp();
        TcpOptions o = new TcpOptions();
        if (t.wrap(buf, tcpOffset, tcpLength).checkLength() != WireError.OK || t.parseOptions(o) != WireError.OK) {
            return 0;
        }
        return o.hasTimestamp ? o.tsEcr : 0;
    }
}
