package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.Udp;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/**
 * Completes the TCP/UDP checksum of a captured packet that was passed or sent, before it is written. With the
 * TUN's checksum offload ({@code [tun] offload}) the kernel hands the gateway, and takes back from it, packets
 * whose transport checksum covers only the pseudo-header (virtio {@code NEEDS_CSUM}); on the wire they carry the
 * full one. Written as they are, Wireshark would flag them and {@code torgate replay} would drop them as
 * {@code bad_*_checksum}, which the gateway never did. So a packet whose checksum does not verify gets the full
 * one, unless it was dropped for a bad checksum ({@link #applies}): received and sent packets (the classifier
 * verified or trusted the checksum; the stack computes or offloads it), drops decided after the checksum check
 * ({@code udp_port}, {@code no_flow}...) and drops decided on the IP header before the transport checksum was
 * looked at (which replay decides the same way again). A TSO/GSO super-segment is summed whole (its IP total
 * length covers all of it), as the kernel's segments would each be; a packet that was cut (a flight-recorder
 * record, or every large capture buffer in use) cannot be summed and stays as it is.
 *
 * <p>Ownership: one thread (the capture's writer, or a dump). Not thread-safe; allocates only when it meets a new
 * byte array to wrap.
 */
final class OffloadChecksums {
    private final Ipv4 ip = new Ipv4();
    private final Tcp tcp = new Tcp();
    private final Udp udp = new Udp();
    private ByteBuffer wrapped;

    /** Whether a packet of this {@link KindTap#kind} may have its checksum completed: all but checksum drops. */
    static boolean applies(int kind) {
        DropReason r = KindTap.reason(kind);
        return r != DropReason.BAD_TCP_CHECKSUM && r != DropReason.BAD_UDP_CHECKSUM && r != DropReason.BAD_IP_CHECKSUM;
    }

    /**
     * Completes the checksum of the packet at {@code bytes[offset, offset + length)} if it is a whole, unfragmented
     * IPv4 TCP or UDP packet whose checksum does not verify.
     *
     * @param originalLength the packet's length before the snap length cut it
     * @return true when the checksum was rewritten
     */
    boolean complete(byte[] bytes, int offset, int length, int originalLength) {
        if (length != originalLength || length < Ipv4.MIN_HEADER_LENGTH || (bytes[offset] & 0xF0) != 0x40) {
            return false;
        }
        if (wrapped == null || wrapped.array() != bytes) {
            wrapped = ByteBuffer.wrap(bytes);
        }
        if (ip.wrap(wrapped, offset, length).checkLength() != WireError.OK || ip.moreFragments()
            || ip.fragmentOffset() != 0 || ip.totalLength() != length) {
            return false;
        }
        int at = offset + ip.headerLength();
        int segment = length - ip.headerLength();
        int src = ip.sourceAddress();
        int dst = ip.destinationAddress();
        if (ip.protocol() == Ipv4.PROTO_TCP && segment >= 20) {
            if (tcp.wrap(wrapped, at, segment).verifyChecksum(src, dst)) {
                return false;
            }
            tcp.fillChecksum(src, dst);
            return true;
        }
        if (ip.protocol() == Ipv4.PROTO_UDP && segment >= 8 && udp.wrap(wrapped, at, segment).checkLength()
            == WireError.OK && udp.udpLength() == segment && !udp.verifyChecksum(src, dst)) {
            udp.fillChecksum(src, dst);
            return true;
        }
        return false;
    }
}
