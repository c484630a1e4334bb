package io.torgate.stack.interop;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;

/** Blocking kernel-socket clients of the interop services; each hashes what it sends and receives. */
final class KernelClient {
    private static final int CHUNK = 64 * 1024;

    /** Bytes and SHA-256 of one direction of a transfer. */
    record Transfer(long bytes, byte[] sha256) { }

    private KernelClient() {
    }

    /** Sends {@code bytes} of the pattern for {@code seed}, half-closes, then reads until the server's FIN. */
    static Transfer upload(SocketChannel ch, long bytes, long seed) throws IOException {
        Transfer sent = send(ch, bytes, seed);
        ch.shutdownOutput();
        Transfer back = receive(ch);
        if (back.bytes() != 0) {
            throw new IOException("discard service sent " + back.bytes() + " bytes");
        }
        return sent;
    }

    /** Asks the source service for {@code bytes}, half-closes, and receives until its FIN. */
    static Transfer download(SocketChannel ch, long bytes) throws IOException {
        ByteBuffer req = ByteBuffer.allocate(8).putLong(0, bytes);
        while (req.hasRemaining()) {
            ch.write(req);
        }
        ch.shutdownOutput();
        return receive(ch);
    }

    /** Writes {@code bytes} of the pattern and half-closes, all from a second thread, while receiving the echo. */
    static Transfer[] echo(SocketChannel ch, long bytes, long seed) throws Exception {
        Transfer[] sent = new Transfer[1];
        Exception[] error = new Exception[1];
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                sent[0] = send(ch, bytes, seed);
                ch.shutdownOutput();
            } catch (IOException e) {
                error[0] = e;
            }
        });
        Transfer received = receive(ch);
        writer.join();
        if (error[0] != null) {
            throw error[0];
        }
        return new Transfer[] {sent[0], received};
    }

    static Transfer send(SocketChannel ch, long bytes, long seed) throws IOException {
        PatternStream p = new PatternStream(seed);
        MessageDigest md = PatternStream.sha256();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        for (long left = bytes; left > 0; ) {
            buf.clear().limit((int) Math.min(CHUNK, left));
            p.fill(buf);
            buf.flip();
            md.update(buf.duplicate());
            left -= buf.remaining();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
        return new Transfer(bytes, md.digest());
    }

    static Transfer receive(SocketChannel ch) throws IOException {
        MessageDigest md = PatternStream.sha256();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        long total = 0;
        int n;
        while ((n = ch.read(buf.clear())) >= 0) {
            total += n;
            md.update(buf.flip());
        }
        return new Transfer(total, md.digest());
    }
}
