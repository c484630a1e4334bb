package io.torgate.gateway.dns;

import io.torgate.gateway.capture.CaptureTap;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;

/**
 * Writes DNS reply packets to the TUN in batches from the DNS agent's own {@link PacketBatch}: the TUN contract
 * allows several writer threads, so answers never pass through a packet worker. A packet the kernel refuses
 * is counted and not retried (the client's resolver retries the query).
 *
 * <p>Ownership: the DNS agent thread. Not thread-safe.
 */
public final class TunReplySink implements DnsReplySink {
    private static final Logger LOG = System.getLogger(TunReplySink.class.getName());

    private final TunDevice tun;
    private final PacketBatch batch;
    private final int vnet;
    private final int maxPacket;
    private final CaptureTap capture;
    private int count;
    private volatile long dropped;

    public TunReplySink(TunDevice tun, int slots) {
        this(tun, slots, CaptureTap.NONE);
    }

    /** As above, reporting each reply queued for the TUN to {@code capture} as sent. */
    public TunReplySink(TunDevice tun, int slots, CaptureTap capture) {
        this.tun = tun;
        this.capture = capture;
        this.vnet = tun.vnetHeaderLength();
        this.maxPacket = Math.min(tun.mtu(), DnsRequest.HEADROOM + DnsRequest.MAX_RESPONSE);
        this.batch = new PacketBatch(slots, vnet + DnsRequest.HEADROOM + DnsRequest.MAX_RESPONSE);
    }

    @Override
    public void send(ByteBuffer packet, int offset, int length) {
        if (length > maxPacket) {
            dropped++;
            return;
        }
        if (count == batch.capacity()) {
            flush();
        }
        int at = batch.slotOffset(count);
        // A zeroed virtio-net header says "no offloads, checksums complete" (virtio spec 5.1.6).
        for (int i = 0; i < vnet; i++) {
            batch.buffer().put(at + i, (byte) 0);
        }
        batch.buffer().put(at + vnet, packet, offset, length);
        capture.sent(batch.buffer(), at + vnet, length);
        batch.setLength(count, vnet + length);
        count++;
    }

    @Override
    public void flush() {
        if (count == 0) {
            return;
        }
        int written = 0;
        try {
            written = tun.write(batch, 0, count);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "tun write of {0} DNS replies failed: {1}", count, e.toString());
        }
        dropped += count - written;
        count = 0;
    }

    /** Replies the TUN refused. */
    public long dropped() {
        return dropped;
    }
}
