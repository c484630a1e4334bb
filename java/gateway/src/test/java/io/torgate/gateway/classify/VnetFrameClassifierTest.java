package io.torgate.gateway.classify;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.testing.Packets;
import io.torgate.wire.Tcp;
import io.torgate.wire.VirtioNetHeader;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PacketClassifier#classifyFrame}: the virtio-net header's checksum and segmentation claims. */
class VnetFrameClassifierTest {
    private static final String CLIENT = "10.137.0.5";
    private static final String REMOTE = "93.184.216.34";
    private static final int AT = 128;

    private final PacketClassifier classifier = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")),
        List.of(ip("10.139.1.1")), List.of(), DropPolicy.dropAll(), true);
    private final PacketInfo info = new PacketInfo();

    /** A 20 KiB TCP super-segment whose checksum field holds garbage (as good as a partial sum for the test). */
    private static byte[] bigSegmentWithBrokenChecksum() {
        byte[] p = Packets.tcp(CLIENT, 40000, REMOTE, 443, Tcp.ACK | Tcp.PSH, 5000, 77, new byte[20_000]);
        p[20 + 16] ^= 0x5A;
        return p;
    }

    private int classify(byte[] packet, int flags, int gsoType, int csumStart, int csumOffset) {
        ByteBuffer buf = ByteBuffer.allocateDirect(AT + VirtioNetHeader.LENGTH + packet.length);
        VirtioNetHeader.write(buf, AT, flags, gsoType, 52, 1448, csumStart, csumOffset);
        buf.put(AT + VirtioNetHeader.LENGTH, packet);
        return classifier.classifyFrame(buf, AT, VirtioNetHeader.LENGTH + packet.length, VirtioNetHeader.LENGTH, info);
    }

    @Test
    void trustsAPartialChecksumTheKernelFlagged() {
        int verdict = classify(bigSegmentWithBrokenChecksum(), VirtioNetHeader.F_NEEDS_CSUM,
            VirtioNetHeader.GSO_TCPV4, 20, 16);
        assertEquals(PacketInfo.TCP, verdict, String.valueOf(info.reason));
        assertEquals(AT + VirtioNetHeader.LENGTH, info.ipOffset, "offsets point past the header");
        assertEquals(AT + VirtioNetHeader.LENGTH + 20, info.transportOffset);
        assertEquals(20 + 20 + 20_000, info.ipLength);
        assertEquals(1, classifier.superSegments());
    }

    @Test
    void trustsDataValid() {
        assertEquals(PacketInfo.TCP, classify(bigSegmentWithBrokenChecksum(), VirtioNetHeader.F_DATA_VALID,
            VirtioNetHeader.GSO_NONE, 0, 0));
    }

    @Test
    void verifiesWithoutAFlag() {
        assertEquals(PacketInfo.DROP, classify(bigSegmentWithBrokenChecksum(), 0, VirtioNetHeader.GSO_NONE, 0, 0));
        assertEquals(DropReason.BAD_TCP_CHECKSUM, info.reason);
        byte[] good = Packets.tcp(CLIENT, 40000, REMOTE, 443, Tcp.ACK, 5000, 77, new byte[100]);
        assertEquals(PacketInfo.TCP, classify(good, 0, VirtioNetHeader.GSO_NONE, 0, 0), "a complete checksum");
    }

    @Test
    void refusesAPartialChecksumOutOfPlace() {
        assertEquals(PacketInfo.DROP, classify(bigSegmentWithBrokenChecksum(), VirtioNetHeader.F_NEEDS_CSUM,
            VirtioNetHeader.GSO_TCPV4, 24, 16));
        assertEquals(DropReason.MALFORMED, info.reason, "csum_start must be the TCP header");
        assertEquals(PacketInfo.DROP, classify(bigSegmentWithBrokenChecksum(), VirtioNetHeader.F_NEEDS_CSUM,
            VirtioNetHeader.GSO_NONE, 20, 6));
        assertEquals(DropReason.MALFORMED, info.reason, "csum_offset must be the TCP checksum field");
    }

    @Test
    void refusesSegmentationOtherThanTcpV4() {
        byte[] udp = Packets.udp(CLIENT, 5000, REMOTE, 53, new byte[40]);
        assertEquals(PacketInfo.DROP, classify(udp, 0, VirtioNetHeader.GSO_TCPV4, 0, 0));
        assertEquals(DropReason.MALFORMED, info.reason, "a TCP super-segment header on UDP");
        assertEquals(PacketInfo.DROP, classify(bigSegmentWithBrokenChecksum(), VirtioNetHeader.F_NEEDS_CSUM, 3, 20,
            16));
        assertEquals(DropReason.MALFORMED, info.reason, "GSO_UDP was never enabled");
        assertEquals(PacketInfo.DROP, classify(bigSegmentWithBrokenChecksum(), VirtioNetHeader.F_NEEDS_CSUM,
            VirtioNetHeader.GSO_TCPV4 | VirtioNetHeader.GSO_ECN, 20, 16));
        assertEquals(DropReason.MALFORMED, info.reason, "TSO_ECN was never enabled");
    }

    @Test
    void udpWithAPartialChecksumAtItsFieldIsServed() {
        byte[] dns = Packets.udp(CLIENT, 5000, REMOTE, 53, new byte[40]);
        dns[20 + 6] ^= 0x11;
        assertEquals(PacketInfo.DNS_UDP, classify(dns, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 20, 6));
        assertEquals(PacketInfo.DROP, classify(dns, 0, VirtioNetHeader.GSO_NONE, 0, 0));
        assertEquals(DropReason.BAD_UDP_CHECKSUM, info.reason);
    }

    @Test
    void refusesAFrameShorterThanItsHeader() {
        ByteBuffer buf = ByteBuffer.allocate(64);
        assertEquals(PacketInfo.DROP, classifier.classifyFrame(buf, 0, 6, VirtioNetHeader.LENGTH, info));
        assertEquals(DropReason.MALFORMED, info.reason);
    }
}
