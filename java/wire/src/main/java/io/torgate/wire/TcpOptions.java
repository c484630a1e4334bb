package io.torgate.wire;

import java.nio.ByteBuffer;

/**
 * A reusable, mutable holder for the TCP options this stack understands, with a checked parser and a writer.
 *
 * <pre>
 *  kind 0  End of option list            (1 byte)           RFC 9293 §3.1
 *  kind 1  No-operation                  (1 byte)           RFC 9293 §3.1
 *  kind 2  Maximum segment size, len 4   [2][4][mss:16]     RFC 9293 §3.7.1
 *  kind 3  Window scale, len 3           [3][3][shift:8]    RFC 7323 §2.2
 *  kind 4  SACK permitted, len 2         [4][2]             RFC 2018 §2
 *  kind 5  SACK, len 2 + 8n              [5][len][left:32 right:32]*n   RFC 2018 §3
 *  kind 8  Timestamps, len 10            [8][10][TSval:32][TSecr:32]    RFC 7323 §3.2
 * </pre>
 *
 * <p>Unknown kinds are skipped by their length. A known option with the wrong length is ignored (as Linux does)
 * rather than rejecting the segment; a length below 2 or running past the header is {@link WireError#BAD_OPTION}.
 *
 * <p>Ownership: one instance per parser/connection, reused for every segment. Not thread-safe.
 */
public final class TcpOptions {

    public static final int KIND_EOL = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WINDOW_SCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMP = 8;

    /** Most SACK blocks a 40-byte option space can carry (2 + 4 * 8 = 34 bytes). RFC 2018 §3. */
    public static final int MAX_SACK_BLOCKS = 4;
    /** Largest shift allowed; larger values are used as 14. RFC 7323 §2.3. */
    public static final int MAX_WINDOW_SCALE = 14;
    /** Largest TCP option space: data offset 15 words minus the 20-byte fixed header. */
    public static final int MAX_LENGTH = 40;

    /** Maximum segment size, or -1 when absent. */
    public int mss = -1;
    /** Window scale shift (0..14), or -1 when absent. */
    public int windowScale = -1;
    public boolean sackPermitted;
    public boolean hasTimestamp;
    public int tsVal;
    public int tsEcr;
    /** Number of valid entries in {@link #sackLeft}/{@link #sackRight}. */
    public int sackCount;
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];

    /** Forgets every option (before parsing or building a new segment). */
    public TcpOptions clear() {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamp = false;
        tsVal = 0;
        tsEcr = 0;
        sackCount = 0;
        return this;
    }

    /** Sets the timestamp option. */
    public TcpOptions timestamp(int val, int ecr) {
        hasTimestamp = true;
        tsVal = val;
        tsEcr = ecr;
        return this;
    }

    /** Appends a SACK block if there is room; returns false when full. */
    public boolean addSack(int left, int right) {
        if (sackCount == MAX_SACK_BLOCKS) {
            return false;
        }
        sackLeft[sackCount] = left;
        sackRight[sackCount] = right;
        sackCount++;
        return true;
    }

    /**
     * Parses options at absolute indexes {@code [offset, offset + length)} of {@code buf} into this holder (cleared
     * first). Never throws for any byte content as long as the range lies within the buffer.
     *
     * @return {@link WireError#OK} or {@link WireError#BAD_OPTION}
     */
    public int parse(ByteBuffer buf, int offset, int length) {
        clear();
        int end = offset + length;
        int i = offset;
        while (i < end) {
            int kind = buf.get(i) & 0xFF;
            if (kind == KIND_EOL) {
                return WireError.OK;
            }
            if (kind == KIND_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return WireError.BAD_OPTION;
            }
            int len = buf.get(i + 1) & 0xFF;
            if (len < 2 || i + len > end) {
                return WireError.BAD_OPTION;
            }
            apply(buf, i, kind, len);
            i += len;
        }
        return WireError.OK;
    }

    private void apply(ByteBuffer buf, int i, int kind, int len) {
        switch (kind) {
            case KIND_MSS -> {
                if (len == 4) {
                    mss = buf.getShort(i + 2) & 0xFFFF;
                }
            }
            case KIND_WINDOW_SCALE -> {
                if (len == 3) {
                    windowScale = Math.min(buf.get(i + 2) & 0xFF, MAX_WINDOW_SCALE);
                }
            }
            case KIND_SACK_PERMITTED -> sackPermitted |= len == 2;
            case KIND_TIMESTAMP -> {
                if (len == 10) {
                    timestamp(buf.getInt(i + 2), buf.getInt(i + 6));
                }
            }
            case KIND_SACK -> {
                if ((len - 2) % 8 == 0) {
                    sackCount = 0;
                    for (int p = i + 2; p < i + len; p += 8) {
                        addSack(buf.getInt(p), buf.getInt(p + 4));
                    }
                }
            }
            default -> {
                // Unknown option: skipped by its length (RFC 9293 §3.1, MUST-6).
            }
        }
    }

    /** Bytes {@link #write} will emit (a multiple of 4, at most {@link #MAX_LENGTH}). */
    public int encodedLength() {
        int n = 0;
        if (mss >= 0) {
            n += 4;
        }
        if (hasTimestamp || sackPermitted) {
            n += hasTimestamp ? 12 : 4;
        }
        if (windowScale >= 0) {
            n += 4;
        }
        int sacks = sacksThatFit(n);
        return n + (sacks > 0 ? 4 + 8 * sacks : 0);
    }

    private int sacksThatFit(int used) {
        return Math.max(0, Math.min(sackCount, (MAX_LENGTH - used - 4) / 8));
    }

    /**
     * Writes the present options at absolute index {@code offset}, NOP-padded to 4-byte words in the layout Linux
     * uses (MSS, SACK-permitted+timestamps, NOP+window scale, NOP NOP+SACK). SACK blocks that do not fit into 40
     * bytes are left out (the first ones, the most recent per RFC 2018 §4, are kept).
     *
     * @return bytes written, equal to {@link #encodedLength()}
     */
    public int write(ByteBuffer buf, int offset) {
        int p = offset;
        if (mss >= 0) {
            buf.put(p, (byte) KIND_MSS).put(p + 1, (byte) 4).putShort(p + 2, (short) mss);
            p += 4;
        }
        if (hasTimestamp) {
            if (sackPermitted) {
                buf.put(p, (byte) KIND_SACK_PERMITTED).put(p + 1, (byte) 2);
            } else {
                buf.put(p, (byte) KIND_NOP).put(p + 1, (byte) KIND_NOP);
            }
            buf.put(p + 2, (byte) KIND_TIMESTAMP).put(p + 3, (byte) 10).putInt(p + 4, tsVal).putInt(p + 8, tsEcr);
            p += 12;
        } else if (sackPermitted) {
            buf.put(p, (byte) KIND_NOP).put(p + 1, (byte) KIND_NOP);
            buf.put(p + 2, (byte) KIND_SACK_PERMITTED).put(p + 3, (byte) 2);
            p += 4;
        }
        if (windowScale >= 0) {
            buf.put(p, (byte) KIND_NOP).put(p + 1, (byte) KIND_WINDOW_SCALE).put(p + 2, (byte) 3);
            buf.put(p + 3, (byte) windowScale);
            p += 4;
        }
        int n = sacksThatFit(p - offset);
        if (n > 0) {
            buf.put(p, (byte) KIND_NOP).put(p + 1, (byte) KIND_NOP);
            buf.put(p + 2, (byte) KIND_SACK).put(p + 3, (byte) (2 + 8 * n));
            p += 4;
            for (int k = 0; k < n; k++, p += 8) {
                buf.putInt(p, sackLeft[k]).putInt(p + 4, sackRight[k]);
            }
        }
        return p - offset;
    }
}
