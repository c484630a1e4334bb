package io.torgate.gateway.relay;

import io.torgate.stack.ChunkPool;
import io.torgate.stack.TcpConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * Moves bytes between a flow's {@link TcpConnection} and its SOCKS channel, both ways, with backpressure:
 * <ul>
 *   <li>client → Tor: the connection is read only while {@link Flow#up} has room, and {@code up} drains only as
 *   fast as the socket takes it; a slow Tor therefore leaves data in the connection's receive buffer and the
 *   client's advertised window shrinks to zero (RFC 9293 3.8.6), nothing grows;</li>
 *   <li>Tor → client: the socket is read (OP_READ) only while the connection's send buffer has room, straight into
 *   that room (a scattering read over its chunks: one copy from the kernel, no relay buffer in between); a slow
 *   client therefore stops reads from Tor, and Tor's own flow control takes over.</li>
 * </ul>
 * Half-closes are carried across: client FIN (all its data forwarded) → {@code shutdownOutput()} on the socket;
 * socket EOF (all its data queued) → FIN to the client.
 *
 * <p>Ownership: one per worker; confined to its thread. Never allocates (but one discard buffer, once).
 */
final class StreamPump {
    private static final Logger LOG = System.getLogger(StreamPump.class.getName());
    /** Socket reads a service may add after the selector's one. */
    private static final int EXTRA_READS = 3;
    /**
     * Most bytes one socket read asks for: 8 chunks, two 64 KiB TSO super-segments. The read lands straight in the
     * connection's send buffer (one copy from the kernel), so up to {@code (1 + EXTRA_READS)} of these per service.
     */
    private static final int READ_BYTES = 8 * ChunkPool.DEFAULT_CHUNK_BYTES;
    /** The send-buffer space of one read, as chunks ({@link TcpConnection#claimSend}). */
    private final ByteBuffer[] spans = new ByteBuffer[READ_BYTES / ChunkPool.DEFAULT_CHUNK_BYTES + 2];
    /** Where Tor's bytes go once the client can no longer receive any (they are dropped). */
    private ByteBuffer discard;

    /**
     * Reads the SOCKS socket into the connection's send buffer when it is readable.
     *
     * @return false when the socket failed (the flow must be reset)
     */
    boolean onSocketReady(Flow f) {
        SelectionKey key = f.key;
        if (key == null || !key.isValid()) {
            return f.channel == null;
        }
        if (key.isReadable() && !f.downQueued() && !f.downEof) {
            return read(f);
        }
        return true;
    }

    /**
     * Moves what can move both ways and sets the channel's interest.
     *
     * @return false when the socket failed (the flow must be reset)
     */
    boolean pump(Flow f) {
        if (f.channel == null) {
            return true;
        }
        TcpConnection conn = f.conn;
        try {
            if (!f.upShut) {
                if (f.up.hasRemaining()) {
                    conn.read(f.up);
                }
                if (f.up.position() > 0) {
                    f.up.flip();
                    f.bytesUp += f.channel.write(f.up);
                    f.up.compact();
                    if (f.up.hasRemaining() && conn.readable() > 0) {
                        // Refill what the socket took: reading is what reopens the client's window (the update
                        // goes out at this service's poll). Without it a drained buffer leaves no OP_WRITE interest
                        // and a zero window would reopen only when the client's next probe arrived.
                        conn.read(f.up);
                    }
                }
                if (f.up.position() == 0 && conn.readable() == 0
                    && (conn.events() & TcpConnection.EV_REMOTE_FIN) != 0) {
                    f.channel.shutdownOutput();
                    f.upShut = true;
                }
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "{0}: SOCKS write failed: {1}", f, e.getMessage());
            return false;
        }
        // Bytes of a gateway SOCKS port's exchange may still wait in down; Tor's data comes after them.
        if (f.downQueued() && conn.write(f.down) < 0) {
            f.down.clear().flip(); // the client can no longer receive: drop what Tor sent
        }
        if (!refill(f)) {
            return false;
        }
        boolean downQueued = f.downQueued();
        if (f.downEof && !downQueued && !f.downShut) {
            conn.shutdownOutput();
            f.downShut = true;
        }
        int ops = (!f.downEof && !downQueued && !f.memoryShort && conn.sendFree() > 0 ? SelectionKey.OP_READ : 0)
            | (f.up.position() > 0 ? SelectionKey.OP_WRITE : 0);
        if (f.key.interestOps() != ops) {
            f.key.interestOps(ops);
        }
        return true;
    }

    /**
     * While the last read filled all it asked for (the socket likely holds more) and the send buffer has room, reads
     * the socket again, at most {@link #EXTRA_READS} times per service: one service then queues up to a few hundred
     * KiB, and the poll after it sends them as full super-segments instead of one per selector turn. A short read
     * means the socket is drained, so no read is spent on an empty socket beyond the first.
     *
     * @return false when the socket failed
     */
    private boolean refill(Flow f) {
        for (int i = 0; i < EXTRA_READS && f.moreToRead && !f.downEof && f.key.isValid()
            && !f.downQueued() && f.conn.sendFree() > 0; i++) {
            if (!read(f)) {
                return false;
            }
        }
        return true;
    }

    /**
     * One read of the socket straight into free space of the connection's send buffer (a scattering read over its
     * chunks). Sets {@link Flow#moreToRead} when the read filled what it asked for, and {@link Flow#memoryShort}
     * when the buffer had room but the budget granted no chunk.
     *
     * @return false when the socket failed
     */
    private boolean read(Flow f) {
        TcpConnection conn = f.conn;
        int k = conn.claimSend(spans, READ_BYTES);
        if (k < 0) {
            return discard(f); // the client can no longer receive: drain and drop what Tor sends
        }
        f.memoryShort = k == 0 && conn.sendFree() > 0;
        if (k == 0) {
            f.moreToRead = true; // not read: the socket may still hold bytes for when there is room
            return true;
        }
        long asked = 0;
        for (int i = 0; i < k; i++) {
            asked += spans[i].remaining();
        }
        long n;
        try {
            n = f.channel.read(spans, 0, k);
        } catch (IOException e) {
            conn.commitSend(0);
            LOG.log(Level.DEBUG, "{0}: SOCKS read failed: {1}", f, e.getMessage());
            return false;
        }
        if (n < 0) {
            conn.commitSend(0);
            f.downEof = true;
            f.moreToRead = false;
            return true;
        }
        conn.commitSend((int) n);
        f.bytesDown += n;
        f.moreToRead = n == asked;
        return true;
    }

    private boolean discard(Flow f) {
        if (discard == null) {
            discard = ByteBuffer.allocateDirect(ChunkPool.DEFAULT_CHUNK_BYTES);
        }
        try {
            int n = f.channel.read(discard.clear());
            f.downEof = n < 0;
            f.moreToRead = n == discard.capacity();
            return true;
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "{0}: SOCKS read failed: {1}", f, e.getMessage());
            return false;
        }
    }

    /**
     * True when {@code f}'s socket may hold bytes the relay has not read: it does not read the socket for now (the
     * client has not taken what Tor sent, or memory is short), or its last read filled all the send-buffer room it
     * had (a slow client: each read takes only what the client's ACKs freed). A reset then waits unseen behind
     * the socket's queued bytes ({@link SocketResets}).
     */
    static boolean blocked(Flow f) {
        SelectionKey key = f.key;
        return f.phase == Flow.RELAYING && !f.downEof && f.channelFd >= 0 && key != null && key.isValid()
            && (f.moreToRead || (key.interestOps() & SelectionKey.OP_READ) == 0);
    }

    /**
     * Closes the flow's channel, if any, and forgets it; abortive sends a RST to the SOCKS side (SO_LINGER 0) where
     * the socket has one.
     */
    void close(Flow f, boolean abortive) {
        SocketChannel ch = f.channel;
        if (ch == null) {
            return;
        }
        f.channel = null;
        f.key = null;
        f.channelFd = -1;
        try {
            if (abortive && ch.isConnected() && ch.supportedOptions().contains(StandardSocketOptions.SO_LINGER)) {
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "{0}: SO_LINGER: {1}", f, e.getMessage());
        }
        try {
            ch.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "{0}: close: {1}", f, e.getMessage());
        }
    }
}
