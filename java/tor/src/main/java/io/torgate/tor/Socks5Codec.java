package io.torgate.tor;

import java.nio.ByteBuffer;

/**
 * Byte-level SOCKS5 (RFC 1928) with username/password authentication (RFC 1929) and Tor's commands RESOLVE (0xF0)
 * and RESOLVE_PTR (0xF1) (tor's socks-extensions spec, "Name lookup").
 *
 * <p>Encoders write at the buffer's position (relative puts) and return the number of bytes written, or a
 * negative error code having written nothing. Parsers look at {@code in[position, limit)} and return
 * {@link #NEED_MORE} (nothing consumed) when the message is incomplete, a negative error code (nothing consumed)
 * when it is malformed, or the number of bytes consumed (position advanced) when it is complete. They never
 * throw on any input and never allocate.
 *
 * <pre>
 *  request:  VER(5) CMD RSV(0) ATYP DST.ADDR DST.PORT      CMD 1 CONNECT, 0xF0 RESOLVE, 0xF1 RESOLVE_PTR
 *  reply:    VER(5) REP RSV    ATYP BND.ADDR BND.PORT      ATYP 1 = 4 bytes, 3 = length + name, 4 = 16 bytes
 * </pre>
 *
 * <p>Stateless; thread-safe.
 */
public final class Socks5Codec {
    public static final int VERSION = 5;
    /** RFC 1929 §2: the version of the username/password subnegotiation. */
    public static final int AUTH_VERSION = 1;
    public static final int METHOD_NO_AUTH = 0x00;
    public static final int METHOD_USERNAME_PASSWORD = 0x02;
    public static final int METHOD_NONE_ACCEPTABLE = 0xFF;
    public static final int CMD_CONNECT = 0x01;
    public static final int CMD_RESOLVE = 0xF0;
    public static final int CMD_RESOLVE_PTR = 0xF1;

    /** Parser result: the message is not complete yet; read more and call again. */
    public static final int NEED_MORE = 0;
    public static final int ERR_BUFFER_TOO_SMALL = -1;
    public static final int ERR_BAD_HOSTNAME = -2;
    public static final int ERR_BAD_VERSION = -3;
    public static final int ERR_NO_ACCEPTABLE_METHOD = -4;
    public static final int ERR_UNEXPECTED_METHOD = -5;
    public static final int ERR_AUTH_REJECTED = -6;
    public static final int ERR_BAD_ADDRESS_TYPE = -7;
    public static final int ERR_BAD_CREDENTIALS = -8;

    /** A reply is at least VER REP RSV ATYP + one byte, enough to know its full length. */
    public static final int REPLY_HEADER = 5;

    private static final String[] ERROR_NAMES = {"ok", "buffer_too_small", "bad_hostname", "bad_version",
        "no_acceptable_method", "unexpected_method", "auth_rejected", "bad_address_type", "bad_credentials"};

    private Socks5Codec() {
    }

    /** Stable lowercase name of an error code (counter label), "ok" for non-negative values. */
    public static String errorName(int code) {
        int i = code >= 0 ? 0 : -code;
        return i < ERROR_NAMES.length ? ERROR_NAMES[i] : "unknown";
    }

    /** RFC 1928 §3 greeting offering exactly one method: {@code 05 01 method}. */
    public static int putGreeting(ByteBuffer out, int method) {
        if (out.remaining() < 3) {
            return ERR_BUFFER_TOO_SMALL;
        }
        out.put((byte) VERSION).put((byte) 1).put((byte) method);
        return 3;
    }

    /** RFC 1929 §2 request {@code 01 ULEN UNAME PLEN PASSWD} with raw byte credentials (1..255 bytes each). */
    public static int putAuth(ByteBuffer out, byte[] username, byte[] password) {
        if (username.length < 1 || username.length > 255 || password.length < 1 || password.length > 255) {
            return ERR_BAD_CREDENTIALS;
        }
        int n = 3 + username.length + password.length;
        if (out.remaining() < n) {
            return ERR_BUFFER_TOO_SMALL;
        }
        out.put((byte) AUTH_VERSION).put((byte) username.length).put(username);
        out.put((byte) password.length).put(password);
        return n;
    }

    /** RFC 1929 §2 request carrying an isolation key: username {@code <torS0X>0}, password the key's hex. */
    public static int putAuth(ByteBuffer out, IsolationKey key) {
        byte[] user = IsolationKey.usernameBytes();
        int n = 3 + user.length + IsolationKey.HEX_LENGTH;
        if (out.remaining() < n) {
            return ERR_BUFFER_TOO_SMALL;
        }
        out.put((byte) AUTH_VERSION).put((byte) user.length).put(user).put((byte) IsolationKey.HEX_LENGTH);
        key.writePassword(out);
        return n;
    }

    /** CONNECT to an IPv4 address (ATYP 1); {@code address} big-endian. */
    public static int putConnectIpv4(ByteBuffer out, int address, int port) {
        return putIpv4Request(out, CMD_CONNECT, address, port);
    }

    /**
     * CONNECT to a host name (ATYP 3). The name is sent as is, for the exit to resolve: a gateway must never
     * resolve locally (tor's socks-extensions spec, overview: DNS lookups must happen at the exit).
     */
    public static int putConnectHost(ByteBuffer out, CharSequence host, int port) {
        return putHostRequest(out, CMD_CONNECT, host, port);
    }

    /** Tor's RESOLVE (0xF0): name → address; the port is unused and sent as 0. */
    public static int putResolve(ByteBuffer out, CharSequence host) {
        return putHostRequest(out, CMD_RESOLVE, host, 0);
    }

    /** Tor's RESOLVE_PTR (0xF1): IPv4 address → name. */
    public static int putResolvePtr(ByteBuffer out, int address) {
        return putIpv4Request(out, CMD_RESOLVE_PTR, address, 0);
    }

    private static int putIpv4Request(ByteBuffer out, int cmd, int address, int port) {
        if (out.remaining() < 10) {
            return ERR_BUFFER_TOO_SMALL;
        }
        out.put((byte) VERSION).put((byte) cmd).put((byte) 0).put((byte) Socks5Reply.ATYP_IPV4);
        out.putInt(address).putShort((short) port);
        return 10;
    }

    private static int putHostRequest(ByteBuffer out, int cmd, CharSequence host, int port) {
        int len = host.length();
        if (len < 1 || len > 255) {
            return ERR_BAD_HOSTNAME;
        }
        for (int i = 0; i < len; i++) {
            char c = host.charAt(i);
            // Printable ASCII only: IDNA conversion is the caller's job, and control bytes or spaces in a name
            // are never legitimate (RFC 1123 §2.1 host names; tor refuses them too).
            if (c <= 0x20 || c >= 0x7F) {
                return ERR_BAD_HOSTNAME;
            }
        }
        int n = 7 + len;
        if (out.remaining() < n) {
            return ERR_BUFFER_TOO_SMALL;
        }
        out.put((byte) VERSION).put((byte) cmd).put((byte) 0).put((byte) Socks5Reply.ATYP_DOMAIN).put((byte) len);
        for (int i = 0; i < len; i++) {
            out.put((byte) host.charAt(i));
        }
        out.putShort((short) port);
        return n;
    }

    /** RFC 1928 §3 method selection {@code 05 METHOD}; succeeds only if the server chose {@code expected}. */
    public static int parseMethodSelection(ByteBuffer in, int expected) {
        if (in.remaining() < 2) {
            return NEED_MORE;
        }
        int p = in.position();
        if (in.get(p) != VERSION) {
            return ERR_BAD_VERSION;
        }
        int method = in.get(p + 1) & 0xFF;
        if (method == METHOD_NONE_ACCEPTABLE) {
            return ERR_NO_ACCEPTABLE_METHOD;
        }
        if (method != expected) {
            return ERR_UNEXPECTED_METHOD;
        }
        in.position(p + 2);
        return 2;
    }

    /** RFC 1929 §2 status {@code 01 STATUS}; STATUS 0 is success, anything else a rejection. */
    public static int parseAuthReply(ByteBuffer in) {
        if (in.remaining() < 2) {
            return NEED_MORE;
        }
        int p = in.position();
        if (in.get(p) != AUTH_VERSION) {
            return ERR_BAD_VERSION;
        }
        if (in.get(p + 1) != 0) {
            return ERR_AUTH_REJECTED;
        }
        in.position(p + 2);
        return 2;
    }

    /**
     * Total length of the reply starting at the position if {@link #REPLY_HEADER} bytes are available, else
     * {@link #REPLY_HEADER} (the bytes needed to find out); negative if the version or ATYP is bad. Lets a client
     * read exactly one reply and never consume stream data that follows it.
     */
    public static int replyLength(ByteBuffer in) {
        if (in.remaining() < REPLY_HEADER) {
            return REPLY_HEADER;
        }
        int p = in.position();
        if (in.get(p) != VERSION) {
            return ERR_BAD_VERSION;
        }
        return switch (in.get(p + 3)) {
            // ATYP 0: tor's 10-byte failure reply variant carries a 4-byte zero address.
            case Socks5Reply.ATYP_NONE, Socks5Reply.ATYP_IPV4 -> 10;
            case Socks5Reply.ATYP_IPV6 -> 22;
            case Socks5Reply.ATYP_DOMAIN -> 7 + (in.get(p + 4) & 0xFF);
            default -> ERR_BAD_ADDRESS_TYPE;
        };
    }

    /** RFC 1928 §6 reply into {@code out}; RSV is ignored (be liberal in what you accept). */
    public static int parseReply(ByteBuffer in, Socks5Reply out) {
        int len = replyLength(in);
        if (len < 0) {
            return len;
        }
        if (in.remaining() < len) {
            return NEED_MORE;
        }
        int p = in.position();
        out.clear();
        out.code = in.get(p + 1) & 0xFF;
        out.addressType = in.get(p + 3);
        switch (out.addressType) {
            case Socks5Reply.ATYP_IPV6 -> in.get(p + 4, out.ipv6, 0, 16);
            case Socks5Reply.ATYP_DOMAIN -> {
                out.domainLength = in.get(p + 4) & 0xFF;
                in.get(p + 5, out.domain, 0, out.domainLength);
            }
            default -> out.ipv4 = in.getInt(p + 4);
        }
        out.port = in.getShort(p + len - 2) & 0xFFFF;
        in.position(p + len);
        return len;
    }
}
