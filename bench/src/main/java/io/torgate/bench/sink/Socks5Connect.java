package io.torgate.bench.sink;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Client side of a SOCKS5 CONNECT (RFC 1928, no authentication) on a connected blocking channel. Stateless. */
final class Socks5Connect {
    private Socks5Connect() {
    }

    static void connect(SocketChannel c, InetSocketAddress target) throws IOException {
        byte[] addr = target.getAddress().getAddress();
        if (addr.length != 4) {
            throw new IOException("the rig speaks IPv4 only");
        }
        ByteBuffer io = ByteBuffer.allocate(32);
        Io.writeFully(c, io.put((byte) 5).put((byte) 1).put((byte) 0).flip());
        Io.readFully(c, io, 2);
        if (io.get(0) != 5 || io.get(1) != 0) {
            throw new IOException("SOCKS method refused");
        }
        io.clear().put((byte) 5).put((byte) 1).put((byte) 0).put((byte) 1).put(addr).putShort((short) target.getPort());
        Io.writeFully(c, io.flip());
        Io.readFully(c, io, 4);
        if (io.get(1) != 0) {
            throw new IOException("SOCKS CONNECT failed, reply " + io.get(1));
        }
        int atyp = io.get(3);
        int rest = switch (atyp) {
            case 1 -> 4 + 2;
            case 4 -> 16 + 2;
            default -> throw new IOException("unexpected SOCKS reply address type " + atyp);
        };
        Io.readFully(c, io, rest);
    }
}
