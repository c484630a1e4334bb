package io.torgate.gateway;

import io.torgate.gateway.dns.DnsTcpSession;
import io.torgate.gateway.relay.DnsStream;
import java.nio.ByteBuffer;

/**
 * Adapts the DNS service's {@link DnsTcpSession} to the relay's {@link DnsStream}, so the relay does not depend
 * on the DNS package (only the gateway wires the two). Same threading as the session.
 */
final class TcpDnsStream implements DnsStream {
    private final DnsTcpSession session;

    TcpDnsStream(DnsTcpSession session) {
        this.session = session;
    }

    @Override
    public int receiveRoom() {
        return session.receiveRoom();
    }

    @Override
    public int onReceive(ByteBuffer src, int offset, int length) {
        return session.onReceive(src, offset, length);
    }

    @Override
    public boolean hasOutput() {
        return session.hasOutput();
    }

    @Override
    public int inFlight() {
        return session.inFlight();
    }

    @Override
    public int read(ByteBuffer dst, int offset, int maxLength) {
        return session.read(dst, offset, maxLength);
    }

    @Override
    public void close() {
        session.close();
    }
}
