package io.torgate.gateway.testing;

import io.torgate.gateway.pipeline.WorkerContext;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An in-memory TUN: tests inject packets as if from clients and collect what the gateway writes back. */
public final class FakeTun implements TunDevice {
    private final LinkedBlockingQueue<byte[]> inbound = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<byte[]> outbound = new LinkedBlockingQueue<>();
    private final int mtu;
    private volatile boolean closed;
    private volatile java.io.IOException readError;

    public FakeTun(int mtu) {
        this.mtu = mtu;
    }

    /** Packets injected while {@link #hold} is on, readable only after {@link #release}. */
    private final List<byte[]> held = new ArrayList<>();
    private boolean holding;

    /**
     * Set by {@link #wakeSelector}: readable exactly while packets are pending (or reads fail), as a real TUN fd
     * in a worker's epoll set is (level-triggered). Its key is selected with a no-op attachment.
     */
    private Pipe readiness;

    /** Queues a packet for the gateway to read. */
    public synchronized void inject(byte[] packet) {
        (holding ? held : inbound).add(packet.clone());
        signalReadable();
    }

    /** Makes {@link #readiness} readable (one byte) when it is not; under the lock. */
    private void signalReadable() {
        if (readiness == null || (inbound.isEmpty() && readError == null)) {
            return;
        }
        try {
            readiness.sink().write(ByteBuffer.wrap(new byte[] {1})); // non-blocking: a full pipe is readable anyway
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The fake's stand-in for the real TUN fd in the selector's epoll set (NativeTunTest checks the real one): a
     * pipe whose key the worker's loop dispatches to a no-op.
     */
    @Override
    public synchronized boolean wakeSelector(Selector selector) throws IOException {
        readiness = Pipe.open();
        readiness.source().configureBlocking(false);
        readiness.sink().configureBlocking(false);
        readiness.source().register(selector, SelectionKey.OP_READ, (WorkerContext.Ready) (key, now) -> { });
        signalReadable();
        return true;
    }

    /** From now on injected packets wait, unseen by the gateway, until {@link #release}. */
    public synchronized void hold() {
        holding = true;
    }

    /** Makes the held packets readable at once: the gateway's next read takes them all, as one batch. */
    public synchronized void release() {
        holding = false;
        inbound.addAll(held);
        held.clear();
        signalReadable();
    }

    /** Next packet the gateway wrote, or null after the timeout. */
    public byte[] nextWritten(long timeoutMillis) throws InterruptedException {
        return outbound.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Everything written so far (drains). */
    public List<byte[]> drainWritten() {
        List<byte[]> out = new ArrayList<>();
        outbound.drainTo(out);
        return out;
    }

    /** From now on every read throws {@code e}, as a real TUN's read does once the device is deleted (EBADFD). */
    public synchronized void failReads(java.io.IOException e) {
        readError = e;
        signalReadable();
    }

    /** True once every injected packet was read. */
    public boolean inboundEmpty() {
        return inbound.isEmpty();
    }

    @Override
    public String name() {
        return "fake0";
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public int vnetHeaderLength() {
        return 0;
    }

    @Override
    public boolean isNative() {
        return false;
    }

    @Override
    public synchronized int read(PacketBatch batch, int firstSlot, int maxCount) throws java.io.IOException {
        if (readError != null) {
            throw readError;
        }
        int n = 0;
        ByteBuffer buf = batch.buffer();
        while (n < maxCount) {
            byte[] p = inbound.poll();
            if (p == null) {
                break;
            }
            buf.put(batch.slotOffset(firstSlot + n), p);
            batch.setLength(firstSlot + n, p.length);
            n++;
        }
        if (readiness != null && inbound.isEmpty()) {
            ByteBuffer drain = ByteBuffer.allocate(64);
            while (readiness.source().read(drain.clear()) > 0) {
                // no packet pending: the stand-in fd stops being readable
            }
        }
        return n;
    }

    @Override
    public int write(PacketBatch batch, int firstSlot, int count) {
        for (int i = firstSlot; i < firstSlot + count; i++) {
            byte[] p = new byte[batch.length(i)];
            batch.buffer().get(batch.slotOffset(i), p);
            outbound.add(p);
        }
        return count;
    }

    @Override
    public boolean await(int timeoutMillis) throws java.io.IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!closed && inbound.isEmpty() && readError == null && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return !closed && (!inbound.isEmpty() || readError != null);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (readiness != null) {
            try {
                readiness.source().close(); // as a closed fd leaves the epoll set
                readiness.sink().close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
