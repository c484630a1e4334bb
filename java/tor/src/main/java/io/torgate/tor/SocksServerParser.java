package io.torgate.tor;

import java.nio.ByteBuffer;

/**
 * Byte-level parsing and replies for {@link SocksServerSession}. Each parser looks at {@code in[position, limit)},
 * consumes a complete message (or nothing when it needs more), and writes the reply due into {@code out}.
 *
 * <pre>
 *  SOCKS5 greeting  VER(5) NMETHODS METHODS...             → VER METHOD           (RFC 1928 §3)
 *  SOCKS5 auth      VER(1) ULEN UNAME PLEN PASSWD          → VER(1) STATUS        (RFC 1929 §2)
 *  SOCKS5 request   VER(5) CMD RSV ATYP DST.ADDR DST.PORT  → VER REP RSV ATYP BND.ADDR BND.PORT (§4, §6)
 *  SOCKS4(a)        VN(4) CD DSTPORT DSTIP USERID NUL [HOST NUL when DSTIP is 0.0.0.x, x != 0]
 *                                                          → VN(0) CD(90/91) DSTPORT DSTIP
 * </pre>
 *
 * <p>Stateless; thread-safe.
 */
final class SocksServerParser {
    static final int NEED = SocksServerSession.NEED_MORE;
    static final int REQUEST = SocksServerSession.REQUEST;
    static final int ERROR = SocksServerSession.ERROR;
    /** Internal: message consumed, go on to the next phase. */
    static final int CONTINUE = 2;

    private SocksServerParser() {
    }

    /** Greeting: picks username/password if offered (to learn the credentials), else no-auth, else 0xFF. */
    static int greeting5(ByteBuffer in, ByteBuffer out, SocksRequest req) {
        int p = in.position();
        if (in.remaining() < 2) {
            return NEED;
        }
        int n = in.get(p + 1) & 0xFF;
        if (in.remaining() < 2 + n) {
            return NEED;
        }
        boolean noAuth = false;
        boolean userPass = false;
        for (int i = 0; i < n; i++) {
            int m = in.get(p + 2 + i) & 0xFF;
            noAuth |= m == Socks5Codec.METHOD_NO_AUTH;
            userPass |= m == Socks5Codec.METHOD_USERNAME_PASSWORD;
        }
        in.position(p + 2 + n);
        int method = userPass ? Socks5Codec.METHOD_USERNAME_PASSWORD
                : noAuth ? Socks5Codec.METHOD_NO_AUTH : Socks5Codec.METHOD_NONE_ACCEPTABLE;
        out.put((byte) 5).put((byte) method);
        req.method = method;
        req.version = 5;
        return method == Socks5Codec.METHOD_NONE_ACCEPTABLE ? ERROR : CONTINUE;
    }

    /** RFC 1929 sub-negotiation; empty username/password accepted as tor does. */
    static int auth5(ByteBuffer in, ByteBuffer out, SocksRequest req) {
        int p = in.position();
        if (in.remaining() < 2) {
            return NEED;
        }
        if (in.get(p) != Socks5Codec.AUTH_VERSION) {
            out.put((byte) 1).put((byte) 1);
            return ERROR;
        }
        int ul = in.get(p + 1) & 0xFF;
        if (in.remaining() < 3 + ul) {
            return NEED;
        }
        int pl = in.get(p + 2 + ul) & 0xFF;
        if (in.remaining() < 3 + ul + pl) {
            return NEED;
        }
        in.get(p + 2, req.username, 0, ul);
        in.get(p + 3 + ul, req.password, 0, pl);
        req.usernameLength = ul;
        req.passwordLength = pl;
        in.position(p + 3 + ul + pl);
        out.put((byte) 1).put((byte) 0);
        return CONTINUE;
    }

    /** SOCKS5 request: CONNECT, RESOLVE or RESOLVE_PTR to IPv4 or a host name; IPv6 is refused (0x08). */
    static int request5(ByteBuffer in, ByteBuffer out, SocksRequest req) {
        int p = in.position();
        if (in.remaining() < 5) {
            return NEED;
        }
        if (in.get(p) != 5) {
            return fail5(out, SocksReply.GENERAL_FAILURE);
        }
        int cmd = in.get(p + 1) & 0xFF;
        int atyp = in.get(p + 3);
        int addrLen = switch (atyp) {
            case Socks5Reply.ATYP_IPV4 -> 4;
            case Socks5Reply.ATYP_DOMAIN -> 1 + (in.get(p + 4) & 0xFF);
            case Socks5Reply.ATYP_IPV6 -> 16;
            default -> -1;
        };
        if (addrLen < 0) {
            return fail5(out, SocksReply.ADDRESS_TYPE_NOT_SUPPORTED);
        }
        int total = 4 + addrLen + 2;
        if (in.remaining() < total) {
            return NEED;
        }
        in.position(p + total);
        if (cmd != Socks5Codec.CMD_CONNECT && cmd != Socks5Codec.CMD_RESOLVE && cmd != Socks5Codec.CMD_RESOLVE_PTR) {
            return fail5(out, SocksReply.COMMAND_NOT_SUPPORTED); // BIND and UDP ASSOCIATE, as tor
        }
        if (atyp == Socks5Reply.ATYP_IPV6) {
            return fail5(out, SocksReply.ADDRESS_TYPE_NOT_SUPPORTED); // IPv6 is off on the gateway
        }
        req.command = cmd;
        req.addressType = atyp;
        req.port = in.getShort(p + total - 2) & 0xFFFF;
        if (atyp == Socks5Reply.ATYP_IPV4) {
            req.ipv4 = in.getInt(p + 4);
            return cmd == Socks5Codec.CMD_RESOLVE ? fail5(out, SocksReply.ADDRESS_TYPE_NOT_SUPPORTED) : REQUEST;
        }
        if (cmd == Socks5Codec.CMD_RESOLVE_PTR || !copyHost(in, p + 5, addrLen - 1, req)) {
            return fail5(out, SocksReply.GENERAL_FAILURE);
        }
        return REQUEST;
    }

    /** SOCKS4 and SOCKS4a request (CONNECT, or tor's RESOLVE 0xF0 with 4a). */
    static int request4(ByteBuffer in, ByteBuffer out, SocksRequest req) {
        int p = in.position();
        if (in.remaining() < 9) {
            return NEED;
        }
        int cmd = in.get(p + 1) & 0xFF;
        int port = in.getShort(p + 2) & 0xFFFF;
        int ip = in.getInt(p + 4);
        int userEnd = indexOfNul(in, p + 8, 256);
        if (userEnd == -1) {
            return NEED;
        }
        if (userEnd == -2) {
            return fail4(out);
        }
        boolean socks4a = (ip & 0xFFFFFF00) == 0 && ip != 0;
        int end = userEnd + 1;
        int hostEnd = -1;
        if (socks4a) {
            hostEnd = indexOfNul(in, end, 256);
            if (hostEnd == -1) {
                return NEED;
            }
            if (hostEnd == -2) {
                return fail4(out);
            }
            end = hostEnd + 1;
        }
        in.position(end);
        req.version = 4;
        req.command = cmd;
        req.port = port;
        int ul = userEnd - (p + 8);
        in.get(p + 8, req.username, 0, ul);
        req.usernameLength = ul;
        if (cmd != Socks5Codec.CMD_CONNECT && !(cmd == Socks5Codec.CMD_RESOLVE && socks4a)) {
            return fail4(out);
        }
        if (!socks4a) {
            req.ipv4 = ip;
            req.addressType = Socks5Reply.ATYP_IPV4;
            return REQUEST;
        }
        req.addressType = Socks5Reply.ATYP_DOMAIN;
        return copyHost(in, userEnd + 1, hostEnd - userEnd - 1, req) ? REQUEST : fail4(out);
    }

    /** Index of the NUL at or after {@code from} within {@code max} bytes; -1 need more, -2 too long. */
    private static int indexOfNul(ByteBuffer in, int from, int max) {
        int limit = Math.min(in.limit(), from + max);
        for (int i = from; i < limit; i++) {
            if (in.get(i) == 0) {
                return i;
            }
        }
        return in.limit() >= from + max ? -2 : -1;
    }

    /** Copies a host name, accepting printable ASCII only (RFC 1123 §2.1 names; no spaces or control bytes). */
    private static boolean copyHost(ByteBuffer in, int from, int len, SocksRequest req) {
        if (len < 1 || len > 255) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            byte c = in.get(from + i);
            if (c <= 0x20 || c >= 0x7F) {
                return false;
            }
            req.host[i] = c;
        }
        req.hostLength = len;
        return true;
    }

    private static int fail5(ByteBuffer out, SocksReply code) {
        reply5(out, code.code(), 0, 0);
        return ERROR;
    }

    private static int fail4(ByteBuffer out) {
        reply4(out, 91, 0, 0);
        return ERROR;
    }

    static void reply5(ByteBuffer out, int code, int ipv4, int port) {
        out.put((byte) 5).put((byte) code).put((byte) 0).put((byte) Socks5Reply.ATYP_IPV4)
                .putInt(ipv4).putShort((short) port);
    }

    static void reply4(ByteBuffer out, int cd, int ipv4, int port) {
        out.put((byte) 0).put((byte) cd).putShort((short) port).putInt(ipv4);
    }
}
