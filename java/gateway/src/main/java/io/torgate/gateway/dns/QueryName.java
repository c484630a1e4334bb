package io.torgate.gateway.dns;

import io.torgate.wire.Dns;
import io.torgate.wire.DnsName;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The question name of one query in a canonical form: uncompressed wire labels ({@code len, bytes, ..., 0}) with
 * ASCII letters lowercased (names compare case-insensitively, RFC 4343 section 3), its hash, and the facts the
 * service routes on: is it a {@code .onion} name, a reverse {@code in-addr.arpa} name (and of which address),
 * and can Tor carry it at all.
 *
 * <p>Why a canonical copy: the cache and the virtual map compare names byte for byte and hash them once,
 * without building a {@code String} per query; a String is made only when a name goes to Tor or into the map.
 *
 * <p>Ownership: a reusable scratch holder, one per thread (the DNS agent's). Not thread-safe.
 */
final class QueryName {
    private static final byte[] IN_ADDR = "in-addr".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ARPA = "arpa".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ONION = "onion".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LOCALHOST = "localhost".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LOCAL = "local".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INVALID = "invalid".getBytes(StandardCharsets.US_ASCII);

    /** An ordinary name. */
    static final int ORDINARY = 0;
    /** {@code localhost} or a name under it (RFC 6761 section 6.3). */
    static final int LOOPBACK = 1;
    /** A name under {@code local} (RFC 6762 section 22.1) or {@code invalid} (RFC 6761 section 6.4). */
    static final int NONEXISTENT = 2;

    final byte[] bytes = new byte[DnsName.MAX_WIRE_LENGTH];
    int length;
    int hash;
    /** Offset in {@link #bytes} of the last (top-level) label, or of the root byte for the root name. */
    int lastLabel;
    int labels;
    /** False when a label holds a byte Tor's SOCKS host field cannot carry (controls, space, '.', non-ASCII). */
    boolean printable;

    /**
     * Loads the first question's name of a query that passed {@link Dns#checkLength()}.
     *
     * @return true, or false when the name cannot be walked (cannot happen after a passed checkLength)
     */
    boolean load(Dns query) {
        DnsName cursor = query.nameCursor();
        cursor.start(query.buffer(), query.offset(), query.end(), query.questionNameOffset());
        ByteBuffer buf = query.buffer();
        int n = 0;
        int h = 0x811C9DC5;
        labels = 0;
        lastLabel = 0;
        printable = true;
        int len;
        while ((len = cursor.next()) > 0) {
            lastLabel = n;
            labels++;
            bytes[n++] = (byte) len;
            h = (h ^ len) * 0x01000193;
            int from = cursor.labelOffset();
            for (int i = 0; i < len; i++) {
                int c = buf.get(from + i) & 0xFF;
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                }
                printable &= c > 0x20 && c < 0x7F && c != '.';
                bytes[n++] = (byte) c;
                h = (h ^ c) * 0x01000193;
            }
        }
        if (len < 0) {
            return false;
        }
        if (labels == 0) {
            lastLabel = 0;
        }
        bytes[n++] = 0;
        length = n;
        hash = h;
        return true;
    }

    /**
     * Loads a dotted name (trusted text: the persisted map, tests). Letters are lowercased.
     *
     * @return false when it is not a valid name
     */
    boolean load(CharSequence dotted) {
        ByteBuffer b = ByteBuffer.wrap(new byte[DnsName.MAX_WIRE_LENGTH + 16]);
        int end = DnsName.write(b, Dns.HEADER_LENGTH, b.capacity(), dotted);
        if (end < 0) {
            return false;
        }
        b.putShort(4, (short) 1);
        b.putShort(end, (short) Dns.TYPE_A);
        b.putShort(end + 2, (short) Dns.CLASS_IN);
        Dns d = new Dns().wrap(b, 0, end + 4);
        return d.checkLength() == 0 && load(d);
    }

    /** True for a name whose last label is "onion" (Tor's onion services, RFC 7686). */
    boolean isOnion() {
        return labels >= 2 && labelEquals(lastLabel, ONION);
    }

    /**
     * Special-use names a caching server answers itself and never sends on (RFC 6761 sections 6.3 and 6.4, RFC
     * 6762 section 22.1): sending them through tor would only show an exit the VM's local names.
     *
     * @return {@link #ORDINARY}, {@link #LOOPBACK} or {@link #NONEXISTENT}
     */
    int specialUse() {
        if (labels == 0) {
            return ORDINARY;
        }
        if (labelEquals(lastLabel, LOCALHOST)) {
            return LOOPBACK;
        }
        return labelEquals(lastLabel, LOCAL) || labelEquals(lastLabel, INVALID) ? NONEXISTENT : ORDINARY;
    }

    /**
     * The IPv4 address of a reverse name {@code d.c.b.a.in-addr.arpa} (RFC 1035 section 3.5) as an int, or -1
     * when this is not exactly such a name with four decimal octets.
     */
    long reverseAddress() {
        if (labels != 6) {
            return -1;
        }
        long address = 0;
        int p = 0;
        for (int i = 0; i < 4; i++) {
            int len = bytes[p];
            if (len < 1 || len > 3 || (len > 1 && bytes[p + 1] == '0')) {
                return -1;
            }
            int octet = 0;
            for (int k = 1; k <= len; k++) {
                int c = bytes[p + k];
                if (c < '0' || c > '9') {
                    return -1;
                }
                octet = octet * 10 + (c - '0');
            }
            if (octet > 255) {
                return -1;
            }
            address |= (long) octet << (8 * i);
            p += 1 + len;
        }
        if (!labelEquals(p, IN_ADDR) || !labelEquals(p + 1 + IN_ADDR.length, ARPA)) {
            return -1;
        }
        return address;
    }

    /** True for any name under {@code arpa} (reverse trees): never sent to Tor as a host name. */
    boolean isArpa() {
        return labels >= 1 && labelEquals(lastLabel, ARPA);
    }

    private boolean labelEquals(int at, byte[] label) {
        if (bytes[at] != label.length) {
            return false;
        }
        for (int i = 0; i < label.length; i++) {
            if (bytes[at + 1 + i] != label[i]) {
                return false;
            }
        }
        return true;
    }

    /** Compares with a stored canonical name. */
    boolean equalsBytes(byte[] other, int otherLength) {
        if (otherLength != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (bytes[i] != other[i]) {
                return false;
            }
        }
        return true;
    }

    /** The dotted presentation form without the trailing dot, as sent to Tor (allocates; miss path only). */
    String dotted() {
        return dotted(bytes, length);
    }

    static String dotted(byte[] wire, int length) {
        StringBuilder sb = new StringBuilder(length);
        int p = 0;
        while (p < length && wire[p] != 0) {
            int len = wire[p];
            if (sb.length() > 0) {
                sb.append('.');
            }
            for (int i = 1; i <= len; i++) {
                sb.append((char) (wire[p + i] & 0xFF));
            }
            p += 1 + len;
        }
        return sb.toString();
    }
}
