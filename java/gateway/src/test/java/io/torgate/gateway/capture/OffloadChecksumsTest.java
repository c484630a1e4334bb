package io.torgate.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.testing.Packets;
import io.torgate.wire.Tcp;
import io.torgate.wire.Udp;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packets with an offloaded (pseudo-header only) checksum, as the TUN passes them with {@code [tun] offload}, are
 * written with the full checksum, except those dropped for a bad checksum, which are written as they came.
 */
class OffloadChecksumsTest {
    private static final String CLIENT = "10.99.0.2";
    private static final String SERVER = "10.99.0.1";

    @TempDir
    Path dir;

    /** A TCP data segment whose checksum is the partial one a NEEDS_CSUM frame carries. */
    private static byte[] partialTcp() {
        byte[] p = Packets.tcp(CLIENT, 40000, SERVER, 80, Tcp.ACK | Tcp.PSH, 1, 1, "hello".getBytes());
        new Tcp().wrap(ByteBuffer.wrap(p), 20, p.length - 20).fillPartialChecksum(Packets.ip(CLIENT),
            Packets.ip(SERVER));
        return p;
    }

    private static boolean tcpVerifies(byte[] p) {
        return new Tcp().wrap(ByteBuffer.wrap(p), 20, p.length - 20).verifyChecksum(Packets.ip(CLIENT),
            Packets.ip(SERVER));
    }

    @Test
    void completesPartialTcpAndUdpAndLeavesGoodOnesAlone() {
        OffloadChecksums c = new OffloadChecksums();
        byte[] whole = Packets.tcp(CLIENT, 40000, SERVER, 80, Tcp.ACK | Tcp.PSH, 1, 1, "hello".getBytes());
        byte[] partial = partialTcp();
        assertFalse(tcpVerifies(partial));
        byte[] framed = new byte[partial.length + 7];
        System.arraycopy(partial, 0, framed, 7, partial.length);
        assertTrue(c.complete(framed, 7, partial.length, partial.length));
        assertArrayEquals(whole, java.util.Arrays.copyOfRange(framed, 7, framed.length));
        assertFalse(c.complete(whole, 0, whole.length, whole.length), "a good checksum is not touched");

        byte[] udp = Packets.udp(CLIENT, 5000, SERVER, 53, new byte[12]);
        byte[] good = udp.clone();
        udp[26] ^= 0x55;
        assertTrue(c.complete(udp, 0, udp.length, udp.length));
        assertTrue(new Udp().wrap(ByteBuffer.wrap(udp), 20, udp.length - 20).verifyChecksum(Packets.ip(CLIENT),
            Packets.ip(SERVER)));
        assertArrayEquals(good, udp);

        byte[] cut = partialTcp();
        assertFalse(c.complete(cut, 0, cut.length, cut.length + 1000), "a packet cut by the snap length stays");
        assertFalse(tcpVerifies(cut));
    }

    @Test
    void aCaptureWritesPacketsWholeButChecksumDropsAsTheyCame() throws Exception {
        byte[] partial = partialTcp();
        try (PcapCapture cap = new PcapCapture(CaptureOptions.defaults(dir, "off", CaptureFilter.ALL))) {
            cap.received(ByteBuffer.wrap(partial), 0, partial.length);
            cap.dropped(ByteBuffer.wrap(partial), 0, partial.length, DropReason.BAD_TCP_CHECKSUM);
            cap.dropped(ByteBuffer.wrap(partial), 0, partial.length, DropReason.NO_FLOW);
        }
        List<Boolean> verified = new ArrayList<>();
        try (PcapReader r = PcapReader.open(PcapCaptureTest.files(dir, "off").get(0))) {
            while (r.next()) {
                byte[] b = new byte[r.ipLength()];
                r.buffer().get(r.ipOffset(), b);
                verified.add(tcpVerifies(b));
            }
        }
        assertEquals(List.of(true, false, true), verified, "a checksum drop stays as it came, a no_flow is whole");
        assertEquals(List.of("40000\t", "40000\tdropped: bad_tcp_checksum", "40000\tdropped: no_flow"),
            Tshark.fields(PcapCaptureTest.files(dir, "off").get(0), "tcp.srcport", "frame.comment"));
    }

    @Test
    void aDumpWritesSentPacketsWhole() throws Exception {
        FlightRecorder recorder = new FlightRecorder(2, 4, 2048);
        byte[] partial = Packets.tcp(SERVER, 80, CLIENT, 40000, Tcp.ACK, 1, 1, "data".getBytes());
        new Tcp().wrap(ByteBuffer.wrap(partial), 20, partial.length - 20).fillPartialChecksum(Packets.ip(SERVER),
            Packets.ip(CLIENT));
        recorder.sent(ByteBuffer.wrap(partial), 0, partial.length);
        Path dump = dir.resolve("d.pcapng");
        assertEquals(1, recorder.dump(Packets.ip(CLIENT), dump));
        try (PcapReader r = PcapReader.open(dump)) {
            assertTrue(r.next());
            assertTrue(new Tcp().wrap(r.buffer(), r.ipOffset() + 20, r.ipLength() - 20).verifyChecksum(
                Packets.ip(SERVER), Packets.ip(CLIENT)));
        }
    }
}
