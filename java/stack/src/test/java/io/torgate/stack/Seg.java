package io.torgate.stack;

import io.torgate.wire.Tcp;
import java.util.ArrayList;
import java.util.List;

/**
 * A declarative segment: built by the peer to send, or used as an expectation where every field left unset
 * matches anything ({@code expect(segment().ack(1001).window(65535))}). Sequence numbers are absolute.
 */
final class Seg {
    Integer flags;
    Integer seq;
    Integer ack;
    Integer window;
    Integer mss;
    Integer windowScale;
    Boolean sackPermitted;
    Integer tsVal;
    Integer tsEcr;
    byte[] payload;
    Integer payloadLength;
    final List<int[]> sacks = new ArrayList<>();
    Boolean noSack;

    static Seg segment() {
        return new Seg();
    }

    Seg flags(int f) {
        flags = f;
        return this;
    }

    Seg syn() {
        return flags(Tcp.SYN);
    }

    Seg synAck() {
        return flags(Tcp.SYN | Tcp.ACK);
    }

    Seg ackOnly() {
        return flags(Tcp.ACK);
    }

    Seg rst() {
        return flags(Tcp.RST);
    }

    Seg seq(int v) {
        seq = v;
        return this;
    }

    Seg ack(int v) {
        ack = v;
        if (flags == null) {
            flags = Tcp.ACK;
        }
        return this;
    }

    Seg window(int v) {
        window = v;
        return this;
    }

    Seg mss(int v) {
        mss = v;
        return this;
    }

    Seg windowScale(int v) {
        windowScale = v;
        return this;
    }

    Seg sackPermitted() {
        sackPermitted = true;
        return this;
    }

    Seg ts(int val, int ecr) {
        tsVal = val;
        tsEcr = ecr;
        return this;
    }

    Seg tsEcr(int ecr) {
        tsEcr = ecr;
        return this;
    }

    Seg sack(int left, int right) {
        sacks.add(new int[] {left, right});
        return this;
    }

    Seg noSack() {
        noSack = true;
        return this;
    }

    Seg payload(byte[] p) {
        payload = p;
        payloadLength = p.length;
        return this;
    }

    Seg payload(String s) {
        return payload(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    Seg len(int n) {
        payloadLength = n;
        return this;
    }

    /** Why {@code o} does not match this expectation, or null when it does. */
    String mismatch(CapturingSink.Out o) {
        StringBuilder sb = new StringBuilder();
        check(sb, "flags", flags == null ? null : Tcp.flagString(flags), Tcp.flagString(o.flags()));
        check(sb, "seq", seq, o.seq());
        check(sb, "ack", ack, o.ack());
        check(sb, "window", window, o.window());
        check(sb, "mss", mss, o.mss());
        check(sb, "windowScale", windowScale, o.windowScale());
        check(sb, "sackPermitted", sackPermitted, o.sackPermitted());
        check(sb, "tsVal", tsVal, o.hasTs() ? o.tsVal() : null);
        check(sb, "tsEcr", tsEcr, o.hasTs() ? o.tsEcr() : null);
        check(sb, "len", payloadLength, o.payload().length);
        if (payload != null && !java.util.Arrays.equals(payload, o.payload())) {
            sb.append(" payload differs;");
        }
        if (noSack != null && o.sackCount() > 0) {
            sb.append(" unexpected SACK;");
        }
        if (!sacks.isEmpty()) {
            check(sb, "sackCount", sacks.size(), o.sackCount());
            for (int i = 0; i < Math.min(sacks.size(), o.sackCount()); i++) {
                check(sb, "sack[" + i + "]", sacks.get(i)[0] + "-" + sacks.get(i)[1],
                        o.sackLeft()[i] + "-" + o.sackRight()[i]);
            }
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    private static void check(StringBuilder sb, String name, Object want, Object got) {
        if (want != null && !want.equals(got)) {
            sb.append(' ').append(name).append(": want ").append(want).append(" got ").append(got).append(';');
        }
    }
}
