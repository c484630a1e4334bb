package io.torgate.gateway.classify;

import io.torgate.gateway.config.Cidr;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.Udp;
import io.torgate.wire.WireError;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The drop policy's first half: parses one packet from a client and decides whether the stack may see it. The
 * rule order is cheapest first, and a packet gets exactly one reason:
 * IPv6 / not IPv4, malformed IPv4, bad header checksum, IP options other than padding, fragments, spoofed source,
 * non-unicast destination, ICMP / other protocols, then TCP and UDP (malformed, bad checksum, port rules,
 * the gateway's own addresses). Every drop is counted in this classifier's {@link DropCounters} and explained by
 * a debug log line (built only when debug logging is on, so the hot path does not allocate).
 *
 * <p>Ownership: one classifying thread owns an instance (its flyweights and counters). Not thread-safe.
 */
public final class PacketClassifier {
    /** DNS, served by the gateway on every destination address (RFC 1035 4.2). */
    public static final int DNS_PORT = 53;

    private static final Logger LOG = System.getLogger(PacketClassifier.class.getName());

    private final Ipv4 ip = new Ipv4();
    private final Tcp tcp = new Tcp();
    private final Udp udp = new Udp();
    private final Cidr[] clientRanges;
    private final int[] gatewayAddresses;
    private final boolean[] servedTcpPorts = new boolean[65536];
    private final DropPolicy policy;
    private final DropCounters counters = new DropCounters();
    private final boolean dnsServed;

    /**
     * @param clientRanges the only acceptable source prefixes
     * @param gatewayAddresses the gateway's own addresses
     * @param servedTcpPorts TCP ports served on the gateway addresses
     * @param policy drop or reject, per class
     */
    public PacketClassifier(List<Cidr> clientRanges, List<Integer> gatewayAddresses, List<Integer> servedTcpPorts,
                            DropPolicy policy) {
        this(clientRanges, gatewayAddresses, servedTcpPorts, policy, false);
    }

    /**
     * @param dnsServed true when a DNS service answers UDP port 53 (verdict {@link PacketInfo#DNS_UDP}); false
     *                  counts such queries as {@code dns_unserved}
     */
    public PacketClassifier(List<Cidr> clientRanges, List<Integer> gatewayAddresses, List<Integer> servedTcpPorts,
                            DropPolicy policy, boolean dnsServed) {
        this.dnsServed = dnsServed;
        this.clientRanges = clientRanges.toArray(new Cidr[0]);
        this.gatewayAddresses = gatewayAddresses.stream().mapToInt(Integer::intValue).toArray();
        for (int port : servedTcpPorts) {
            this.servedTcpPorts[port] = true;
        }
        this.policy = policy;
    }

    /** This classifier's counters (read from any thread). */
    public DropCounters counters() {
        return counters;
    }

    /** The policy in force. */
    public DropPolicy policy() {
        return policy;
    }

    /**
     * Classifies the packet at {@code buf[offset, offset + length)} into {@code out}. Never throws on bad input.
     *
     * @return {@code out.verdict}
     */
    public int classify(ByteBuffer buf, int offset, int length, PacketInfo out) {
        out.clear();
        out.ipOffset = offset;
        DropReason reason = classifyIp(buf, offset, length, out);
        if (reason == null) {
            reason = out.protocol == Ipv4.PROTO_TCP ? classifyTcp(out) : classifyUdp(out);
        }
        if (reason != null) {
            return drop(out, reason);
        }
        out.flowHash = PacketInfo.flowHash(out.sourceAddress, out.sourcePort, out.destinationAddress,
            out.destinationPort);
        return out.verdict;
    }

    private DropReason classifyIp(ByteBuffer buf, int offset, int length, PacketInfo out) {
        if (length < 1) {
            return DropReason.MALFORMED;
        }
        int version = (buf.get(offset) & 0xFF) >>> 4;
        if (version == 6) {
            return DropReason.IPV6;
        }
        if (ip.wrap(buf, offset, length).checkLength() != WireError.OK) {
            return DropReason.MALFORMED;
        }
        if (!ip.verifyChecksum()) {
            return DropReason.BAD_IP_CHECKSUM;
        }
        out.protocol = ip.protocol();
        out.sourceAddress = ip.sourceAddress();
        out.destinationAddress = ip.destinationAddress();
        out.ipLength = ip.totalLength();
        out.transportOffset = ip.payloadOffset();
        out.transportLength = ip.payloadLength();
        if (ip.optionsLength() > 0) {
            if (ip.checkOptions() != WireError.OK) {
                return DropReason.MALFORMED;
            }
            if (!onlyPaddingOptions(buf, offset + Ipv4.MIN_HEADER_LENGTH, offset + ip.headerLength())) {
                return DropReason.IP_OPTIONS;
            }
        }
        if (ip.isFragment()) {
            return DropReason.FRAGMENT;
        }
        if (!isClient(out.sourceAddress)) {
            return DropReason.SPOOFED_SOURCE;
        }
        if (!isUnicast(out.destinationAddress)) {
            return DropReason.BROADCAST_MULTICAST;
        }
        return switch (out.protocol) {
            case Ipv4.PROTO_TCP, Ipv4.PROTO_UDP -> null;
            case Ipv4.PROTO_ICMP -> DropReason.ICMP;
            default -> DropReason.PROTOCOL;
        };
    }

    private DropReason classifyTcp(PacketInfo out) {
        if (tcp.wrap(ip.buffer(), out.transportOffset, out.transportLength).checkLength() != WireError.OK) {
            return DropReason.MALFORMED;
        }
        if (!tcp.verifyChecksum(out.sourceAddress, out.destinationAddress)) {
            return DropReason.BAD_TCP_CHECKSUM;
        }
        out.sourcePort = tcp.sourcePort();
        out.destinationPort = tcp.destinationPort();
        if (out.sourcePort == 0 || out.destinationPort == 0) {
            return DropReason.MALFORMED;
        }
        // DNS over TCP (RFC 7766) goes to the stack when the DNS service answers it, to any address.
        if (isGateway(out.destinationAddress) && !(dnsServed && out.destinationPort == DNS_PORT)) {
            if (out.destinationPort == DNS_PORT) {
                return DropReason.DNS_UNSERVED;
            }
            if (!servedTcpPorts[out.destinationPort]) {
                return DropReason.TO_GATEWAY;
            }
        }
        out.verdict = PacketInfo.TCP;
        return null;
    }

    private DropReason classifyUdp(PacketInfo out) {
        if (udp.wrap(ip.buffer(), out.transportOffset, out.transportLength).checkLength() != WireError.OK) {
            return DropReason.MALFORMED;
        }
        // RFC 768: a zero checksum means the sender computed none.
        if (udp.checksum() != 0 && !udp.verifyChecksum(out.sourceAddress, out.destinationAddress)) {
            return DropReason.BAD_UDP_CHECKSUM;
        }
        out.sourcePort = udp.sourcePort();
        out.destinationPort = udp.destinationPort();
        if (out.destinationPort != DNS_PORT) {
            return isGateway(out.destinationAddress) ? DropReason.TO_GATEWAY : DropReason.UDP_PORT;
        }
        if (!dnsServed) {
            return DropReason.DNS_UNSERVED; // no DNS service configured: refused like any other unserved class
        }
        out.transportLength = udp.udpLength();
        out.verdict = PacketInfo.DNS_UDP;
        return null;
    }

    private int drop(PacketInfo out, DropReason reason) {
        counters.increment(reason);
        out.reason = reason;
        boolean reject = policy.rejects(reason) && (out.protocol == Ipv4.PROTO_TCP || out.protocol == Ipv4.PROTO_UDP);
        out.verdict = reject ? PacketInfo.REJECT : PacketInfo.DROP;
        if (reject) {
            out.flowHash = PacketInfo.flowHash(out.sourceAddress, out.sourcePort, out.destinationAddress,
                out.destinationPort);
        }
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "{0} {1}:{2} -> {3}:{4} proto {5}: {6}", reject ? "reject" : "drop",
                Cidr.format(out.sourceAddress), out.sourcePort, Cidr.format(out.destinationAddress),
                out.destinationPort, out.protocol, reason.label());
        }
        return out.verdict;
    }

    /** RFC 791 3.1: End of Option List and No Operation are padding; any other option is one we do not serve. */
    private static boolean onlyPaddingOptions(ByteBuffer buf, int from, int to) {
        for (int i = from; i < to; i++) {
            int kind = buf.get(i) & 0xFF;
            if (kind == Ipv4.OPTION_EOL) {
                return true;
            }
            if (kind != Ipv4.OPTION_NOP) {
                return false;
            }
        }
        return true;
    }

    private boolean isClient(int address) {
        for (Cidr c : clientRanges) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** True when an address is one of the gateway's own. */
    public boolean isGateway(int address) {
        for (int a : gatewayAddresses) {
            if (a == address) {
                return true;
            }
        }
        return false;
    }

    /**
     * Unicast destinations a client may reach: not 0/8 ("this network", RFC 1122 3.2.1.3), not loopback 127/8,
     * not multicast 224/4 (RFC 5771), not reserved 240/4 or the limited broadcast 255.255.255.255 (RFC 919).
     */
    static boolean isUnicast(int address) {
        int first = address >>> 24;
        return first != 0 && first != 127 && first < 224;
    }
}
