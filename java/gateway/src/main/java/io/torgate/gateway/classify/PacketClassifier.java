package io.torgate.gateway.classify;

import io.torgate.gateway.config.Cidr;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.Udp;
import io.torgate.wire.VirtioNetHeader;
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
    /** Offsets of the checksum field in the TCP (RFC 9293 3.1) and UDP (RFC 768) headers. */
    private static final int TCP_CHECKSUM_FIELD = 16;
    private static final int UDP_CHECKSUM_FIELD = 6;
    /** Results of {@link #checksumPolicy}. */
    private static final int VERIFY = 1;
    private static final int TRUSTED = 0;
    private static final int INCONSISTENT = -1;

    private final Ipv4 ip = new Ipv4();
    private final Tcp tcp = new Tcp();
    private final Udp udp = new Udp();
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    /** The current frame's virtio-net flags and checksum position (0 for a plain packet: verify every checksum). */
    private int vnetFlags;
    private int checksumStart;
    private int checksumOffset;
    private boolean tcpSuperSegment;
    private long superSegments;
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

    private PacketClassifier(PacketClassifier settings) {
        this.dnsServed = settings.dnsServed;
        this.clientRanges = settings.clientRanges;
        this.gatewayAddresses = settings.gatewayAddresses;
        System.arraycopy(settings.servedTcpPorts, 0, servedTcpPorts, 0, servedTcpPorts.length);
        this.policy = settings.policy;
    }

    /**
     * A classifier with the same settings and its own scratch state and counters: one per reader thread (a
     * multi-queue TUN has a reader per queue), since a classifier is confined to the thread that calls it.
     */
    public PacketClassifier copy() {
        return new PacketClassifier(this);
    }

    /** This classifier's counters (read from any thread). */
    public DropCounters counters() {
        return counters;
    }

    /** TCP super-segments (virtio-net gso_type TCPV4) classified so far (owner thread; approximate from others). */
    public long superSegments() {
        return superSegments;
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

    /**
     * Classifies a frame from a TUN opened with a virtio-net header: the header at {@code offset}, the packet after
     * it. The kernel's word is taken on checksums: a packet flagged NEEDS_CSUM (its transport checksum field holds
     * only the pseudo-header sum; the client's kernel built it and it crossed no wire) or DATA_VALID (the kernel
     * verified it) skips the transport checksum pass, which for a 64 KiB TSO super-segment is most of the cost.
     * Everything else is still checked, and the header must agree with the packet: a partial checksum must start
     * at the transport header and sit in the TCP or UDP checksum field, and a TCPV4 super-segment must be TCP; any
     * other gso_type is refused. The IPv4 header checksum is always verified.
     *
     * @param vnetLength bytes of the virtio-net header ({@link VirtioNetHeader#LENGTH})
     * @return {@code out.verdict}; {@code out.ipOffset} etc. are absolute, past the header
     */
    public int classifyFrame(ByteBuffer buf, int offset, int length, int vnetLength, PacketInfo out) {
        if (length < vnetLength || vnet.wrap(buf, offset, vnetLength).checkLength() != WireError.OK) {
            out.clear();
            return drop(out, DropReason.MALFORMED);
        }
        int gso = vnet.gsoType();
        vnetFlags = vnet.flags();
        checksumStart = vnet.checksumStart();
        checksumOffset = vnet.checksumOffset();
        tcpSuperSegment = gso == VirtioNetHeader.GSO_TCPV4;
        if (tcpSuperSegment) {
            superSegments++;
        }
        try {
            if (gso != VirtioNetHeader.GSO_NONE && !tcpSuperSegment) {
                out.clear();
                return drop(out, DropReason.MALFORMED);
            }
            return classify(buf, offset + vnetLength, length - vnetLength, out);
        } finally {
            vnetFlags = 0;
            tcpSuperSegment = false;
        }
    }

    /**
     * {@link #VERIFY} the transport checksum, or {@link #TRUSTED} when the packet's virtio-net header vouches for
     * it, or {@link #INCONSISTENT} when the header's checksum position contradicts the packet
     * ({@code checksumField}: 16 for TCP, 6 for UDP).
     */
    private int checksumPolicy(PacketInfo out, int checksumField) {
        if ((vnetFlags & VirtioNetHeader.F_NEEDS_CSUM) != 0) {
            boolean consistent = checksumStart == out.transportOffset - out.ipOffset && checksumOffset == checksumField;
            return consistent ? TRUSTED : INCONSISTENT;
        }
        return (vnetFlags & VirtioNetHeader.F_DATA_VALID) != 0 ? TRUSTED : VERIFY;
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
        int check = checksumPolicy(out, TCP_CHECKSUM_FIELD);
        if (check == INCONSISTENT) {
            return DropReason.MALFORMED;
        }
        if (check == VERIFY && !tcp.verifyChecksum(out.sourceAddress, out.destinationAddress)) {
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
        int check = tcpSuperSegment ? INCONSISTENT : checksumPolicy(out, UDP_CHECKSUM_FIELD);
        if (check == INCONSISTENT) {
            return DropReason.MALFORMED; // a TCP super-segment header on UDP, or a partial checksum out of place
        }
        // RFC 768: a zero checksum means the sender computed none.
        if (check == VERIFY && udp.checksum() != 0
            && !udp.verifyChecksum(out.sourceAddress, out.destinationAddress)) {
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
