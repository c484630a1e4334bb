package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over a TCP segment (RFC 9293 §3.1) in a {@link ByteBuffer}; all indexes are absolute.
 *
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |       |       |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           [Options]                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Untrusted bytes: {@link #wrap} then {@link #checkLength()} once; after it returns {@link WireError#OK} no
 * accessor can fail. {@link #parseOptions} is the checked path for options. Emitting into a reused buffer goes
 * through the setters and {@link #fillChecksum}.
 *
 * <p>Ownership: a flyweight is reused by one thread for many segments; it holds no packet data. Not thread-safe.
 */
public final class Tcp {

    /** Fixed header length in bytes (data offset 5 words). */
    public static final int HEADER_LENGTH = 20;
    /** Largest header: data offset 15 words. */
    public static final int MAX_HEADER_LENGTH = 60;
    /** IP protocol number of TCP, for the pseudo-header. */
    public static final int PROTOCOL = 6;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    // Field offsets from the start of the header, in bytes.
    private static final int SRC_PORT = 0;
    private static final int DST_PORT = 2;
    private static final int SEQ = 4;
    private static final int ACK_NUM = 8;
    /** Data offset (high nibble, in 32-bit words) and reserved bits. */
    private static final int DATA_OFFSET = 12;
    private static final int FLAGS = 13;
    private static final int WINDOW = 14;
    private static final int CHECKSUM = 16;
    private static final int URGENT = 18;

    private ByteBuffer buf;
    private int offset;
    private int length;

    /** Points this flyweight at {@code length} bytes of {@code buf} starting at absolute index {@code offset}. */
    public Tcp wrap(ByteBuffer buf, int offset, int length) {
        this.buf = buf;
        this.offset = offset;
        this.length = length;
        return this;
    }

    public ByteBuffer buffer() {
        return buf;
    }

    public int offset() {
        return offset;
    }

    /** Segment length (header + payload) as wrapped. */
    public int length() {
        return length;
    }

    /**
     * Validates the wrapped range: fixed header present, data offset within [5, 15] words and within the segment.
     *
     * @return {@link WireError#OK}, {@link WireError#TRUNCATED} or {@link WireError#BAD_DATA_OFFSET}
     */
    public int checkLength() {
        if (buf == null || offset < 0 || length < HEADER_LENGTH || offset > buf.limit() - length) {
            return WireError.TRUNCATED;
        }
        int hl = headerLength();
        if (hl < HEADER_LENGTH || hl > length) {
            return WireError.BAD_DATA_OFFSET;
        }
        return WireError.OK;
    }

    /** Checked option parsing into {@code out}; only after {@link #checkLength()} returned OK. */
    public int parseOptions(TcpOptions out) {
        return out.parse(buf, offset + HEADER_LENGTH, headerLength() - HEADER_LENGTH);
    }

    public int sourcePort() {
        return buf.getShort(offset + SRC_PORT) & 0xFFFF;
    }

    public int destinationPort() {
        return buf.getShort(offset + DST_PORT) & 0xFFFF;
    }

    public int sequenceNumber() {
        return buf.getInt(offset + SEQ);
    }

    public int ackNumber() {
        return buf.getInt(offset + ACK_NUM);
    }

    /** Header length in bytes (data offset field × 4). */
    public int headerLength() {
        return ((buf.get(offset + DATA_OFFSET) & 0xF0) >>> 4) * 4;
    }

    /** The eight flag bits CWR..FIN (see the constants). */
    public int flags() {
        return buf.get(offset + FLAGS) & 0xFF;
    }

    public boolean fin() {
        return (flags() & FIN) != 0;
    }

    public boolean syn() {
        return (flags() & SYN) != 0;
    }

    public boolean rst() {
        return (flags() & RST) != 0;
    }

    public boolean psh() {
        return (flags() & PSH) != 0;
    }

    public boolean ack() {
        return (flags() & ACK) != 0;
    }

    public boolean urg() {
        return (flags() & URG) != 0;
    }

    /** Window field as sent (unscaled). */
    public int windowSize() {
        return buf.getShort(offset + WINDOW) & 0xFFFF;
    }

    public int checksum() {
        return buf.getShort(offset + CHECKSUM) & 0xFFFF;
    }

    public int urgentPointer() {
        return buf.getShort(offset + URGENT) & 0xFFFF;
    }

    public int optionsOffset() {
        return offset + HEADER_LENGTH;
    }

    public int optionsLength() {
        return headerLength() - HEADER_LENGTH;
    }

    /** Absolute index of the first payload byte. */
    public int payloadOffset() {
        return offset + headerLength();
    }

    public int payloadLength() {
        return length - headerLength();
    }

    /** Sequence space the segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4). */
    public int segmentLength() {
        int f = flags();
        return payloadLength() + (f & SYN) / SYN + (f & FIN);
    }

    /** True when the checksum over the IPv4 pseudo-header and the wrapped segment verifies (RFC 9293 §3.1). */
    public boolean verifyChecksum(int srcAddr, int dstAddr) {
        long acc = Checksum.addPseudoHeaderV4(srcAddr, dstAddr, PROTOCOL, length, 0);
        return Checksum.finish(Checksum.add(buf, offset, length, acc)) == 0;
    }

    /** Computes and stores the checksum for the wrapped segment over the IPv4 pseudo-header. */
    public Tcp fillChecksum(int srcAddr, int dstAddr) {
        checksum(0);
        long acc = Checksum.addPseudoHeaderV4(srcAddr, dstAddr, PROTOCOL, length, 0);
        return checksum(Checksum.finish(Checksum.add(buf, offset, length, acc)));
    }

    /**
     * Stores the checksum as a device with checksum offload expects it (virtio NEEDS_CSUM, Linux
     * CHECKSUM_PARTIAL): only the folded, uncomplemented sum of the IPv4 pseudo-header over the wrapped length;
     * the device adds the header and payload and complements. Costs no pass over the payload.
     */
    public Tcp fillPartialChecksum(int srcAddr, int dstAddr) {
        return checksum(~Checksum.finish(Checksum.addPseudoHeaderV4(srcAddr, dstAddr, PROTOCOL, length, 0)) & 0xFFFF);
    }

    public Tcp sourcePort(int port) {
        buf.putShort(offset + SRC_PORT, (short) port);
        return this;
    }

    public Tcp destinationPort(int port) {
        buf.putShort(offset + DST_PORT, (short) port);
        return this;
    }

    public Tcp sequenceNumber(int seq) {
        buf.putInt(offset + SEQ, seq);
        return this;
    }

    public Tcp ackNumber(int ack) {
        buf.putInt(offset + ACK_NUM, ack);
        return this;
    }

    /** Sets the data offset from a header length in bytes (a multiple of 4, 20..60); reserved bits cleared. */
    public Tcp headerLength(int bytes) {
        buf.put(offset + DATA_OFFSET, (byte) ((bytes / 4) << 4));
        return this;
    }

    public Tcp flags(int flags) {
        buf.put(offset + FLAGS, (byte) flags);
        return this;
    }

    public Tcp windowSize(int window) {
        buf.putShort(offset + WINDOW, (short) window);
        return this;
    }

    public Tcp checksum(int checksum) {
        buf.putShort(offset + CHECKSUM, (short) checksum);
        return this;
    }

    public Tcp urgentPointer(int pointer) {
        buf.putShort(offset + URGENT, (short) pointer);
        return this;
    }

    /**
     * Writes a complete header (options included, checksum zero) at the wrapped offset and sets the wrapped
     * length to header + {@code payloadLength}. Returns the header length. The caller places the payload at
     * {@link #payloadOffset()} and then calls {@link #fillChecksum}.
     */
    public int writeHeader(int srcPort, int dstPort, int seq, int ack, int flags, int window,
                           TcpOptions options, int payloadLength) {
        int optLen = options == null ? 0 : options.write(buf, offset + HEADER_LENGTH);
        int hl = HEADER_LENGTH + optLen;
        sourcePort(srcPort).destinationPort(dstPort).sequenceNumber(seq).ackNumber(ack);
        headerLength(hl).flags(flags).windowSize(window).checksum(0).urgentPointer(0);
        length = hl + payloadLength;
        return hl;
    }

    /** Appends a compact flag string such as {@code "SA"} or {@code "FPA"} (for logs and test failures). */
    public static String flagString(int flags) {
        StringBuilder sb = new StringBuilder(8);
        String letters = "FSRPAUEC";
        for (int i = 0; i < 8; i++) {
            if ((flags & (1 << i)) != 0) {
                sb.append(letters.charAt(i));
            }
        }
        return sb.toString();
    }
}
