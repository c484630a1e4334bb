package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.config.Cidr;
import java.nio.ByteBuffer;
import java.util.Set;

/**
 * Which packets a capture keeps: by client address, by flow (client address and port, server address and port;
 * each part optional), by direction and by drop reason. The client of a packet is its source when received or
 * dropped, its destination when sent, so one filter follows both directions of a client's flows.
 *
 * <p>Matching reads a few header fields straight from the packet bytes (no flyweight, no allocation). A packet
 * that is not IPv4 (IPv6, garbage) has no client: it only passes a filter without client or flow.
 *
 * <p>Immutable and thread-safe.
 *
 * @param client client address, or 0 for any
 * @param clientPort client's TCP/UDP port, or 0 for any
 * @param server server (destination) address, or 0 for any
 * @param serverPort server's port, or 0 for any
 * @param directions bit {@code 1 << d} set for every kept direction {@code d} of {@link CaptureTap}
 * @param reasons bit {@code 1L << reason.ordinal()} set for every kept drop reason; 0 keeps every reason
 */
public record CaptureFilter(int client, int clientPort, int server, int serverPort, int directions, long reasons) {
    /** Every direction. */
    public static final int ALL_DIRECTIONS = (1 << CaptureTap.RECEIVED) | (1 << CaptureTap.SENT)
        | (1 << CaptureTap.DROPPED);
    /** Keeps every packet. */
    public static final CaptureFilter ALL = new CaptureFilter(0, 0, 0, 0, ALL_DIRECTIONS, 0);

    static {
        if (DropReason.COUNT > Long.SIZE) {
            throw new ExceptionInInitializerError("drop reasons no longer fit a long mask");
        }
    }

    /** Only packets of one client. */
    public CaptureFilter withClient(int address) {
        return new CaptureFilter(address, clientPort, server, serverPort, directions, reasons);
    }

    /** Only one flow (0 in any part means any). */
    public CaptureFilter withFlow(int clientAddr, int cPort, int serverAddr, int sPort) {
        return new CaptureFilter(clientAddr, cPort, serverAddr, sPort, directions, reasons);
    }

    /** Only the given directions ({@link CaptureTap#RECEIVED} etc.). */
    public CaptureFilter withDirections(int... ds) {
        int mask = 0;
        for (int d : ds) {
            mask |= 1 << d;
        }
        return new CaptureFilter(client, clientPort, server, serverPort, mask, reasons);
    }

    /** Only drops with one of these reasons (other directions unaffected). */
    public CaptureFilter withReasons(Set<DropReason> rs) {
        long mask = 0;
        for (DropReason r : rs) {
            mask |= 1L << r.ordinal();
        }
        return new CaptureFilter(client, clientPort, server, serverPort, directions, mask);
    }

    /**
     * Parses the control-socket spelling: space-separated {@code client=A.B.C.D}, {@code flow=A:P-B:Q} (a part may
     * be {@code *}), {@code dir=received,sent,dropped}, {@code reason=udp_port,ipv6}.
     *
     * @throws IllegalArgumentException on an unknown word
     */
    public static CaptureFilter parse(String text) {
        CaptureFilter f = ALL;
        for (String word : text.trim().split("\\s+")) {
            if (word.isEmpty()) {
                continue;
            }
            int eq = word.indexOf('=');
            String key = eq < 0 ? word : word.substring(0, eq);
            String value = eq < 0 ? "" : word.substring(eq + 1);
            f = switch (key) {
                case "client" -> f.withClient(Cidr.parseAddress(value));
                case "flow" -> parseFlow(f, value);
                case "dir" -> f.withDirections(parseDirections(value));
                case "reason" -> f.withReasons(parseReasons(value));
                default -> throw new IllegalArgumentException("unknown capture filter '" + word + "'");
            };
        }
        return f;
    }

    private static CaptureFilter parseFlow(CaptureFilter f, String value) {
        String[] ends = value.split("-", 2);
        if (ends.length != 2) {
            throw new IllegalArgumentException("flow must be CLIENT:PORT-SERVER:PORT, got '" + value + "'");
        }
        int[] c = endpoint(ends[0]);
        int[] s = endpoint(ends[1]);
        return f.withFlow(c[0], c[1], s[0], s[1]);
    }

    private static int[] endpoint(String text) {
        int colon = text.lastIndexOf(':');
        String addr = colon < 0 ? text : text.substring(0, colon);
        String port = colon < 0 ? "*" : text.substring(colon + 1);
        return new int[] {addr.equals("*") ? 0 : Cidr.parseAddress(addr),
            port.equals("*") ? 0 : Integer.parseInt(port)};
    }

    private static int[] parseDirections(String value) {
        String[] names = value.split(",");
        int[] ds = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            ds[i] = switch (names[i]) {
                case "received" -> CaptureTap.RECEIVED;
                case "sent" -> CaptureTap.SENT;
                case "dropped" -> CaptureTap.DROPPED;
                default -> throw new IllegalArgumentException("unknown direction '" + names[i] + "'");
            };
        }
        return ds;
    }

    private static Set<DropReason> parseReasons(String value) {
        java.util.EnumSet<DropReason> rs = java.util.EnumSet.noneOf(DropReason.class);
        for (String label : value.split(",")) {
            DropReason r = DropReason.byLabel(label);
            if (r == null) {
                throw new IllegalArgumentException("unknown drop reason '" + label + "'");
            }
            rs.add(r);
        }
        return rs;
    }

    /** True when the packet at {@code buf[offset, offset + length)} seen in {@code direction} is kept. */
    public boolean matches(ByteBuffer buf, int offset, int length, int direction, DropReason reason) {
        if ((directions & (1 << direction)) == 0) {
            return false;
        }
        if (reason != null && reasons != 0 && (reasons & (1L << reason.ordinal())) == 0) {
            return false;
        }
        if ((client | clientPort | server | serverPort) == 0) {
            return true;
        }
        if (length < 20 || (buf.get(offset) & 0xF0) != 0x40) {
            return false;
        }
        boolean toClient = direction == CaptureTap.SENT;
        int src = buf.getInt(offset + 12);
        int dst = buf.getInt(offset + 16);
        int c = toClient ? dst : src;
        int s = toClient ? src : dst;
        if ((client != 0 && c != client) || (server != 0 && s != server)) {
            return false;
        }
        if ((clientPort | serverPort) == 0) {
            return true;
        }
        long ports = ports(buf, offset, length);
        if (ports < 0) {
            return false;
        }
        int cp = (int) (toClient ? ports & 0xFFFF : ports >>> 16);
        int sp = (int) (toClient ? ports >>> 16 : ports & 0xFFFF);
        return (clientPort == 0 || cp == clientPort) && (serverPort == 0 || sp == serverPort);
    }

    /** (source port << 16 | destination port) of a TCP/UDP first fragment, or -1. */
    private static long ports(ByteBuffer buf, int offset, int length) {
        int protocol = buf.get(offset + 9) & 0xFF;
        int headerLength = (buf.get(offset) & 0x0F) * 4;
        boolean laterFragment = (buf.getShort(offset + 6) & 0x1FFF) != 0;
        if ((protocol != 6 && protocol != 17) || laterFragment || length < headerLength + 4) {
            return -1;
        }
        return buf.getInt(offset + headerLength) & 0xFFFFFFFFL;
    }
}
