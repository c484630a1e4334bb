package io.torgate.stack;

import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/**
 * One inbound TCP segment, parsed and verified once so the flow lookup and the connection share the work: the
 * checked path (length, data offset, checksum over the IPv4 pseudo-header, options) runs in {@link #parse}, and
 * a segment that fails it is counted by reason and must be dropped.
 *
 * <p>Ownership and thread-safety: one reusable instance per worker thread; valid until the next {@code parse}.
 * It points into the caller's packet buffer, which must stay unchanged while the connection handles it.
 */
public final class TcpSegment {
    private final Tcp tcp = new Tcp();
    private final TcpOptions options = new TcpOptions();
    private int srcAddr;
    private int dstAddr;

    /**
     * Parses the TCP segment at absolute {@code [offset, offset + length)} of {@code buf}, carried in an IPv4
     * packet from {@code srcAddr} to {@code dstAddr}.
     *
     * @return {@link WireError#OK}, or the reason it was rejected (already counted in {@code counters})
     */
    public int parse(ByteBuffer buf, int offset, int length, int srcAddr, int dstAddr, TcpCounters counters) {
        return parse(buf, offset, length, srcAddr, dstAddr, counters, true);
    }

    /**
     * As {@link #parse}, for a segment whose checksum the caller has already verified over these exact bytes and
     * addresses (the gateway's classifier does, to count {@code bad_tcp_checksum} drops): the length, data offset
     * and option checks still run, only the second pass over the payload is skipped. Never use it for bytes whose
     * checksum nobody checked.
     */
    public int parseChecksumVerified(ByteBuffer buf, int offset, int length, int srcAddr, int dstAddr,
                                     TcpCounters counters) {
        return parse(buf, offset, length, srcAddr, dstAddr, counters, false);
    }

    private int parse(ByteBuffer buf, int offset, int length, int srcAddr, int dstAddr, TcpCounters counters,
                      boolean verifyChecksum) {
        this.srcAddr = srcAddr;
        this.dstAddr = dstAddr;
        int code = tcp.wrap(buf, offset, length).checkLength();
        if (code == WireError.OK && verifyChecksum && !tcp.verifyChecksum(srcAddr, dstAddr)) {
            code = WireError.BAD_CHECKSUM;
        }
        if (code == WireError.OK) {
            code = tcp.parseOptions(options);
        }
        if (code != WireError.OK) {
            counters.wireError(code);
        }
        return code;
    }

    /** The flyweight over the segment (valid after a successful parse). */
    public Tcp tcp() {
        return tcp;
    }

    public TcpOptions options() {
        return options;
    }

    public int sourceAddress() {
        return srcAddr;
    }

    public int destinationAddress() {
        return dstAddr;
    }

    public int sourcePort() {
        return tcp.sourcePort();
    }

    public int destinationPort() {
        return tcp.destinationPort();
    }

    public int seq() {
        return tcp.sequenceNumber();
    }

    public int ack() {
        return tcp.ackNumber();
    }

    public int flags() {
        return tcp.flags();
    }

    public boolean has(int flag) {
        return (tcp.flags() & flag) != 0;
    }

    public int window() {
        return tcp.windowSize();
    }

    public int payloadLength() {
        return tcp.payloadLength();
    }

    /** SEG.LEN of RFC 9293 §3.4: payload plus SYN and FIN. */
    public int segmentLength() {
        return tcp.segmentLength();
    }
}
