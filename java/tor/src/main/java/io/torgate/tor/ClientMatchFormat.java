package io.torgate.tor;

/** IPv4 formatting for logs without touching {@link java.net.InetAddress} (which may resolve). Stateless. */
final class ClientMatchFormat {
    private ClientMatchFormat() {
    }

    static String ipv4(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xFF) + "." + (a >>> 8 & 0xFF) + "." + (a & 0xFF);
    }
}
