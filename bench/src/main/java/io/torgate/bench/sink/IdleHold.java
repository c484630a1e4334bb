package io.torgate.bench.sink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link RigLoad}'s {@code idle} mode: opens many streams, proves each one end to end with one request/response,
 * then holds them all open and quiet (the gateway's footprint with N idle streams). Opening runs on
 * {@value #OPENERS} threads so a gateway's SYN-in-flight limit is respected rather than hammered.
 *
 * <p>Thread-safety: each opener owns the channels it opens until they are handed to the synchronized list.
 */
final class IdleHold {
    private static final int OPENERS = 16;

    private final RigLoad load;
    private final List<SocketChannel> open = new ArrayList<>();

    IdleHold(RigLoad load) {
        this.load = load;
    }

    String run() throws InterruptedException {
        int n = load.conns();
        AtomicInteger next = new AtomicInteger();
        List<Thread> openers = new ArrayList<>();
        long openDeadline = System.nanoTime() + 60_000_000_000L;
        for (int i = 0; i < Math.min(OPENERS, n); i++) {
            int slot = i;
            openers.add(Thread.ofPlatform().start(() -> {
                ByteBuffer req = ByteBuffer.allocate(RigServer.MESSAGE);
                ByteBuffer resp = ByteBuffer.allocate(RigServer.MESSAGE);
                while (next.getAndIncrement() < n && System.nanoTime() < openDeadline) {
                    try {
                        SocketChannel c = load.open(slot);
                        req.clear();
                        req.put(0, (byte) 'R');
                        Io.writeFully(c, req);
                        Io.readFully(c, resp, RigServer.MESSAGE);
                        synchronized (open) {
                            open.add(c);
                        }
                    } catch (IOException e) {
                        load.errors().incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : openers) {
            t.join();
        }
        int opened;
        synchronized (open) {
            opened = open.size();
        }
        System.out.println("idle: ready open=" + opened + " errors=" + load.errors().get());
        System.out.flush();
        long hold = load.deadline() - System.nanoTime();
        if (hold > 0) {
            Thread.sleep(hold / 1_000_000);
        }
        synchronized (open) {
            open.forEach(Io::closeQuietly);
        }
        return "mode=idle open=" + opened + " errors=" + load.errors().get();
    }
}
