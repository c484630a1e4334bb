package io.torgate.tor;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One SOCKS5 exchange with tor as a non-blocking state machine over a caller-provided {@link SocketChannel}
 * (TCP, or AF_UNIX via {@link UnixDomainSocketAddress}): greeting → username/password (RFC 1929) carrying the
 * stream's {@link IsolationKey} → CONNECT / RESOLVE / RESOLVE_PTR → reply.
 *
 * <p>Driving it: call one of the {@code start…} methods, then {@link #advance()} whenever the channel is ready
 * (and once right after starting). {@code advance()} does all I/O it can without blocking and returns the
 * {@link SelectionKey} interest the exchange waits for ({@code OP_CONNECT}, {@code OP_READ} or {@code OP_WRITE}),
 * or 0 when it has finished; then {@link #status()}, {@link #reply()}, {@link #failure()} and
 * {@link #clientAction()} tell the outcome. It never throws: I/O errors become {@link Failure#IO_ERROR}.
 *
 * <p>Pipelined: once connected, the greeting, the RFC 1929 request and the command go out in ONE write, and the
 * answers are then read in order. A lock-step exchange costs three loopback round trips, each a wake-up of tor and
 * of the caller's thread (issue 8: a large part of a relayed connection's set-up time); pipelining costs one.
 * RFC 1928 does not forbid it, and tor parses every complete message its buffer holds in one pass
 * ({@code fetch_from_buf_socks} loops while bytes remain, proto_socks.c), answering only the last one it
 * handled; {@link #readFirst()} accepts both that and the full answer sequence. The outcome is decided as in a
 * lock-step exchange: only a command reply with REP 0, after no refused method or auth, is a success, so a
 * caller that holds a SYN until then still fails closed. A request that cannot be encoded fails before any byte
 * is sent.
 *
 * <p>Reads never go past the end of the SOCKS reply, so after {@link Status#SUCCEEDED} every byte still in the
 * channel is stream data. Timeouts are the caller's (it owns the clock). The channel stays owned by the caller:
 * this class never closes it; close it after a failure.
 *
 * <p>Allocation: buffers are allocated once per instance; an instance is reusable ({@code start…} resets it) and
 * an exchange allocates nothing. Not thread-safe: owned by the one thread that drives it (a gateway shard worker).
 */
public final class Socks5Client {
    /** Where the exchange is. */
    public enum Status { IDLE, IN_PROGRESS, SUCCEEDED, FAILED }

    /** Why an exchange failed. */
    public enum Failure {
        NONE,
        /** Tor answered the request with a non-zero REP: see {@link #reply()}. */
        REPLY,
        /** The server accepted none of our methods (0xFF) or picked one we did not offer. */
        METHOD_REJECTED,
        /** RFC 1929 status non-zero. */
        AUTH_REJECTED,
        /** The server's bytes are not SOCKS5 (bad version, bad ATYP). */
        PROTOCOL_ERROR,
        /** The request could not be encoded (host name empty, too long or not printable ASCII). */
        BAD_REQUEST,
        /** The server closed the connection before the reply. */
        CLOSED,
        /** Connecting or reading/writing failed (tor not running, socket missing, reset). */
        IO_ERROR
    }

    private enum Step { CONNECTING, SEND, READ_FIRST, READ_AUTH, READ_REPLY, DONE }

    private static final int FILL_EOF = -1;
    private static final int FILL_MORE = 0;
    private static final int FILL_DONE = 1;

    // Largest pipelined batch: greeting (3) + RFC 1929 auth with 255-byte username and password (513) + a request
    // with a 255-byte name (262) = 778 bytes.
    private final ByteBuffer out = ByteBuffer.allocateDirect(784);
    // Largest reply: ATYP 3 with a 255-byte name = 262 bytes.
    private final ByteBuffer in = ByteBuffer.allocateDirect(270);
    private final Socks5Reply reply = new Socks5Reply();

    private SocketChannel channel;
    private Step step = Step.DONE;
    private Status status = Status.IDLE;
    private Failure failure = Failure.NONE;
    private int command;
    private CharSequence host;
    private int ipv4;
    private int port;
    private IsolationKey key;
    private byte[] rawUser;
    private byte[] rawPassword;
    private int filled;
    /** Bytes read from the server in this exchange. */
    private int received;
    private IOException lastError;

    /**
     * Opens a non-blocking channel to {@code address} (TCP or Unix) and starts connecting it. An IOException here
     * (socket file missing, connection refused at once) means tor is down: answer the client with
     * {@link ClientAction#RST} (or {@link ClientAction#DNS_SERVFAIL}), as for {@link Failure#IO_ERROR}.
     */
    public static SocketChannel open(SocketAddress address) throws IOException {
        SocketChannel ch = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            ch.configureBlocking(false);
            ch.connect(address);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** CONNECT to an IPv4 address; {@code key} null sends no credentials (method 0). */
    public void startConnect(SocketChannel ch, int address, int destPort, IsolationKey isolation) {
        begin(ch, Socks5Codec.CMD_CONNECT, null, address, destPort, isolation);
    }

    /** CONNECT to a host name, resolved by the exit (never here). */
    public void startConnect(SocketChannel ch, CharSequence hostName, int destPort, IsolationKey isolation) {
        begin(ch, Socks5Codec.CMD_CONNECT, hostName, 0, destPort, isolation);
    }

    /** Tor RESOLVE: the answer is the reply's bound address. */
    public void startResolve(SocketChannel ch, CharSequence hostName, IsolationKey isolation) {
        begin(ch, Socks5Codec.CMD_RESOLVE, hostName, 0, 0, isolation);
    }

    /** Tor RESOLVE_PTR: the answer is the reply's bound domain name. */
    public void startResolvePtr(SocketChannel ch, int address, IsolationKey isolation) {
        begin(ch, Socks5Codec.CMD_RESOLVE_PTR, null, address, 0, isolation);
    }

    /**
     * Uses raw RFC 1929 credentials instead of an isolation key for the next exchange (tests and tools);
     * call after {@code start…} and before the first {@link #advance()}.
     */
    public void useRawCredentials(byte[] username, byte[] password) {
        this.rawUser = username;
        this.rawPassword = password;
    }

    private void begin(SocketChannel ch, int cmd, CharSequence hostName, int address, int destPort,
                       IsolationKey isolation) {
        channel = ch;
        command = cmd;
        host = hostName;
        ipv4 = address;
        port = destPort;
        key = isolation;
        rawUser = null;
        rawPassword = null;
        failure = Failure.NONE;
        lastError = null;
        received = 0;
        reply.clear();
        status = Status.IN_PROGRESS;
        step = Step.CONNECTING;
    }

    /**
     * Does all the I/O possible now. Returns the interest ops to wait for, or 0 when the exchange is over.
     */
    public int advance() {
        try {
            while (true) {
                switch (step) {
                    case CONNECTING -> {
                        if (channel.isConnectionPending() && !channel.finishConnect()) {
                            return SelectionKey.OP_CONNECT;
                        }
                        prepareMessages();
                    }
                    case SEND -> {
                        channel.write(out);
                        if (out.hasRemaining()) {
                            return SelectionKey.OP_WRITE;
                        }
                        filled = 0;
                        step = Step.READ_FIRST;
                    }
                    case READ_FIRST, READ_AUTH, READ_REPLY -> {
                        int r = readStep();
                        if (r != 0) {
                            return r;
                        }
                    }
                    default -> {
                        return 0;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            lastError = e instanceof IOException io ? io : new IOException(e);
            return fail(Failure.IO_ERROR);
        }
    }

    /** Encodes greeting, auth (with credentials) and the command back to back into {@code out}: one write. */
    private void prepareMessages() {
        out.clear();
        Socks5Codec.putGreeting(out, hasCredentials() ? Socks5Codec.METHOD_USERNAME_PASSWORD
                : Socks5Codec.METHOD_NO_AUTH);
        if (hasCredentials()
                && (key != null ? Socks5Codec.putAuth(out, key) : Socks5Codec.putAuth(out, rawUser, rawPassword)) < 0) {
            fail(Failure.BAD_REQUEST);
            return;
        }
        int r = switch (command) {
            case Socks5Codec.CMD_RESOLVE -> Socks5Codec.putResolve(out, host);
            case Socks5Codec.CMD_RESOLVE_PTR -> Socks5Codec.putResolvePtr(out, ipv4);
            default -> host != null ? Socks5Codec.putConnectHost(out, host, port)
                    : Socks5Codec.putConnectIpv4(out, ipv4, port);
        };
        if (r < 0) {
            fail(Failure.BAD_REQUEST);
            return;
        }
        out.flip();
        step = Step.SEND;
    }

    private boolean hasCredentials() {
        return key != null || rawUser != null;
    }

    /** One read step; returns interest ops to wait for, 0 to continue the loop (also after finishing). */
    private int readStep() throws IOException {
        return switch (step) {
            case READ_FIRST -> readFirst();
            case READ_AUTH -> readAuth();
            default -> readReply();
        };
    }

    /**
     * The first answer to the pipelined batch. A server that answers each message in turn sends the method
     * selection first. tor parses every message its buffer holds in one pass but keeps only the LAST answer
     * (each step overwrites {@code req->reply}, proto_socks.c), so it may send the auth status first, or, when it
     * refuses the command at once, only the command's error reply: each is told apart by its bytes, and none of
     * them can be taken for a success (which only a command reply with REP 0 is).
     */
    private int readFirst() throws IOException {
        int f = fill(2);
        if (f != FILL_DONE) {
            return more(f);
        }
        boolean credentials = hasCredentials();
        int version = in.get(0) & 0xFF;
        int second = in.get(1) & 0xFF;
        if (version == Socks5Codec.AUTH_VERSION && credentials) {
            return authStatus(second); // the method answer was overwritten by the auth answer
        }
        if (version != Socks5Codec.VERSION) {
            return fail(Failure.PROTOCOL_ERROR);
        }
        if (second == Socks5Codec.METHOD_NONE_ACCEPTABLE) {
            return fail(Failure.METHOD_REJECTED);
        }
        if (!credentials) {
            // 05 00 is the method answer; 05 REP (REP non-zero) a command reply that replaced it
            return second == Socks5Codec.METHOD_NO_AUTH ? next(Step.READ_REPLY) : continueReply();
        }
        if (second == Socks5Codec.METHOD_NO_AUTH) {
            return fail(Failure.METHOD_REJECTED); // a method we did not offer: our auth bytes would be misread
        }
        if (second != Socks5Codec.METHOD_USERNAME_PASSWORD) {
            return continueReply(); // 05 REP with REP not 0: a command's refusal
        }
        // 05 02: the method answer, or a refusal with REP 2 (not allowed by ruleset) that replaced it. The next byte
        // decides: the auth answer's version (01), a command reply that replaced the auth answer (05), or the
        // refusal's reserved byte (00).
        f = fill(3);
        if (f != FILL_DONE) {
            return more(f);
        }
        int third = in.get(2) & 0xFF;
        if (third == 0) {
            return continueReply();
        }
        if (third != Socks5Codec.AUTH_VERSION && third != Socks5Codec.VERSION) {
            return fail(Failure.PROTOCOL_ERROR);
        }
        in.put(0, (byte) third);
        filled = 1;
        step = third == Socks5Codec.AUTH_VERSION ? Step.READ_AUTH : Step.READ_REPLY;
        return 0;
    }

    private int readAuth() throws IOException {
        int f = fill(2);
        if (f != FILL_DONE) {
            return more(f);
        }
        if ((in.get(0) & 0xFF) == Socks5Codec.VERSION) {
            return continueReply(); // the command was refused at once and its reply replaced the auth answer
        }
        if ((in.get(0) & 0xFF) != Socks5Codec.AUTH_VERSION) {
            return fail(Failure.PROTOCOL_ERROR);
        }
        return authStatus(in.get(1) & 0xFF);
    }

    /** RFC 1929 status: 0 accepts (the command's reply follows), anything else rejects. */
    private int authStatus(int status) {
        return status == 0 ? next(Step.READ_REPLY) : fail(Failure.AUTH_REJECTED);
    }

    /** Moves to the next answer, whose bytes start at {@code in[0]}. Returns 0 (continue the advance loop). */
    private int next(Step s) {
        filled = 0;
        step = s;
        return 0;
    }

    /** The bytes read so far begin the command's reply: keep them and read the rest. */
    private int continueReply() {
        step = Step.READ_REPLY;
        return 0;
    }

    private int more(int fillResult) {
        return fillResult == FILL_MORE ? SelectionKey.OP_READ : fail(Failure.CLOSED);
    }

    private int readReply() throws IOException {
        int f = fill(Socks5Codec.REPLY_HEADER);
        if (f != FILL_DONE) {
            return more(f);
        }
        int len = Socks5Codec.replyLength(in);
        if (len < 0) {
            return fail(Failure.PROTOCOL_ERROR);
        }
        f = fill(len);
        if (f != FILL_DONE) {
            return more(f);
        }
        Socks5Codec.parseReply(in, reply);
        if (reply.code() != 0) {
            return fail(Failure.REPLY);
        }
        status = Status.SUCCEEDED;
        step = Step.DONE;
        return 0;
    }

    /**
     * Reads until {@code in[0, total)} is filled. On {@link #FILL_DONE} the buffer's position is 0 and its limit
     * {@code total}, ready to parse; reads are bounded by {@code total} so no stream data is ever consumed. Bytes
     * already read past {@code total} (a reply whose body came in part, then {@code advance()} re-entered at the
     * header) stay: asking for fewer than {@code filled} is done at once, never a position past the limit.
     */
    private int fill(int total) throws IOException {
        if (filled >= total) {
            // Re-entered after a partial read of a longer message (a reply's body after its 5-byte header).
            in.limit(total).position(0);
            return FILL_DONE;
        }
        in.limit(total).position(filled);
        while (filled < total) {
            int n = channel.read(in);
            if (n < 0) {
                return FILL_EOF;
            }
            if (n == 0) {
                return FILL_MORE;
            }
            filled += n;
            received += n;
        }
        in.position(0);
        return FILL_DONE;
    }

    /** Ends the exchange with a failure; returns 0 so the advance loop stops (step is DONE). */
    private int fail(Failure why) {
        failure = why;
        status = Status.FAILED;
        step = Step.DONE;
        return 0;
    }

    public Status status() {
        return status;
    }

    /** True once the exchange has ended, either way. */
    public boolean isDone() {
        return status == Status.SUCCEEDED || status == Status.FAILED;
    }

    public Failure failure() {
        return failure;
    }

    /** The parsed reply (valid when {@link #failure()} is NONE or REPLY); reused by the next exchange. */
    public Socks5Reply reply() {
        return reply;
    }

    /**
     * True when the exchange failed before the server sent a single byte ({@link Failure#CLOSED} or
     * {@link Failure#IO_ERROR}): the server closed or reset the connection without answering anything, e.g. a
     * pre-connected socket that tor closed while it waited, which a caller may retry once on a fresh connection.
     */
    public boolean failedUnanswered() {
        return status == Status.FAILED && received == 0
            && (failure == Failure.CLOSED || failure == Failure.IO_ERROR);
    }

    /** The I/O error behind {@link Failure#IO_ERROR}, or null. */
    public IOException lastError() {
        return lastError;
    }

    /**
     * What to do toward the client: for a finished exchange, the reply's documented action ({@link SocksReply}),
     * for CONNECT its TCP action and for RESOLVE/RESOLVE_PTR its DNS action; every other failure (tor down,
     * protocol error) gives {@link ClientAction#RST} or {@link ClientAction#DNS_SERVFAIL}.
     */
    public ClientAction clientAction() {
        boolean dns = command != Socks5Codec.CMD_CONNECT;
        if (status == Status.SUCCEEDED) {
            return ClientAction.PROCEED;
        }
        if (failure == Failure.REPLY) {
            return dns ? reply.reply().dnsAction() : reply.reply().tcpAction();
        }
        return dns ? ClientAction.DNS_SERVFAIL : ClientAction.RST;
    }
}
