package io.torgate.bench.sink;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The benchmark rig's SOCKS5 server (RFC 1928): accepts CONNECT with any authentication (none, or
 * username/password per RFC 1929 with any credentials, as Tor's IsolateSOCKSAuth port does) and relays to the real
 * target. It stands in for Tor's SocksPort so that the rig measures the gateway, not Tor; the rig measures it alone
 * (client to sink directly) to show it is not the bottleneck.
 *
 * <p>Design for speed on a small, busy machine: one event loop per thread ({@code --threads}, default 1), each with
 * its own selector and its share of the accepted connections; non-blocking accept, handshake, connect and relay,
 * so a new connection costs no thread hand-off (a first version with a blocking thread per direction managed about
 * half the sequential connection rate on the shared 2-core machine: each hand-off waited for a CPU). TCP_NODELAY on
 * both sockets; one direct buffer per direction, recycled through a per-loop {@link BufferPool}.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.torgate.bench.sink.SocksSink --listen IP:PORT [--listen IP:PORT]...
 * [--threads N] [--buffer BYTES]}. Prints {@code sink: listening on ...} once bound; runs until killed.
 *
 * <p>Thread-safety: each {@link SinkSession} and its keys are confined to the loop thread that registered them;
 * the acceptor loop hands a new channel to another loop through that loop's queue.
 */
public final class SocksSink {
    private final List<SinkLoop> loops = new ArrayList<>();
    private int next;

    public static void main(String[] args) throws Exception {
        List<InetSocketAddress> listen = new ArrayList<>();
        int buffer = 64 * 1024;
        int threads = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--listen" -> listen.add(Args.endpoint(args[++i]));
                case "--buffer" -> buffer = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (listen.isEmpty() || threads < 1) {
            throw new IllegalArgumentException("usage: SocksSink --listen IP:PORT [--listen IP:PORT]... "
                + "[--threads N] [--buffer N]");
        }
        new SocksSink().run(listen, threads, buffer);
    }

    private void run(List<InetSocketAddress> listen, int threads, int buffer) throws IOException, InterruptedException {
        for (int i = 0; i < threads; i++) {
            loops.add(new SinkLoop(buffer));
        }
        SinkLoop first = loops.get(0);
        for (InetSocketAddress a : listen) {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(a, 4096);
            server.configureBlocking(false);
            first.registerAcceptor(server, this::dispatch);
        }
        System.out.println("sink: listening on " + listen + " with " + threads + " loop(s)");
        System.out.flush();
        List<Thread> running = new ArrayList<>();
        for (int i = 0; i < loops.size(); i++) {
            running.add(Thread.ofPlatform().name("sink-loop-" + i).start(loops.get(i)));
        }
        for (Thread t : running) {
            t.join();
        }
    }

    /** Round-robin over the loops; called on the first loop's thread. */
    private void dispatch(SocketChannel c) {
        SinkLoop loop = loops.get(next);
        next = (next + 1) % loops.size();
        loop.adopt(c);
    }

    /** One selector and the sessions registered with it. */
    static final class SinkLoop implements Runnable {
        private final Selector selector;
        private final BufferPool buffers;
        private final java.util.concurrent.ConcurrentLinkedQueue<SocketChannel> adopted =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
        private Thread thread;

        SinkLoop(int bufferSize) throws IOException {
            this.selector = Selector.open();
            this.buffers = new BufferPool(bufferSize);
        }

        void registerAcceptor(ServerSocketChannel server, java.util.function.Consumer<SocketChannel> onAccept)
            throws IOException {
            server.register(selector, SelectionKey.OP_ACCEPT, onAccept);
        }

        void adopt(SocketChannel c) {
            if (Thread.currentThread() == thread) {
                start(c);
            } else {
                adopted.add(c);
                selector.wakeup();
            }
        }

        private void start(SocketChannel c) {
            try {
                c.configureBlocking(false);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                new SinkSession(selector, c, buffers).register();
            } catch (IOException e) {
                Io.closeQuietly(c);
            }
        }

        @Override
        public void run() {
            thread = Thread.currentThread();
            while (true) {
                try {
                    selector.select();
                } catch (IOException e) {
                    System.err.println("sink: select failed: " + e);
                    return;
                }
                for (SocketChannel c; (c = adopted.poll()) != null; ) {
                    start(c);
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    handle(k);
                }
            }
        }

        @SuppressWarnings("unchecked")
        private void handle(SelectionKey k) {
            if (k.attachment() instanceof SinkSession s) {
                s.onReady(k);
                return;
            }
            try {
                SocketChannel c = ((ServerSocketChannel) k.channel()).accept();
                if (c != null) {
                    ((java.util.function.Consumer<SocketChannel>) k.attachment()).accept(c);
                }
            } catch (IOException e) {
                System.err.println("sink: accept failed: " + e);
            }
        }
    }
}
