package io.torgate.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.testing.Packets;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class CaptureFilterTest {
    static boolean matches(CaptureFilter f, byte[] p, int direction, DropReason reason) {
        return f.matches(ByteBuffer.wrap(p), 0, p.length, direction, reason);
    }

    @Test
    void parsesEveryWord() {
        CaptureFilter f = CaptureFilter.parse("client=10.0.0.2 flow=*:*-1.2.3.4:443 dir=sent,dropped reason=ipv6");
        assertEquals(new CaptureFilter(0, 0, Cidr.parseAddress("1.2.3.4"),
            443, (1 << CaptureTap.SENT) | (1 << CaptureTap.DROPPED), 1L << DropReason.IPV6.ordinal()), f);
        assertThrows(IllegalArgumentException.class, () -> CaptureFilter.parse("colour=red"));
        assertThrows(IllegalArgumentException.class, () -> CaptureFilter.parse("reason=nope"));
        assertThrows(IllegalArgumentException.class, () -> CaptureFilter.parse("flow=1.2.3.4"));
    }

    @Test
    void clientIsTheSourceInboundAndTheDestinationOutbound() {
        CaptureFilter f = CaptureFilter.parse("client=10.0.0.2");
        byte[] up = Packets.syn("10.0.0.2", 4000, "1.2.3.4", 80);
        byte[] down = Packets.syn("1.2.3.4", 80, "10.0.0.2", 4000);
        assertTrue(matches(f, up, CaptureTap.RECEIVED, null));
        assertTrue(matches(f, down, CaptureTap.SENT, null));
        assertFalse(matches(f, down, CaptureTap.RECEIVED, null));
        assertFalse(matches(f, Packets.ipv6(), CaptureTap.DROPPED, DropReason.IPV6));
        assertTrue(matches(CaptureFilter.ALL, Packets.ipv6(), CaptureTap.DROPPED, DropReason.IPV6));
    }

    @Test
    void flowPortsMatchBothDirections() {
        CaptureFilter f = CaptureFilter.parse("flow=10.0.0.2:4000-1.2.3.4:80");
        assertTrue(matches(f, Packets.syn("10.0.0.2", 4000, "1.2.3.4", 80), CaptureTap.RECEIVED, null));
        assertTrue(matches(f, Packets.syn("1.2.3.4", 80, "10.0.0.2", 4000), CaptureTap.SENT, null));
        assertFalse(matches(f, Packets.syn("10.0.0.2", 4001, "1.2.3.4", 80), CaptureTap.RECEIVED, null));
        assertFalse(matches(f, Packets.ping("10.0.0.2", "1.2.3.4"), CaptureTap.DROPPED, DropReason.ICMP));
        byte[] truncated = new byte[22];
        System.arraycopy(Packets.syn("10.0.0.2", 4000, "1.2.3.4", 80), 0, truncated, 0, 22);
        assertFalse(matches(f, truncated, CaptureTap.RECEIVED, null));
    }

    @Test
    void reasonsFilterOnlyDrops() {
        CaptureFilter f = CaptureFilter.parse("reason=udp_port");
        byte[] p = Packets.udp("10.0.0.2", 5000, "1.2.3.4", 123, new byte[4]);
        assertTrue(matches(f, p, CaptureTap.DROPPED, DropReason.UDP_PORT));
        assertFalse(matches(f, p, CaptureTap.DROPPED, DropReason.FRAGMENT));
        assertTrue(matches(f, p, CaptureTap.RECEIVED, null));
    }
}
