package io.torgate.tor;

import java.nio.charset.StandardCharsets;

/**
 * A parsed SOCKS5 reply (RFC 1928 §6): REP code and the bound address, which for Tor's RESOLVE is the answer
 * (ATYP 1 or 4) and for RESOLVE_PTR the host name (ATYP 3). Filled by {@link Socks5Codec#parseReply}.
 *
 * <p>Mutable and reusable: one instance per {@link Socks5Client}; owned by the thread that drives that client.
 * Not thread-safe.
 */
public final class Socks5Reply {
    /** RFC 1928 ATYP values; 0 is what some tor versions put in the 10-byte failure reply. */
    public static final int ATYP_NONE = 0;
    public static final int ATYP_IPV4 = 1;
    public static final int ATYP_DOMAIN = 3;
    public static final int ATYP_IPV6 = 4;

    int code;
    int addressType;
    int ipv4;
    final byte[] ipv6 = new byte[16];
    final byte[] domain = new byte[255];
    int domainLength;
    int port;

    /** The raw REP byte, 0..255 (kept even when {@link #reply()} is {@link SocksReply#UNKNOWN}). */
    public int code() {
        return code;
    }

    /** The REP field mapped to its meaning. */
    public SocksReply reply() {
        return SocksReply.of(code);
    }

    /** ATYP of the bound address: {@link #ATYP_NONE}, {@link #ATYP_IPV4}, {@link #ATYP_DOMAIN}, {@link #ATYP_IPV6}. */
    public int addressType() {
        return addressType;
    }

    /** BND.ADDR when ATYP is 1 (or 0), as a big-endian int. */
    public int ipv4() {
        return ipv4;
    }

    /** Copies BND.ADDR into {@code dst[0..16)} when ATYP is 4. */
    public void copyIpv6(byte[] dst) {
        System.arraycopy(ipv6, 0, dst, 0, 16);
    }

    /** Length of BND.ADDR when ATYP is 3. */
    public int domainLength() {
        return domainLength;
    }

    /** BND.ADDR as a string when ATYP is 3 (allocates; RESOLVE_PTR answers only). */
    public String domain() {
        return new String(domain, 0, domainLength, StandardCharsets.ISO_8859_1);
    }

    /** BND.PORT, 0..65535. */
    public int port() {
        return port;
    }

    void clear() {
        code = 0;
        addressType = ATYP_NONE;
        ipv4 = 0;
        domainLength = 0;
        port = 0;
    }

    @Override
    public String toString() {
        String addr = switch (addressType) {
            case ATYP_DOMAIN -> domain();
            case ATYP_IPV6 -> "ipv6:" + java.util.HexFormat.of().formatHex(ipv6);
            default -> ClientMatchFormat.ipv4(ipv4);
        };
        return "Socks5Reply[" + reply() + "(0x" + Integer.toHexString(code) + ") " + addr + ":" + port + "]";
    }
}
