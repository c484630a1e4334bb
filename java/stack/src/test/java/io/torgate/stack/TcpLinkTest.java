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
    void sharedChunkPoolShorterThanTheWindowsStillDeliversEverything() {
        // 1 KiB chunks shared by both ends as a shard's flows share them; the budget (40 chunks) holds both send
        // buffers (16 each) but leaves the receivers only 8 chunks for 32 KiB of window: segments get dropped
        // unacknowledged for want of memory and are retransmitted, and nothing acknowledged is lost.
        ChunkPool pool = new ChunkPool(1024, new BufferBudget(40 * 1024), 8);
        TcpConfig cfg = new TcpConfig().receiveBuffer(16 * 1024).sendBuffer(16 * 1024);
        byte[] a = data(300_000, 12);
        byte[] b = data(200_000, 13);
        TcpLink link = new TcpLink(cfg, new TcpLink.Path(2, 2, 10, 12), a, b, 1_000_000_000L, pool);
        assertTrue(link.run(2_000_000), "transfer did not finish");
        assertArrayEquals(a, link.receivedByServer());
        assertArrayEquals(b, link.receivedByClient());
        assertTrue(pool.refused() > 0, "memory really was short");
        assertEquals(pool.refused(), pool.budget().refusals());
        assertEquals(link.client.rcv.buffer.shortOfMemory() + link.server.rcv.buffer.shortOfMemory(),
            link.counters.get(TcpCounters.RCV_NO_MEMORY), "each drop for want of memory is counted");
        assertTrue(link.counters.get(TcpCounters.RCV_NO_MEMORY) > 0);
        assertEquals(0, link.client.chunksHeld() + link.server.chunksHeld(), "finished connections hold nothing");
        assertEquals(0, pool.lent());
        assertEquals(0, pool.budget().used(), "no chunk leaked from the budget");
    }

    @Test
    void abortedConnectionsGiveTheirChunksBack() {
        ChunkPool pool = new ChunkPool(1024, new BufferBudget(1 << 20), 64);
        byte[] a = data(500_000, 14);
        TcpLink link = new TcpLink(new TcpConfig(), new TcpLink.Path(0, 0, 0, 15, 0), a, new byte[0],
            1_000_000_000L, pool);
        link.run(2_000); // the server never reads: data piles up in its receive buffer and the client's send buffer
        assertTrue(link.client.chunksHeld() > 0 && link.server.chunksHeld() > 0, "both hold data mid-transfer");
        link.client.abort();
        link.server.abort();
        link.client.releaseBuffers();
        link.server.releaseBuffers();
        assertEquals(0, pool.lent(), "abort plus retirement returns every chunk");
        long made = pool.made();
        link.client.open(TcpLink.CLIENT, 40001, TcpLink.SERVER, 80);
        link.client.write(java.nio.ByteBuffer.wrap(a, 0, 10_000));
        assertEquals(made, pool.made(), "the next life reuses the pooled chunks");
    }

    @Test
    void handshakeSurvivesLosingSynAndSynAck() {
        TcpLink link = new TcpLink(new TcpConfig(), new TcpLink.Path(50, 0, 0, 11), data(100, 3), data(100, 4));
        assertTrue(link.run(100_000));
        assertEquals(100, link.receivedByServer().length);
    }
}
