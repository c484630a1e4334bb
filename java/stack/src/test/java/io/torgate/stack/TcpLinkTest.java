package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our stack talking to itself over an impaired path: whole-connection behaviour, byte-exact in both directions. */
class TcpLinkTest {

    private static byte[] data(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void transfer(TcpConfig cfg, TcpLink.Path path, int up, int down) {
        byte[] a = data(up, 1);
        byte[] b = data(down, 2);
        TcpLink link = new TcpLink(cfg, path, a, b);
        assertTrue(link.run(2_000_000), "transfer did not finish");
        assertArrayEquals(a, link.receivedByServer());
        assertArrayEquals(b, link.receivedByClient());
        assertTrue(link.windowChecks > 0);
    }

    @Test
    void cleanPathBothDirections() {
        transfer(new TcpConfig(), new TcpLink.Path(0, 0, 0, 1), 1 << 20, 1 << 20);
    }

    @Test
    void lossyReorderingDuplicatingPath() {
        transfer(new TcpConfig(), new TcpLink.Path(5, 5, 25, 2), 1 << 20, 256 << 10);
    }

    @Test
    void heavyLossWithoutSackOrTimestamps() {
        transfer(new TcpConfig().sack(false).timestamps(false), new TcpLink.Path(10, 0, 10, 3), 200_000, 50_000);
    }

    @Test
    void smallBuffersAndMtu() {
        TcpConfig cfg = new TcpConfig().mtu(576).receiveBuffer(2048).sendBuffer(1024);
        transfer(cfg, new TcpLink.Path(3, 3, 20, 4), 100_000, 100_000);
    }

    @Test
    void sequenceNumbersWrapMidStream() {
        // Start the clock where the client's keyed ISN lands 1000 bytes before 2^32, so its stream crosses the wrap.
        IsnGenerator isn = new IsnGenerator(5, 7, 8, 9);
        int base = isn.isn(TcpLink.CLIENT, 40000, TcpLink.SERVER, 80, 0);
        long start = ((0xFFFF_FC18L - base) & 0xFFFF_FFFFL) << 12;
        byte[] a = data(300_000, 5);
        byte[] b = data(300_000, 6);
        TcpLink link = new TcpLink(new TcpConfig(), new TcpLink.Path(3, 3, 20, 5), a, b, start);
        assertEquals(0xFFFF_FC18, isn.isn(TcpLink.CLIENT, 40000, TcpLink.SERVER, 80, start));
        assertTrue(link.run(2_000_000));
        assertArrayEquals(a, link.receivedByServer());
        assertArrayEquals(b, link.receivedByClient());
    }

    @Test
    void handshakeSurvivesLosingSynAndSynAck() {
        TcpLink link = new TcpLink(new TcpConfig(), new TcpLink.Path(50, 0, 0, 11), data(100, 3), data(100, 4));
        assertTrue(link.run(100_000));
        assertEquals(100, link.receivedByServer().length);
    }
}
