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
 *   <li>on data from the client: while {@link #receiveRoom()} is positive, read at most that many bytes from the
 *       connection ({@code TcpConnection.read}) and pass them to {@link #onReceive}, which takes them all; bytes
 *       not read stay in the connection's receive buffer, so its window closes when at most
 *       {@code maxInFlight} queries are unanswered (back-pressure). A negative result means a malformed
 *       frame: reset the connection.</li>
 *   <li>when the {@code outputReady} callback runs (on the DNS agent thread: just mark the connection and
 *       wake the worker) and on every turn where {@link #hasOutput()}: {@link #read} the framed answers into the
 *       connection's send buffer ({@code TcpConnection.write}); then read the client again as in step 1.</li>
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
    /** A complete query is in the frame buffer, waiting for room. Worker thread only. */
    private boolean pending;
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
     * How many client bytes {@link #onReceive} takes now: the rest of the current frame, or 0 while a complete
     * query waits for room (too many unanswered). Read at most this much from the connection, so everything
     * else stays in the TCP receive buffer and the window closes (back-pressure without a queue of our own).
     */
    public int receiveRoom() {
        if (pending) {
            return 0;
        }
        return frameFill < FRAME ? FRAME - frameFill : FRAME + (frame.getShort(0) & 0xFFFF) - frameFill;
    }

    /**
     * Takes client bytes (in stream order) and submits each complete query.
     *
     * @return bytes consumed: up to {@link #receiveRoom()} at a time (fewer than {@code length} when a complete
     *     query has to wait for room), or -1 for a frame that cannot be a query (shorter than a DNS header or
     *     longer than we accept): reset the connection
     */
    public int onReceive(ByteBuffer src, int offset, int length) {
        int consumed = 0;
        while (consumed < length && !pending) {
            if (frameFill < FRAME) {
                frame.put(frameFill++, src.get(offset + consumed++));
                continue;
            }
            int messageLength = frame.getShort(0) & 0xFFFF;
            if (messageLength < Dns.HEADER_LENGTH || messageLength > DnsRequest.MAX_QUERY) {
                service.stats().increment(DnsCounter.TCP_BAD_FRAME);
                return -1;
            }
            int take = Math.min(FRAME + messageLength - frameFill, length - consumed);
            frame.put(frameFill, src, offset + consumed, take);
            frameFill += take;
            consumed += take;
            if (frameFill == FRAME + messageLength) {
                pending = true;
                submitPending();
            }
        }
        return consumed;
    }

    /** Submits the complete query in the frame buffer if there is room for its answer. Worker thread. */
    private void submitPending() {
        if (pending && admitOne()) {
            pending = false;
            submit(frameFill - FRAME);
            frameFill = 0;
        }
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
     * Moves framed answers to {@code dst[offset, offset + maxLength)}, then submits a query that was waiting for
     * room (so call it after every {@code outputReady}, even with no room in the send buffer).
     *
     * @return bytes moved
     */
    public int read(ByteBuffer dst, int offset, int maxLength) {
        int n;
        synchronized (this) {
            n = Math.min(maxLength, output.position());
            if (n > 0) {
                dst.put(offset, output, 0, n);
                int rest = output.position() - n;
                output.put(0, output, n, rest);
                output.position(rest);
            }
        }
        submitPending();
        return n;
    }

    /** The connection is gone: answers still in flight are discarded when they arrive. */
    public synchronized void close() {
        closed = true;
    }
}
