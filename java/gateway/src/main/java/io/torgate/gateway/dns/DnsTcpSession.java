package io.torgate.gateway.dns;

import io.torgate.wire.Dns;
import io.torgate.wire.DnsWriter;
import io.torgate.wire.WireError;
import java.nio.ByteBuffer;

/**
 * DNS over one TCP connection to port 53 (RFC 1035 section 4.2.2, RFC 7766): messages framed by a two-byte
 * length, several per connection, pipelined; answers may come back in any order (RFC 7766 section 6.2.1.1,
 * clients match them by ID). The gateway attaches one to a {@code TcpConnection} in place of a SOCKS relay.
 *
 * <p>Wiring, for the gateway worker that owns the connection:
 * <ol>
 *   <li>on data from the client: {@code n = session.onReceive(buf, off, len)}; consume {@code n} bytes from the
 *       connection's receive buffer and leave the rest there (back-pressure: at most {@code maxInFlight}
 *       queries are unanswered at once). A negative result means a malformed frame: reset the connection.</li>
 *   <li>when the {@code outputReady} callback runs (on the DNS agent thread: just mark the connection and
 *       wake the worker) and on every turn where {@link #hasOutput()}: {@link #read} the framed answers into the
 *       connection's send buffer; then offer the receive buffer's leftover bytes to {@code onReceive} again.</li>
 *   <li>on FIN from the client: answer what is in flight, then close; on RST or teardown: {@link #close()}.</li>
 * </ol>
 *
 * <p>Thread-safety: {@link #onReceive}, {@link #read}, {@link #hasOutput} and {@link #close} belong to the worker
 * thread; {@link #deliver} is called by the DNS agent. The output buffer is guarded by this object's monitor.
 */
public final class DnsTcpSession {
    private static final int FRAME = 2;

    private final DnsService service;
    private final int client;
    private final int server;
    private final Runnable outputReady;
    private final int maxInFlight;
    private final ByteBuffer frame = ByteBuffer.allocate(FRAME + DnsRequest.MAX_QUERY);
    private final ByteBuffer output;
    private final Dns dns = new Dns();
    private final DnsWriter writer = new DnsWriter();
    private int frameFill;
    private int inFlight;
    private boolean closed;

    DnsTcpSession(DnsService service, int client, int server, Runnable outputReady, int maxInFlight) {
        this.service = service;
        this.client = client;
        this.server = server;
        this.outputReady = outputReady;
        this.maxInFlight = maxInFlight;
        this.output = ByteBuffer.allocate((maxInFlight + 1) * (FRAME + DnsRequest.MAX_RESPONSE));
    }

    /**
     * Takes client bytes (in stream order) and submits each complete query.
     *
     * @return bytes consumed (fewer than {@code length} under back-pressure), or -1 for a frame that cannot be a
     *     query (shorter than a DNS header or longer than we accept): reset the connection
     */
    public int onReceive(ByteBuffer src, int offset, int length) {
        int consumed = 0;
        while (consumed < length) {
            if (frameFill < FRAME) {
                frame.put(frameFill++, src.get(offset + consumed++));
                continue;
            }
            int messageLength = frame.getShort(0) & 0xFFFF;
            if (messageLength < Dns.HEADER_LENGTH || messageLength > DnsRequest.MAX_QUERY) {
                service.stats().increment(DnsCounter.TCP_BAD_FRAME);
                return -1;
            }
            int want = FRAME + messageLength - frameFill;
            int take = Math.min(want, length - consumed);
            frame.put(frameFill, src, offset + consumed, take);
            frameFill += take;
            consumed += take;
            if (frameFill == FRAME + messageLength) {
                if (!admitOne()) {
                    frameFill -= take;
                    return consumed - take;
                }
                submit(messageLength);
                frameFill = 0;
            }
        }
        return consumed;
    }

    /** Room for one more answer: every query in flight may still need a full slot of the output buffer. */
    private synchronized boolean admitOne() {
        int reserve = (inFlight + 1) * (FRAME + DnsRequest.MAX_RESPONSE);
        if (inFlight >= maxInFlight || output.position() + reserve > output.capacity()) {
            return false;
        }
        inFlight++;
        return true;
    }

    private void submit(int messageLength) {
        if (service.submitTcp(this, client, server, frame, FRAME, messageLength)) {
            return;
        }
        // No free request slot: answer SERVFAIL here rather than leave the query unanswered on a stream.
        int len = 0;
        if (dns.wrap(frame, FRAME, messageLength).checkLength() == WireError.OK && dns.questionCount() == 1) {
            synchronized (this) {
                if (writer.startResponse(dns, output, output.position() + FRAME, DnsRequest.MAX_RESPONSE,
                    Dns.RCODE_SERVFAIL, false) == WireError.OK) {
                    len = writer.finish();
                }
            }
        }
        deliverFramed(len);
    }

    private synchronized void deliverFramed(int len) {
        inFlight--;
        if (len > 0) {
            output.putShort(output.position(), (short) len);
            output.position(output.position() + FRAME + len);
        }
    }

    /** Agent thread: a framed answer for one submitted query ({@code length} 0: the query was dropped). */
    void deliver(ByteBuffer response, int offset, int length) {
        synchronized (this) {
            inFlight--;
            if (closed || length == 0) {
                return;
            }
            int at = output.position();
            output.putShort(at, (short) length);
            output.put(at + FRAME, response, offset, length);
            output.position(at + FRAME + length);
        }
        outputReady.run();
    }

    /** True when framed answers wait to be {@link #read}. */
    public synchronized boolean hasOutput() {
        return output.position() > 0;
    }

    /** Queries submitted and not answered yet. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /**
     * Moves framed answers to {@code dst[offset, offset + maxLength)}.
     *
     * @return bytes moved
     */
    public synchronized int read(ByteBuffer dst, int offset, int maxLength) {
        int n = Math.min(maxLength, output.position());
        if (n == 0) {
            return 0;
        }
        dst.put(offset, output, 0, n);
        int rest = output.position() - n;
        output.put(0, output, n, rest);
        output.position(rest);
        return n;
    }

    /** The connection is gone: answers still in flight are discarded when they arrive. */
    public synchronized void close() {
        closed = true;
    }
}
