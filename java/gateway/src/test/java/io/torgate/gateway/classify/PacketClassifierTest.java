package io.torgate.gateway.classify;

import static io.torgate.gateway.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.testing.Packets;
import io.torgate.wire.Tcp;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PacketClassifierTest {
    private static final String CLIENT = "10.137.0.5";
    private static final String REMOTE = "93.184.216.34";
    private static final String GATEWAY = "10.139.1.1";

    private final PacketClassifier classifier = classifier(DropPolicy.dropAll());
    private final PacketInfo info = new PacketInfo();

    private static PacketClassifier classifier(DropPolicy policy) {
        return new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")), List.of(ip(GATEWAY), ip("10.139.1.2")),
            List.of(9050), policy);
    }

    /** Classifies from an offset inside a bigger buffer, as the ring's slots are. */
    private int classify(PacketClassifier c, byte[] packet) {
        ByteBuffer slots = ByteBuffer.allocateDirect(4096);
        slots.put(100, packet);
        return c.classify(slots, 100, packet.length, info);
    }

    private void assertDropped(byte[] packet, DropReason reason) {
        long before = classifier.counters().get(reason);
        assertEquals(PacketInfo.DROP, classify(classifier, packet), reason.label());
        assertEquals(reason, info.reason);
        assertEquals(before + 1, classifier.counters().get(reason));
        assertEquals(classifier.counters().total(), before + 1 + otherDrops(reason));
    }

    private long otherDrops(DropReason reason) {
        return classifier.counters().total() - classifier.counters().get(reason);
    }

    @Test
    void acceptsTcpToRemoteWithSymmetricHash() {
        assertEquals(PacketInfo.TCP, classify(classifier, Packets.syn(CLIENT, 40000, REMOTE, 443)));
        assertNull(info.reason);
        assertEquals(ip(CLIENT), info.sourceAddress);
        assertEquals(443, info.destinationPort);
        assertEquals(100 + 20, info.transportOffset);
        assertEquals(PacketInfo.flowHash(ip(REMOTE), 443, ip(CLIENT), 40000), info.flowHash);
        assertEquals(0, classifier.counters().total());
    }

    @Test
    void acceptsServedGatewayPortAndPaddingOptions() {
        assertEquals(PacketInfo.TCP, classify(classifier, Packets.syn(CLIENT, 40000, GATEWAY, 9050)));
        byte[] padded = Packets.withOptions(Packets.syn(CLIENT, 1, REMOTE, 80), new byte[] {1, 1, 1, 0});
        assertEquals(PacketInfo.TCP, classify(classifier, padded));
    }

    @Test
    void dropsEveryClass() {
        assertDropped(Packets.ipv6(), DropReason.IPV6);
        assertDropped(Packets.ping(CLIENT, REMOTE), DropReason.ICMP);
        assertDropped(Packets.udp(CLIENT, 5000, REMOTE, 123, new byte[48]), DropReason.UDP_PORT);
        assertDropped(Packets.udp(CLIENT, 5000, REMOTE, 443, new byte[10]), DropReason.UDP_PORT);
        assertDropped(Packets.udp(CLIENT, 5000, GATEWAY, 53, new byte[12]), DropReason.DNS_UNSERVED);
        assertDropped(Packets.udp(CLIENT, 5000, GATEWAY, 67, new byte[12]), DropReason.TO_GATEWAY);
        assertDropped(Packets.syn(CLIENT, 5000, GATEWAY, 22), DropReason.TO_GATEWAY);
        assertDropped(Packets.syn("10.1.2.3", 5000, REMOTE, 80), DropReason.SPOOFED_SOURCE);
        assertDropped(Packets.udp(CLIENT, 5000, "224.0.0.251", 53, new byte[12]), DropReason.BROADCAST_MULTICAST);
        assertDropped(Packets.syn(CLIENT, 5000, "255.255.255.255", 80), DropReason.BROADCAST_MULTICAST);
        assertDropped(Packets.syn(CLIENT, 5000, "127.0.0.1", 80), DropReason.BROADCAST_MULTICAST);
    }

    @Test
    void dropsFragmentsFirstAndLater() {
        byte[] first = Packets.udp(CLIENT, 5000, REMOTE, 53, new byte[16]);
        first[6] = 0x20; // MF
        assertDropped(Packets.refreshIpChecksum(first), DropReason.FRAGMENT);
        byte[] later = Packets.tcp(CLIENT, 5000, REMOTE, 80, Tcp.ACK, 1, 1, new byte[8]);
        later[6] = 0;
        later[7] = 0x10; // offset 128 bytes
        assertDropped(Packets.refreshIpChecksum(later), DropReason.FRAGMENT);
    }

    @Test
    void dropsUnderstoodButUnservedOptionsAndMalformedOptions() {
        byte[] recordRoute = {7, 7, 4, 0, 0, 0, 0, 0};
        assertDropped(Packets.withOptions(Packets.syn(CLIENT, 1, REMOTE, 80), recordRoute), DropReason.IP_OPTIONS);
        byte[] overrun = {(byte) 0x83, 9, 4, 0};
        assertDropped(Packets.withOptions(Packets.syn(CLIENT, 1, REMOTE, 80), overrun), DropReason.MALFORMED);
    }

    @Test
    void dropsBadChecksums() {
        byte[] badIp = Packets.syn(CLIENT, 1, REMOTE, 80);
        badIp[10] ^= 0x5A;
        assertDropped(badIp, DropReason.BAD_IP_CHECKSUM);
        byte[] badTcp = Packets.tcp(CLIENT, 1, REMOTE, 80, Tcp.ACK | Tcp.PSH, 5, 6, "hello".getBytes());
        badTcp[badTcp.length - 1] ^= 1;
        assertDropped(badTcp, DropReason.BAD_TCP_CHECKSUM);
        byte[] badUdp = Packets.udp(CLIENT, 1, REMOTE, 53, "query".getBytes());
        badUdp[badUdp.length - 1] ^= 1;
        assertDropped(badUdp, DropReason.BAD_UDP_CHECKSUM);
        byte[] noUdpChecksum = Packets.udp(CLIENT, 1, REMOTE, 53, "query".getBytes());
        noUdpChecksum[26] = 0;
        noUdpChecksum[27] = 0;
        assertDropped(noUdpChecksum, DropReason.DNS_UNSERVED);
    }

    @Test
    void dropsMalformed() {
        assertDropped(new byte[0], DropReason.MALFORMED);
        assertDropped(new byte[] {0x45, 0, 0}, DropReason.MALFORMED);
        byte[] version5 = Packets.syn(CLIENT, 1, REMOTE, 80);
        version5[0] = 0x55;
        assertDropped(version5, DropReason.MALFORMED);
        byte[] longTotal = Packets.syn(CLIENT, 1, REMOTE, 80);
        longTotal[3] = (byte) 200;
        assertDropped(Packets.refreshIpChecksum(longTotal), DropReason.MALFORMED);
        byte[] shortTcp = Packets.syn(CLIENT, 1, REMOTE, 80);
        shortTcp[32] = 0x30; // data offset 3 words
        assertDropped(shortTcp, DropReason.MALFORMED);
        byte[] zeroPort = Packets.syn(CLIENT, 0, REMOTE, 80);
        assertDropped(zeroPort, DropReason.MALFORMED);
        byte[] gre = Packets.syn(CLIENT, 1, REMOTE, 80);
        gre[9] = 47;
        assertDropped(Packets.refreshIpChecksum(gre), DropReason.PROTOCOL);
    }

    @Test
    void dnsGoesToTheServiceWhenOneIsConfigured() {
        PacketClassifier served = new PacketClassifier(List.of(Cidr.parse("10.137.0.0/16")), List.of(ip(GATEWAY)),
            List.of(), DropPolicy.dropAll(), true);
        assertEquals(PacketInfo.DNS_UDP, classify(served, Packets.udp(CLIENT, 5353, GATEWAY, 53, new byte[29])));
        assertEquals(8 + 29, info.transportLength);
        assertEquals(PacketInfo.DNS_UDP, classify(served, Packets.udp(CLIENT, 5353, "8.8.8.8", 53, new byte[12])));
        assertEquals(PacketInfo.DROP, classify(served, Packets.udp(CLIENT, 5353, "8.8.8.8", 853, new byte[12])));
        assertEquals(PacketInfo.TCP, classify(served, Packets.syn(CLIENT, 5353, GATEWAY, 53)), "DNS over TCP");
        assertEquals(0, served.counters().get(DropReason.DNS_UNSERVED));
        assertEquals(PacketInfo.DROP, classify(classifier, Packets.syn(CLIENT, 5353, GATEWAY, 53)));
        assertEquals(DropReason.DNS_UNSERVED, info.reason);
    }

    @Test
    void rejectModeMarksOnlyRejectableClassesAndUnicastTransport() {
        PacketClassifier rejecting = classifier(DropPolicy.of(Map.of(DropReason.UDP_PORT, DropPolicy.Action.REJECT,
            DropReason.TO_GATEWAY, DropPolicy.Action.REJECT)));
        assertEquals(PacketInfo.REJECT, classify(rejecting, Packets.udp(CLIENT, 5000, REMOTE, 123, new byte[4])));
        assertEquals(DropReason.UDP_PORT, info.reason);
        assertEquals(PacketInfo.flowHash(ip(CLIENT), 5000, ip(REMOTE), 123), info.flowHash);
        assertEquals(PacketInfo.REJECT, classify(rejecting, Packets.syn(CLIENT, 5000, GATEWAY, 22)));
        assertEquals(PacketInfo.DROP, classify(rejecting, Packets.ping(CLIENT, REMOTE)));
        assertEquals(PacketInfo.DROP, classify(rejecting, Packets.udp("10.9.9.9", 1, REMOTE, 123, new byte[4])));
        assertEquals(2, rejecting.counters().get(DropReason.UDP_PORT) + rejecting.counters().get(DropReason.ICMP));
    }
}
