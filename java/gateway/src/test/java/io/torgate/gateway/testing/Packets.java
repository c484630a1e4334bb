package io.torgate.gateway.testing;

import io.torgate.gateway.config.Cidr;
import io.torgate.wire.Icmp;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.Udp;
import java.nio.ByteBuffer;

/** Builds well-formed test packets (correct checksums) that tests then corrupt on purpose. */
public final class Packets {
    private Packets() {
    }

    public static int ip(String dotted) {
        return Cidr.parseAddress(dotted);
    }

    /** A TCP segment with the given flags and payload. */
    public static byte[] tcp(String src, int srcPort, String dst, int dstPort, int flags, int seq, int ack,
                             byte[] payload) {
        int len = 20 + 20 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(len);
        Tcp t = new Tcp().wrap(b, 20, 20 + payload.length);
        t.writeHeader(srcPort, dstPort, seq, ack, flags, 65535, null, payload.length);
        b.put(40, payload);
        t.fillChecksum(ip(src), ip(dst));
        Ipv4.writeHeader(b, 0, Ipv4.PROTO_TCP, ip(src), ip(dst), 20 + payload.length, 64);
        return b.array();
    }

    /** A SYN. */
    public static byte[] syn(String src, int srcPort, String dst, int dstPort) {
        return tcp(src, srcPort, dst, dstPort, Tcp.SYN, 1000, 0, new byte[0]);
    }

    /** A UDP datagram. */
    public static byte[] udp(String src, int srcPort, String dst, int dstPort, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(28 + payload.length);
        Udp.writeHeader(b, 20, srcPort, dstPort, payload.length);
        b.put(28, payload);
        new Udp().wrap(b, 20, 8 + payload.length).fillChecksum(ip(src), ip(dst));
        Ipv4.writeHeader(b, 0, Ipv4.PROTO_UDP, ip(src), ip(dst), 8 + payload.length, 64);
        return b.array();
    }

    /** An ICMP echo request. */
    public static byte[] ping(String src, String dst) {
        ByteBuffer b = ByteBuffer.allocate(20 + 16);
        Icmp icmp = new Icmp().wrap(b, 20, 16);
        icmp.type(Icmp.TYPE_ECHO_REQUEST).code(0).identifier(7).sequenceNumber(1).fillChecksum();
        Ipv4.writeHeader(b, 0, Ipv4.PROTO_ICMP, ip(src), ip(dst), 16, 64);
        return b.array();
    }

    /** A minimal IPv6 header (next header = TCP, no payload). */
    public static byte[] ipv6() {
        byte[] p = new byte[40];
        p[0] = 0x60;
        p[6] = 6;
        p[7] = 64;
        return p;
    }

    /** Re-computes the IPv4 header checksum after a test edited the header. */
    public static byte[] refreshIpChecksum(byte[] packet) {
        new Ipv4().wrap(ByteBuffer.wrap(packet), 0, packet.length).fillChecksum();
        return packet;
    }

    /** Inserts IPv4 options (padded to 4 bytes by the caller) after the fixed header, fixing lengths/checksum. */
    public static byte[] withOptions(byte[] packet, byte[] options) {
        byte[] out = new byte[packet.length + options.length];
        System.arraycopy(packet, 0, out, 0, 20);
        System.arraycopy(options, 0, out, 20, options.length);
        System.arraycopy(packet, 20, out, 20 + options.length, packet.length - 20);
        ByteBuffer b = ByteBuffer.wrap(out);
        new Ipv4().wrap(b, 0, out.length).headerLength(20 + options.length).totalLength(out.length).fillChecksum();
        return out;
    }
}
