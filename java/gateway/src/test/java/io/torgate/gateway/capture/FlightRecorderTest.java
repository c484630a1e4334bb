package io.torgate.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.testing.Packets;
import io.torgate.wire.Tcp;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlightRecorderTest {
    @TempDir
    Path dir;

    static void tcp(CaptureTap tap, String src, int seq, boolean sent) {
        byte[] p = sent ? Packets.tcp("10.99.0.1", 80, src, 40000, Tcp.ACK, seq, 0, new byte[0])
            : Packets.tcp(src, 40000, "10.99.0.1", 80, Tcp.ACK, seq, 0, new byte[0]);
        if (sent) {
            tap.sent(ByteBuffer.wrap(p), 0, p.length);
        } else {
            tap.received(ByteBuffer.wrap(p), 0, p.length);
        }
    }

    @Test
    void dumpHoldsTheLastPacketsOfOneClientOldestFirst() throws Exception {
        FlightRecorder r = new FlightRecorder(8, 5, 256);
        for (int i = 0; i < 20; i++) {
            tcp(r, "10.99.0.2", i, i % 2 == 1); // both directions count for the client
            tcp(r, "10.99.0.3", 1000 + i, false);
        }
        byte[] udp = Packets.udp("10.99.0.2", 40001, "10.99.0.1", 123, new byte[8]);
        r.dropped(ByteBuffer.wrap(udp), 0, udp.length, DropReason.UDP_PORT);
        Path out = dir.resolve("c2.pcapng");
        assertEquals(5, r.dump(Cidr.parseAddress("10.99.0.2"), out));
        List<String> lines = Tshark.fields(out, "tcp.seq_raw", "frame.comment", "frame.packet_flags_direction");
        assertEquals(List.of("16\t\t0x00000001", "17\t\t0x00000002", "18\t\t0x00000001", "19\t\t0x00000002",
            "\tdropped: udp_port\t0x00000001"), lines);
    }

    @Test
    void clientsBeyondTheCapAreCountedNotKept() throws Exception {
        FlightRecorder r = new FlightRecorder(2, 4, 128);
        tcp(r, "10.99.0.2", 1, false);
        tcp(r, "10.99.0.3", 1, false);
        tcp(r, "10.99.0.4", 1, false);
        tcp(r, "10.99.0.4", 2, false);
        assertEquals(2, r.unrecorded());
        int[] clients = r.clients();
        java.util.Arrays.sort(clients);
        assertArrayEquals(new int[] {Cidr.parseAddress("10.99.0.2"), Cidr.parseAddress("10.99.0.3")}, clients);
        Path out = dir.resolve("none.pcapng");
        assertEquals(0, r.dump(Cidr.parseAddress("10.99.0.4"), out));
        assertEquals(List.of(), Tshark.fields(out, "frame.number"));
    }

    @Test
    void concurrentRecordingKeepsEveryClientsNewestPackets() throws Exception {
        FlightRecorder r = new FlightRecorder(64, 16, 128);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String client = "10.99.1." + (t + 1);
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 5000; i++) {
                    tcp(r, client, i, false);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        for (int t = 0; t < 4; t++) {
            Path out = dir.resolve("c" + t + ".pcapng");
            assertEquals(16, r.dump(Cidr.parseAddress("10.99.1." + (t + 1)), out));
            List<String> seqs = Tshark.fields(out, "tcp.seq_raw");
            assertEquals("4984", seqs.get(0));
            assertEquals("4999", seqs.get(15));
        }
    }

    @Test
    void switchForwardsOnlyWhileAttached() {
        CaptureSwitch sw = new CaptureSwitch();
        FlightRecorder r = new FlightRecorder(4, 4, 128);
        tcp(sw, "10.99.0.2", 1, false);
        assertNull(sw.target());
        sw.attach(new TeeTap(r, CaptureTap.NONE));
        tcp(sw, "10.99.0.2", 2, false);
        assertSame(TeeTap.class, sw.detach().getClass());
        tcp(sw, "10.99.0.2", 3, false);
        assertEquals(1, r.clients().length);
    }
}
