package io.torgate.gateway.relay;

import io.torgate.stack.TcpConnection;

/**
 * Moves bytes between a flow's {@link TcpConnection} and its {@link DnsStream}: client bytes only as far as
 * {@link DnsStream#receiveRoom()} allows (the rest stays in the connection, so its window closes while queries
 * are unanswered: back-pressure without a queue of our own), framed answers into the send buffer through
 * {@link Flow#down}; after the client's FIN, once every answer is out, our FIN.
 *
 * <p>Ownership: one per worker; confined to its thread. Never allocates.
 */
final class DnsStreamPump {
    /**
     * @return false when the client sent a frame that cannot be a query (the flow must be reset)
     */
    boolean pump(Flow f) {
        DnsStream s = f.dns;
        TcpConnection conn = f.conn;
        while (true) {
            if (f.down.hasRemaining() && conn.write(f.down) < 0) {
                f.down.clear().flip();
            }
            if (f.down.hasRemaining() || !s.hasOutput()) {
                break;
            }
            int n = s.read(f.down.clear(), 0, f.down.capacity());
            f.down.limit(n);
        }
        int room;
        while ((room = s.receiveRoom()) > 0 && conn.readable() > 0) {
            f.up.clear().limit(Math.min(room, f.up.capacity()));
            int n = conn.read(f.up);
            if (n <= 0 || s.onReceive(f.up, 0, n) < 0) {
                return n <= 0;
            }
        }
        if (!f.downShut && (conn.events() & TcpConnection.EV_REMOTE_FIN) != 0 && conn.readable() == 0
            && s.inFlight() == 0 && !s.hasOutput() && !f.down.hasRemaining()) {
            conn.shutdownOutput();
            f.downShut = true;
        }
        return true;
    }
}
