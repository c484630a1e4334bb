package io.torgate.bench.sink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Blocking-channel helpers shared by the rig's tools. Stateless. */
final class Io {
    private Io() {
    }

    /** Reads exactly n bytes into io (cleared first); EOF before that is an error. Returns io. */
    static ByteBuffer readFully(SocketChannel c, ByteBuffer io, int n) throws IOException {
        io.clear().limit(n);
        while (io.hasRemaining()) {
            if (c.read(io) < 0) {
                throw new IOException("EOF after " + io.position() + " of " + n + " bytes");
            }
        }
        return io;
    }

    static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    static void closeQuietly(java.nio.channels.Channel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
