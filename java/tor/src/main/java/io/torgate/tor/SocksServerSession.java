package io.torgate.tor;

import java.nio.ByteBuffer;

/**
 * The server side of one SOCKS connection to the gateway's own SOCKS ports (TorVM semantics: 9050 isolates by
 * client + the client's credentials, 9049 also by destination): SOCKS5 (RFC 1928) with no-auth and
 * username/password (RFC 1929), Tor's RESOLVE/RESOLVE_PTR commands, and SOCKS4/SOCKS4a. The gateway feeds it the
 * bytes its TCP stack received and sends what it writes; once a request is complete it forwards it to tor (with
 * the isolation key) and answers with {@link #writeReply}.
 *
 * <p>Bad input never throws: {@link #consume} returns {@link #ERROR} after writing the protocol's error reply
 * (SOCKS5 REP 0x01/0x07/0x08 or method 0xFF, SOCKS4 CD 91), and the gateway closes the connection once it is
 * sent. No allocation: parsing works on the given buffers and a reused {@link SocksRequest}.
 *
 * <p>Not thread-safe: owned by the shard worker that owns the TCP connection.
 */
public final class SocksServerSession {
    /** {@link #consume} results. */
    public static final int NEED_MORE = 0;
    public static final int REQUEST = 1;
    public static final int ERROR = -1;

    private static final int SOCKS4_GRANTED = 90;
    private static final int SOCKS4_REJECTED = 91;

    private enum Phase { START, V5_AUTH, V5_REQUEST, DONE }

    private final SocksRequest request = new SocksRequest();
    private Phase phase = Phase.START;

    /** Resets for a new connection. */
    public void reset() {
        phase = Phase.START;
        request.clear();
    }

    public SocksRequest request() {
        return request;
    }

    /**
     * Consumes client bytes from {@code in} (position advanced past what was used) and writes any reply due into
     * {@code out} (needs 16 bytes free: a pipelined greeting, auth and failed request answer 2 + 2 + 10 bytes).
     * Returns {@link #NEED_MORE}, {@link #REQUEST} when {@link #request()} is
     * complete, or {@link #ERROR} when the connection must be closed after sending {@code out}.
     */
    public int consume(ByteBuffer in, ByteBuffer out) {
        while (true) {
            int r = switch (phase) {
                case START -> start(in, out);
                case V5_AUTH -> auth(in, out);
                case V5_REQUEST -> SocksServerParser.request5(in, out, request);
                case DONE -> ERROR; // bytes after the request before our reply: protocol violation
            };
            if (r == SocksServerParser.CONTINUE) {
                continue;
            }
            if (r != NEED_MORE) {
                phase = Phase.DONE;
            }
            return r;
        }
    }

    private int start(ByteBuffer in, ByteBuffer out) {
        if (!in.hasRemaining()) {
            return NEED_MORE;
        }
        request.clear();
        int v = in.get(in.position());
        if (v == 4) {
            return SocksServerParser.request4(in, out, request);
        }
        if (v != 5) {
            return ERROR; // neither SOCKS4 nor SOCKS5: nothing sensible to answer in
        }
        int r = SocksServerParser.greeting5(in, out, request);
        if (r == SocksServerParser.CONTINUE) {
            phase = request.method == Socks5Codec.METHOD_USERNAME_PASSWORD ? Phase.V5_AUTH : Phase.V5_REQUEST;
        }
        return r;
    }

    private int auth(ByteBuffer in, ByteBuffer out) {
        int r = SocksServerParser.auth5(in, out, request);
        if (r == SocksServerParser.CONTINUE) {
            phase = Phase.V5_REQUEST;
        }
        return r;
    }

    /**
     * Writes the final reply for the request: success with the bound address (for RESOLVE, the answer), or the
     * failure code tor gave (SOCKS4 has only "rejected"). After a failure the gateway closes the connection.
     */
    public void writeReply(ByteBuffer out, SocksReply reply, int boundIpv4, int boundPort) {
        int code = reply == SocksReply.UNKNOWN ? SocksReply.GENERAL_FAILURE.code() : reply.code();
        if (request.version == 4) {
            SocksServerParser.reply4(out, code == 0 ? SOCKS4_GRANTED : SOCKS4_REJECTED, boundIpv4, boundPort);
        } else {
            SocksServerParser.reply5(out, code, boundIpv4, boundPort);
        }
    }

    /** Writes a successful RESOLVE_PTR answer (SOCKS5 ATYP 3); {@code name} printable ASCII, 1..255 chars. */
    public int writeResolvedName(ByteBuffer out, CharSequence name) {
        int len = name.length();
        if (len < 1 || len > 255 || out.remaining() < 7 + len) {
            return Socks5Codec.ERR_BUFFER_TOO_SMALL;
        }
        out.put((byte) 5).put((byte) 0).put((byte) 0).put((byte) Socks5Reply.ATYP_DOMAIN).put((byte) len);
        for (int i = 0; i < len; i++) {
            out.put((byte) name.charAt(i));
        }
        out.putShort((short) 0);
        return 7 + len;
    }
}
