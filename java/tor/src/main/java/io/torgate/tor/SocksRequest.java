package io.torgate.tor;

import java.nio.charset.StandardCharsets;

/**
 * A request a Tor-aware client made to one of the gateway's own SOCKS ports (TorVM's 9050/9049), as parsed by
 * {@link SocksServerSession}: protocol version, command, destination and the client's credentials (SOCKS5
 * username/password, or the SOCKS4 user id), which {@link IsolationDimension#CLIENT_SOCKS_AUTH} isolates by.
 *
 * <p>Mutable and reused per session; owned by the thread driving the session. Not thread-safe.
 */
public final class SocksRequest {
    int version;
    /** SOCKS5 method chosen in the greeting. */
    int method;
    int command;
    int addressType;
    int ipv4;
    final byte[] host = new byte[255];
    int hostLength;
    int port;
    final byte[] username = new byte[255];
    int usernameLength = -1;
    final byte[] password = new byte[255];
    int passwordLength = -1;

    void clear() {
        version = 0;
        method = 0;
        command = 0;
        addressType = 0;
        ipv4 = 0;
        hostLength = 0;
        port = 0;
        usernameLength = -1;
        passwordLength = -1;
    }

    /** 4 (SOCKS4/4a) or 5. */
    public int version() {
        return version;
    }

    /** {@link Socks5Codec#CMD_CONNECT}, {@link Socks5Codec#CMD_RESOLVE} or {@link Socks5Codec#CMD_RESOLVE_PTR}. */
    public int command() {
        return command;
    }

    /** True when the destination is a host name ({@link #host()}), false for an IPv4 address ({@link #ipv4()}). */
    public boolean hasHost() {
        return hostLength > 0;
    }

    public int ipv4() {
        return ipv4;
    }

    /** The host name (allocates; printable ASCII guaranteed by the parser). */
    public String host() {
        return new String(host, 0, hostLength, StandardCharsets.US_ASCII);
    }

    public int port() {
        return port;
    }

    /** True if the client sent credentials (SOCKS5 method 2, or a non-empty SOCKS4 user id). */
    public boolean hasCredentials() {
        return usernameLength > 0 || passwordLength > 0;
    }

    /**
     * The credentials as an unambiguous byte string for key derivation: version, username length, username,
     * password length, password; null when there are none.
     */
    public byte[] credentials() {
        if (!hasCredentials()) {
            return null;
        }
        int ul = Math.max(usernameLength, 0);
        int pl = Math.max(passwordLength, 0);
        byte[] b = new byte[3 + ul + pl];
        b[0] = (byte) version;
        b[1] = (byte) ul;
        System.arraycopy(username, 0, b, 2, ul);
        b[2 + ul] = (byte) pl;
        System.arraycopy(password, 0, b, 3 + ul, pl);
        return b;
    }

    @Override
    public String toString() {
        return "SocksRequest[v" + version + " cmd 0x" + Integer.toHexString(command) + " "
                + (hasHost() ? host() : ClientMatchFormat.ipv4(ipv4)) + ":" + port
                + (hasCredentials() ? " with credentials" : "") + "]";
    }
}
