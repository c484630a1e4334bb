package io.torgate.gateway.dns;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.Consumer;

/**
 * The DNS agent: one thread with its own {@link Selector} that answers every query, so a slow tor never blocks
 * a packet worker. Workers hand queries over through a bounded queue of pre-allocated {@link DnsRequest} slots
 * ({@link #submitUdp}, {@link #submitTcp}: copy, enqueue, wake the agent if it sleeps; when no slot is free
 * the query is dropped and counted). The agent answers from the cache or the virtual map at once, or parks the
 * request on a SOCKS RESOLVE driven by its selector; UDP answers go straight to the {@link DnsReplySink} (the
 * TUN), TCP answers to their {@link DnsTcpSession}.
 *
 * <p>Loop: drain queued requests, dispatch ready SOCKS channels, expire overdue lookups, save the virtual map
 * when due, flush the sink; when there was nothing to do, block in {@code select} until the next deadline or a
 * wake-up. The {@link #sleeping} flag is written before the queue is re-checked and read by submitters after
 * they enqueue, so a query is never left waiting for a wake-up.
 *
 * <p>Thread-safety: the submit methods may be called from any thread; everything else runs on the agent thread.
 */
final class DnsAgent implements Runnable, DnsEngine.Emitter {
    private static final Logger LOG = System.getLogger(DnsAgent.class.getName());

    private final DnsEngine engine;
    private final Selector selector;
    private final TorUpstream upstream;
    private final DnsReplySink sink;
    private final DnsStats stats;
    private final VirtualMap map;
    private final Path mapFile;
    private final long saveNanos;
    private final ArrayBlockingQueue<DnsRequest> free;
    private final ArrayBlockingQueue<DnsRequest> ready;
    private final UdpReplies udp = new UdpReplies();
    private final Consumer<SelectionKey> dispatch = this::dispatch;
    private volatile boolean running = true;
    private volatile boolean sleeping;
    private long now;
    private long nextSave;

    DnsAgent(DnsConfig config, DnsEngine engine, Selector selector, TorUpstream upstream, DnsReplySink sink,
             DnsStats stats, VirtualMap map) {
        this.engine = engine;
        this.selector = selector;
        this.upstream = upstream;
        this.sink = sink;
        this.stats = stats;
        this.map = map;
        this.mapFile = config.mapFile();
        this.saveNanos = config.mapSaveMillis() * 1_000_000L;
        this.nextSave = System.nanoTime(); // nanoTime has an arbitrary origin: never compare with 0
        this.free = new ArrayBlockingQueue<>(config.queueSlots());
        this.ready = new ArrayBlockingQueue<>(config.queueSlots());
        for (int i = 0; i < config.queueSlots(); i++) {
            free.add(new DnsRequest());
        }
    }

    /** Any thread: queues a UDP query; false (counted) when no slot is free or it is too large. */
    boolean submitUdp(int client, int clientPort, int server, int serverPort, ByteBuffer payload, int offset,
                      int length) {
        DnsRequest r = claim(length);
        if (r == null) {
            return false;
        }
        r.session = null;
        r.client = client;
        r.clientPort = clientPort;
        r.server = server;
        r.serverPort = serverPort;
        return enqueue(r, payload, offset, length);
    }

    /** Any thread (the session's worker): queues a query from a TCP connection. */
    boolean submitTcp(DnsTcpSession session, int client, int server, ByteBuffer payload, int offset, int length) {
        DnsRequest r = claim(length);
        if (r == null) {
            return false;
        }
        r.session = session;
        r.client = client;
        r.server = server;
        r.clientPort = 0;
        r.serverPort = 53;
        return enqueue(r, payload, offset, length);
    }

    private DnsRequest claim(int length) {
        if (length > DnsRequest.MAX_QUERY) {
            stats.increment(DnsCounter.OVERSIZED);
            return null;
        }
        DnsRequest r = free.poll();
        if (r == null) {
            stats.increment(DnsCounter.QUEUE_FULL);
        } else {
            r.busy = true;
        }
        return r;
    }

    private boolean enqueue(DnsRequest r, ByteBuffer payload, int offset, int length) {
        r.query.put(0, payload, offset, length);
        r.queryLength = length;
        ready.add(r); // never full: it holds at most every slot
        if (sleeping) {
            selector.wakeup();
        }
        return true;
    }

    @Override
    public void run() {
        try {
            while (running) {
                if (doWork() == 0) {
                    block();
                }
            }
        } finally {
            upstream.close();
            sink.flush();
            saveMap();
        }
    }

    /** One turn; returns the work done. */
    int doWork() {
        now = System.nanoTime();
        int work = 0;
        DnsRequest r;
        while ((r = ready.poll()) != null) {
            try {
                engine.handle(r, now);
            } catch (RuntimeException e) {
                error(e);
                if (r.busy && !r.outstanding) {
                    r.responseLength = 0; // not parked on a lookup and not sent: free the slot, send nothing
                    emit(r, now);
                }
            }
            work++;
        }
        try {
            work += selector.selectNow(dispatch);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "DNS agent selector failed: {0}", e.toString());
        }
        now = System.nanoTime();
        work += upstream.expire(now);
        if (mapFile != null && map.dirty() && now - nextSave >= 0) {
            saveMap();
            nextSave = now + saveNanos;
        }
        sink.flush();
        return work;
    }

    private void block() {
        sleeping = true;
        try {
            if (!ready.isEmpty() || !running) {
                return;
            }
            long deadline = upstream.nextDeadline();
            if (mapFile != null && map.dirty()) {
                deadline = Math.min(deadline, nextSave);
            }
            long wait = deadline == Long.MAX_VALUE ? 0 : Math.max(1, (deadline - System.nanoTime()) / 1_000_000 + 1);
            selector.select(dispatch, wait);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "DNS agent selector failed: {0}", e.toString());
        } finally {
            sleeping = false;
        }
    }

    private void dispatch(SelectionKey key) {
        now = System.nanoTime();
        try {
            upstream.ready(key, now);
        } catch (RuntimeException e) {
            error(e);
        }
    }

    private void error(RuntimeException e) {
        stats.increment(DnsCounter.ERRORS);
        LOG.log(Level.WARNING, "DNS agent: a query failed (a bug; the loop goes on)", e);
    }

    private void saveMap() {
        if (mapFile == null || !map.dirty()) {
            return;
        }
        try {
            map.save(mapFile);
        } catch (IOException | RuntimeException e) {
            stats.increment(DnsCounter.MAP_SAVE_ERRORS);
            LOG.log(Level.WARNING, "saving the DNS map to {0} failed: {1}", mapFile, e.toString());
        }
    }

    /** Sends a decided request's answer (if any) and frees its slot. Agent thread. */
    @Override
    public void emit(DnsRequest r, long nowNanos) {
        int len = r.responseLength;
        DnsTcpSession session = r.session;
        if (session != null) {
            session.deliver(r.response, DnsRequest.HEADROOM, len);
        } else if (len > 0) {
            int packet = udp.wrapInPlace(r.response, 0, r.server, r.serverPort, r.client, r.clientPort, len);
            sink.send(r.response, 0, packet);
        }
        r.session = null;
        r.busy = false;
        free.add(r);
    }

    /** Asks the loop to end; it then fails lookups in flight and saves the map. Any thread. */
    void stop() {
        running = false;
        selector.wakeup();
    }
}
