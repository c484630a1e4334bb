package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/** Test sink: keeps every packet a connection emits, checks its IPv4 and TCP checksums, parses it for asserts. */
final class CapturingSink implements SegmentSink {
    /** One emitted segment, decoded. */
    record Out(int src, int dst, int srcPort, int dstPort, int seq, int ack, int flags, int window, int mss,
               int windowScale, boolean sackPermitted, boolean hasTs, int tsVal, int tsEcr, int[] sackLeft,
               int[] sackRight, byte[] payload, byte[] packet) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        int sackCount() {
            return sackLeft.length;
        }

        @Override
        public String toString() {
            return Tcp.flagString(flags) + " seq=" + Integer.toUnsignedString(seq) + " ack="
                    + Integer.toUnsignedString(ack) + " win=" + window + " len=" + payload.length
                    + (hasTs ? " ts=" + tsVal + "/" + tsEcr : "") + (sackLeft.length > 0 ? " sacks=" + sackLeft.length
                    : "");
        }
    }

    private final ByteBuffer buf = ByteBuffer.allocate(65536);
    final ArrayDeque<Out> packets = new ArrayDeque<>();
    /** When set, claims fail: a full TX batch. */
    boolean full;
    private int claimed = -1;

    @Override
    public ByteBuffer claim(int maxLength) {
        if (full) {
            return null;
        }
        buf.clear().position(100);
        claimed = maxLength;
        return buf;
    }

    @Override
    public void commit(int length) {
        assertTrue(length <= claimed, "committed more than claimed");
        claimed = -1;
        byte[] packet = new byte[length];
        buf.get(100, packet);
        packets.add(decode(packet));
    }

    static Out decode(byte[] packet) {
        ByteBuffer b = ByteBuffer.wrap(packet);
        Ipv4 ip = new Ipv4().wrap(b, 0, packet.length);
        assertEquals(WireError.OK, ip.checkLength());
        assertTrue(ip.verifyChecksum(), "IPv4 checksum");
        assertEquals(Ipv4.PROTO_TCP, ip.protocol());
        Tcp tcp = new Tcp().wrap(b, ip.payloadOffset(), ip.payloadLength());
        assertEquals(WireError.OK, tcp.checkLength());
        assertTrue(tcp.verifyChecksum(ip.sourceAddress(), ip.destinationAddress()), "TCP checksum");
        TcpOptions o = new TcpOptions();
        assertEquals(WireError.OK, tcp.parseOptions(o));
        assertTrue(packet.length <= 1500, "fits the MTU");
        int[] l = new int[o.sackCount];
        int[] r = new int[o.sackCount];
        for (int i = 0; i < o.sackCount; i++) {
            l[i] = o.sackLeft[i];
            r[i] = o.sackRight[i];
        }
        byte[] payload = new byte[tcp.payloadLength()];
        b.get(tcp.payloadOffset(), payload);
        return new Out(ip.sourceAddress(), ip.destinationAddress(), tcp.sourcePort(), tcp.destinationPort(),
                tcp.sequenceNumber(), tcp.ackNumber(), tcp.flags(), tcp.windowSize(), o.mss, o.windowScale,
                o.sackPermitted, o.hasTimestamp, o.tsVal, o.tsEcr, l, r, payload, packet);
    }
}
