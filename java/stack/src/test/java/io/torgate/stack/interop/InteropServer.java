package io.torgate.stack.interop;

import io.torgate.stack.FlowTable;
import io.torgate.stack.IsnGenerator;
import io.torgate.stack.TcpConfig;
import io.torgate.stack.TcpConnection;
import io.torgate.stack.TcpCounters;
import io.torgate.stack.TcpSegment;
import io.torgate.stack.TcpState;
import io.torgate.stack.TimerWheel;
import io.torgate.tun.PacketBatch;
import io.torgate.tun.TunDevice;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.WireError;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A small single-threaded TCP server built on the userspace stack, for interop tests against the kernel's TCP:
 * it reads packets from a real TUN device in batches, checks IPv4, parses TCP ({@link TcpSegment}: checksum,
 * options), demultiplexes with a {@link FlowTable}, feeds the flow's {@link TcpConnection}, runs the echo,
 * discard and source services ({@link ServiceFlow}), drives every connection's deadline through one
 * {@link TimerWheel} on {@link System#nanoTime()}, and writes the output segments back in one batch per loop.
 * A SYN to a service port for an unknown 4-tuple creates a flow from a fixed pool and is accepted; anything else
 * without a flow is counted and dropped. A closed connection (after TIME-WAIT) leaves the table at once.
 *
 * <p>Ownership and thread-safety: {@link #run} is the server thread and owns everything; other threads may only
 * call {@link #stop}, read the volatile statistics and the {@link InteropResults}.
 */
final class InteropServer implements Runnable {
    private static final int RX_SLOTS = 64;
    private static final int TX_SLOTS = 256;
    private static final int SLOT_SIZE = 2048;
    private static final long TICK_NANOS = 1_000_000L;

    private final TunDevice tun;
    private final PacketBatch rx = new PacketBatch(RX_SLOTS, SLOT_SIZE);
    private final TxSink tx;
    private final Impairment inbound;
    private final ByteBuffer released = ByteBuffer.allocateDirect(SLOT_SIZE);
    private final Ipv4 ip = new Ipv4();
    private final TcpSegment seg = new TcpSegment();
    final TcpCounters counters = new TcpCounters();
    private final FlowTable<ServiceFlow> flows;
    private final TimerWheel wheel = new TimerWheel(TICK_NANOS, 4096);
    private final TimerWheel.Handler onTimer = (t, now) -> markDirty((ServiceFlow) t.owner());
    private final ServiceFlow[] free;
    private int freeCount;
    private final ServiceFlow[] dirty;
    private int dirtyCount;
    final InteropResults results = new InteropResults();

    private volatile boolean stopped;
    /** Failure that ended the loop, for the test to rethrow. */
    volatile Throwable failure;
    // Statistics, published for test threads.
    volatile int flowCount;
    volatile long accepted;
    volatile long closed;
    volatile long badIpv4;
    volatile long noFlow;
    /** Segments for a flow whose connection closed earlier in the same loop iteration (dropped, see inbound). */
    volatile long lateSegments;

    /**
     * @param inbound impairment between the TUN and the stack, or null
     * @param outbound impairment between the stack and the TUN, or null
     */
    InteropServer(TunDevice tun, TcpConfig cfg, int maxFlows, Impairment inbound, Impairment outbound) {
        this.tun = tun;
        this.inbound = inbound;
        this.tx = new TxSink(tun, new PacketBatch(TX_SLOTS, SLOT_SIZE), outbound);
        this.flows = new FlowTable<>(maxFlows);
        IsnGenerator isn = new IsnGenerator();
        this.free = new ServiceFlow[maxFlows];
        for (int i = 0; i < maxFlows; i++) {
            free[i] = new ServiceFlow(cfg, isn, counters);
        }
        this.freeCount = maxFlows;
        this.dirty = new ServiceFlow[maxFlows];
    }

    void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        try {
            while (!stopped) {
                if (loopOnce() == 0 && !tun.await(1)) {
                    Thread.onSpinWait();
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** One iteration: read a batch, release due held-back packets, fire timers, serve and poll, write. */
    private int loopOnce() throws IOException {
        long now = System.nanoTime();
        int n = tun.read(rx, 0, RX_SLOTS);
        ByteBuffer buf = rx.buffer();
        for (int i = 0; i < n; i++) {
            arrive(buf, rx.slotOffset(i), rx.length(i), now);
        }
        int work = n;
        if (inbound != null) {
            int len;
            while ((len = inbound.releaseNext(now, released, 0)) >= 0) {
                inbound(released, 0, len, now);
                work++;
            }
        }
        work += wheel.expire(now, onTimer);
        work += dirtyCount;
        for (int i = 0; i < dirtyCount; i++) {
            ServiceFlow f = dirty[i];
            dirty[i] = null;
            f.dirty = false;
            serve(f, now);
        }
        dirtyCount = 0;
        tx.flush(now);
        flowCount = flows.size();
        return work;
    }

    /** A packet read from the TUN: through the inbound impairment (if any), then into the stack. */
    private void arrive(ByteBuffer buf, int off, int len, long now) {
        if (inbound == null || inbound.apply(buf, off, len, now)) {
            inbound(buf, off, len, now);
        }
    }

    /** Checked parsing, demultiplexing and SYN detection for one IPv4 packet. */
    private void inbound(ByteBuffer buf, int off, int len, long now) {
        ip.wrap(buf, off, len);
        if (ip.checkLength() != WireError.OK || !ip.verifyChecksum()) {
            badIpv4++;
            return;
        }
        if (ip.protocol() != Ipv4.PROTO_TCP || ip.isFragment()) {
            return;
        }
        int src = ip.sourceAddress();
        int dst = ip.destinationAddress();
        if (seg.parse(buf, ip.payloadOffset(), ip.payloadLength(), src, dst, counters) != WireError.OK) {
            return;
        }
        ServiceFlow f = flows.get(src, seg.sourcePort(), dst, seg.destinationPort());
        if (f == null) {
            f = admit(src, dst);
            if (f == null) {
                noFlow++;
                return;
            }
        } else if (f.conn.state() == TcpState.CLOSED) {
            // Its connection closed earlier in this loop iteration (LAST-ACK ended by the ACK of our FIN) and the
            // flow is reaped in serve(): for the stack it no longer exists, so the segment is dropped like one
            // without a flow. Under CPU load such late segments are real: a retransmission timer fires before the
            // ACK that would have cancelled it is read, and the kernel's TIME-WAIT answers the spurious copy with a
            // duplicate ACK. Fed to the CLOSED connection instead, it would be answered with a RST (RFC 9293
            // §3.10.7.1) whenever it landed in the same read batch as the closing ACK, and in the next batch not.
            lateSegments++;
            return;
        }
        f.conn.onSegment(seg, now);
        markDirty(f);
    }

    /** A new flow for a bare SYN to a service port, when the pool and the table have room. */
    private ServiceFlow admit(int src, int dst) {
        boolean bareSyn = seg.has(Tcp.SYN) && !seg.has(Tcp.ACK) && !seg.has(Tcp.RST);
        if (!bareSyn || !ServiceFlow.isService(seg.destinationPort()) || freeCount == 0 || flows.isFull()) {
            return null;
        }
        ServiceFlow f = free[--freeCount];
        free[freeCount] = null;
        f.open(dst, seg.destinationPort(), src, seg.sourcePort());
        flows.put(src, seg.sourcePort(), dst, seg.destinationPort(), f);
        accepted++;
        return f;
    }

    private void markDirty(ServiceFlow f) {
        if (!f.dirty) {
            f.dirty = true;
            dirty[dirtyCount++] = f;
        }
    }

    /** Application work, then output; a CLOSED connection leaves the table, otherwise its deadline is set. */
    private void serve(ServiceFlow f, long now) {
        TcpConnection c = f.conn;
        f.service(now, results);
        c.poll(now, tx);
        if ((c.events() & TcpConnection.EV_CLOSED) != 0) {
            wheel.cancel(f.timer);
            flows.remove(c.remoteAddress(), c.remotePort(), c.localAddress(), c.localPort());
            free[freeCount++] = f;
            closed++;
            return;
        }
        long deadline = c.nextDeadline();
        if (deadline == Long.MAX_VALUE) {
            wheel.cancel(f.timer);
        } else {
            wheel.schedule(f.timer, deadline);
        }
    }

    /** Statistics for failure messages (read after the server thread stopped, or racy but harmless). */
    String describe() {
        return "flows=" + flowCount + " accepted=" + accepted + " closed=" + closed + " badIpv4=" + badIpv4
                + " noFlow=" + noFlow + " lateSegments=" + lateSegments + " txWritten=" + tx.written
                + " txDroppedFull=" + tx.droppedFull
                + " txRefusedCorrupt=" + tx.refusedCorrupt
                + " badTcpChecksum=" + counters.wireErrors(WireError.BAD_CHECKSUM)
                + " retransmits=" + counters.get(TcpCounters.RETRANSMITS)
                + " fastRetransmits=" + counters.get(TcpCounters.FAST_RETRANSMITS)
                + " rtoExpired=" + counters.get(TcpCounters.RTO_EXPIRED)
                + (inbound == null ? "" : " inbound[" + inbound + "]") + (flowCount > 0 ? " open: " + openFlows() : "");
    }

    /** Loss-recovery counters of the stack, for per-run records. */
    String recoveryCounters() {
        return "retransmits=" + counters.get(TcpCounters.RETRANSMITS) + " fastRetransmits="
                + counters.get(TcpCounters.FAST_RETRANSMITS) + " rtoExpired=" + counters.get(TcpCounters.RTO_EXPIRED)
                + " lostRetransmits=" + counters.get(TcpCounters.LOST_RETRANSMITS)
                + " txRefusedCorrupt=" + tx.refusedCorrupt;
    }

    /** The flows still open (racy snapshot from another thread: diagnostics for a failed test only). */
    private String openFlows() {
        StringBuilder sb = new StringBuilder();
        flows.forEach(f -> sb.append(f.describe()).append("; "));
        return sb.toString();
    }
}
