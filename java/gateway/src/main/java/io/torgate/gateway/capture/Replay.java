package io.torgate.gateway.capture;

import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.PacketClassifier;
import io.torgate.gateway.classify.PacketInfo;
import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.policy.FirewallRule;
import io.torgate.gateway.policy.Policy;
import io.torgate.stack.IsnGenerator;
import io.torgate.stack.SegmentSink;
import io.torgate.stack.TcpConfig;
import io.torgate.stack.TcpConnection;
import io.torgate.stack.TcpCounters;
import io.torgate.stack.TcpSegment;
import io.torgate.stack.TcpState;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import io.torgate.wire.TcpOptions;
import io.torgate.wire.WireError;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code torgate replay FILE.pcap}: feeds a capture through the gateway's classifier and TCP stack offline, with
 * a virtual clock taken from the capture's timestamps and a fake SOCKS upstream, and prints each flow's state
 * transitions and each drop with its reason. Deterministic: fixed ISN/timestamp keys, no wall clock, flows kept
 * in arrival order, so the same capture always prints the same lines (a user's capture reproduces a bug here).
 *
 * <p>What is fed: packets from clients (pcapng inbound or unknown direction) go through {@link PacketClassifier}
 * and, for TCP, a {@link TcpConnection} per flow as the relay would (SYN held, then accepted or refused by the
 * fake upstream; a non-SYN for an unknown flow is {@code no_flow}). Packets of the original server toward a
 * client (a capture taken on the client side has them), and packets the captured gateway itself sent (pcapng
 * outbound, from {@code torgate capture}), are not classified: their bytes and FIN become what the fake upstream
 * sends back (see {@link ReplayFlow}). A DNS query over UDP is printed as {@code dns ...} (the DNS service, not
 * replayed, answers it in the gateway). With a {@link ReplayOptions#policy}, the clients' firewalls judge each new
 * flow and DNS query between the classifier and the stack, as in the relay ({@code firewall}, {@code firewall_dns};
 * offline, name rules cannot match a DNS-mapped address, whose name the capture does not carry).
 *
 * <p>Output lines: {@code +SECONDS CLIENT:PORT>SERVER:PORT A=>B}, {@code +SECONDS drop REASON DESCRIPTION} and
 * {@code +SECONDS dns DESCRIPTION}, then a summary. Not thread-safe; one replay per instance.
 */
public final class Replay {
    /** Virtual time of the first packet: one second, so no timer arithmetic starts at zero. */
    private static final long START_NANOS = 1_000_000_000L;
    private static final int MAX_TIMER_ROUNDS = 1_000_000;

    private final PrintStream out;
    private final ReplayOptions options;
    private final PacketClassifier classifier;
    private final PacketInfo info = new PacketInfo();
    private final TcpSegment segment = new TcpSegment();
    private final TcpCounters tcpCounters = new TcpCounters();
    private final TcpConfig tcpConfig = new TcpConfig();
    private final IsnGenerator isn = new IsnGenerator(1, 2, 3, 4);
    private final Map<FlowKey, ReplayFlow> flows = new LinkedHashMap<>();
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final Sink sink = new Sink();
    private final Tcp serverTcp = new Tcp();
    private final TcpOptions serverOptions = new TcpOptions();
    private long firstTimestamp = Long.MIN_VALUE;
    private long now = START_NANOS;
    private int packets;
    private int fromServer;
    private int sentByGateway;
    private int annotations;
    private int dnsQueries;
    private int flowCount;

    private Replay(PrintStream out, ReplayOptions options) {
        this.out = out;
        this.options = options;
        this.classifier = new PacketClassifier(options.clientRanges(), options.gatewayAddresses(),
            options.servedTcpPorts(), DropPolicy.dropAll(), options.dnsServed());
    }

    /**
     * Replays a capture file and prints to {@code out}.
     *
     * @return 0 when replayed, 1 when the file could not be read (the error is printed)
     */
    public static int run(Path pcap, PrintStream out, ReplayOptions options) {
        Replay r = new Replay(out, options);
        try (PcapReader reader = PcapReader.open(pcap)) {
            while (reader.next()) {
                r.packet(reader);
            }
            r.drain();
            r.summary(reader.skipped());
            return 0;
        } catch (IOException e) {
            out.println("error: " + pcap + ": " + e.getMessage());
            return 1;
        }
    }

    private void packet(PcapReader reader) {
        if (firstTimestamp == Long.MIN_VALUE) {
            firstTimestamp = reader.timestampNanos();
        }
        advance(Math.max(now, START_NANOS + reader.timestampNanos() - firstTimestamp));
        ByteBuffer buf = reader.buffer();
        int off = reader.ipOffset();
        int len = reader.ipLength();
        if (reader.direction() == CaptureTap.SENT) {
            sentByGateway++;
            feedUpstream(buf, off, len);
            return;
        }
        if (fromOriginalServer(buf, off, len)) {
            fromServer++;
            feedUpstream(buf, off, len);
            return;
        }
        if (isDropAnnotation(reader, buf, off, len)) {
            annotations++;
            return;
        }
        packets++;
        ReplayFlow known = flowOf(buf, off, len, false);
        if (known != null) {
            int ihl = (buf.get(off) & 0x0F) * 4;
            known.translateAck(buf, off + ihl, len - ihl);
        }
        int verdict = classifier.classify(buf, off, len, info);
        if (verdict == PacketInfo.DNS_UDP) {
            if (!allowsDns(info.sourceAddress, info.destinationAddress, FirewallRule.UDP)) {
                drop(DropReason.FIREWALL_DNS, buf, off, len);
                return;
            }
            dnsQueries++; // answered by the DNS service, not the stack: noted, nothing to replay
            line("dns " + describe(buf, off, len));
            return;
        }
        if (verdict != PacketInfo.TCP) {
            drop(info.reason != null ? info.reason : DropReason.INTERNAL, buf, off, len);
            return;
        }
        tcp(buf, off, len);
    }

    /**
     * True for the second record of a packet a worker of the captured gateway refused: {@code torgate capture}
     * writes such a packet once as received (the reader passed it) and again as dropped with its reason (the
     * worker refused it, e.g. {@code no_flow}); the first copy replays it, so this one is skipped. A drop comment on
     * a packet this classifier drops too is the only record of a classifier drop and is replayed.
     */
    private boolean isDropAnnotation(PcapReader reader, ByteBuffer buf, int off, int len) {
        String comment = reader.comment();
        if (comment == null || !comment.startsWith("dropped: ")) {
            return false;
        }
        int verdict = classifier.classify(buf, off, len, info);
        return verdict != PacketInfo.DROP && verdict != PacketInfo.REJECT;
    }

    /** A client segment the classifier passed: to its flow, or a new flow when it is a SYN. */
    private void tcp(ByteBuffer buf, int off, int len) {
        if (segment.parse(buf, info.transportOffset, info.transportLength, info.sourceAddress,
            info.destinationAddress, tcpCounters) != WireError.OK) {
            drop(DropReason.MALFORMED, buf, off, len);
            return;
        }
        FlowKey key = new FlowKey(info.sourceAddress, info.sourcePort, info.destinationAddress, info.destinationPort);
        ReplayFlow f = flows.get(key);
        if (f == null) {
            if (!segment.has(Tcp.SYN) || segment.has(Tcp.ACK) || segment.has(Tcp.RST)) {
                drop(DropReason.NO_FLOW, buf, off, len); // RFC 9293 3.10.7.1, as the relay answers it
                return;
            }
            DropReason denied = firewall(key);
            if (denied != null) {
                drop(denied, buf, off, len);
                return;
            }
            f = open(key);
        } else {
            f.translateOptions(segment);
        }
        f.conn.onSegment(segment, now);
        observe(f);
        if ((f.conn.events() & TcpConnection.EV_SYN) != 0) {
            socks(f, buf, off, len);
        }
        service(f);
    }

    /**
     * The client's firewall on a new flow, as the relay asks it (PolicyGate): DNS over TCP as the {@code dns}
     * target, anything else by address. Offline the name behind a DNS-mapped address is unknown, so name rules
     * never match here.
     *
     * @return null when accepted (or there is no firewall)
     */
    private DropReason firewall(FlowKey key) {
        if (key.serverPort() == PacketClassifier.DNS_PORT) {
            return allowsDns(key.client(), key.server(), FirewallRule.TCP) ? null : DropReason.FIREWALL_DNS;
        }
        Policy p = options.policy();
        return p == null || p.clientFor(key.client()).firewall().accepts(FirewallRule.TCP, key.server(), true, null,
            key.serverPort(), false) ? null : DropReason.FIREWALL;
    }

    private boolean allowsDns(int client, int server, int proto) {
        Policy p = options.policy();
        return p == null || p.clientFor(client).firewall().accepts(proto, server, true, null,
            PacketClassifier.DNS_PORT, p.isGatewayAddress(server));
    }

    private ReplayFlow open(FlowKey key) {
        TcpConnection conn = new TcpConnection(tcpConfig, isn, tcpCounters);
        conn.open(key.server(), key.serverPort(), key.client(), key.clientPort());
        ReplayFlow f = new ReplayFlow(conn, Cidr.format(key.client()) + ":" + key.clientPort() + ">"
            + Cidr.format(key.server()) + ":" + key.serverPort());
        flows.put(key, f);
        flowCount++;
        line(f.name + " " + TcpState.CLOSED + "=>" + conn.state());
        f.lastState = conn.state();
        return f;
    }

    /** The fake SOCKS upstream answers the held SYN at once. */
    private void socks(ReplayFlow f, ByteBuffer buf, int off, int len) {
        if (options.upstream() == ReplayOptions.Upstream.ACCEPT) {
            f.conn.accept(now);
        } else {
            drop(DropReason.SOCKS_REFUSED, buf, off, len);
            f.conn.refuse();
        }
        observe(f);
    }

    /** The upstream's turn, then the connection's output; a CLOSED flow is retired. */
    private void service(ReplayFlow f) {
        if (f.conn.state().isSynchronized() || (f.conn.events() & TcpConnection.EV_ESTABLISHED) != 0) {
            f.pump();
            observe(f);
        }
        sink.flow = f;
        f.conn.poll(now, sink);
        observe(f);
        if (f.conn.state() == TcpState.CLOSED) {
            flows.values().remove(f);
        }
    }

    private void observe(ReplayFlow f) {
        TcpState s = f.conn.state();
        if (s != f.lastState) {
            line(f.name + " " + f.lastState + "=>" + s);
            f.lastState = s;
        }
    }

    /** Runs every timer due up to {@code until}, earliest first, in virtual time. */
    private void advance(long until) {
        for (int round = 0; round < MAX_TIMER_ROUNDS; round++) {
            ReplayFlow due = null;
            long when = Long.MAX_VALUE;
            for (ReplayFlow f : flows.values()) {
                long d = f.conn.nextDeadline();
                if (d < when) {
                    when = d;
                    due = f;
                }
            }
            if (due == null || when > until) {
                break;
            }
            now = Math.max(now, when);
            service(due);
        }
        now = Math.max(now, until);
    }

    private void drain() {
        advance(now + options.drainNanos());
        for (ReplayFlow f : flows.values()) {
            line(f.name + " still " + f.conn.state() + " at the end");
        }
    }

    /** A packet toward a client from a non-client: the original server's side. */
    private boolean fromOriginalServer(ByteBuffer buf, int off, int len) {
        return len >= Ipv4.MIN_HEADER_LENGTH && (buf.get(off) & 0xF0) == 0x40
            && !options.isClient(buf.getInt(off + 12)) && options.isClient(buf.getInt(off + 16));
    }

    /** A packet the original server (or the gateway that was captured) sent to a client: the upstream's data. */
    private void feedUpstream(ByteBuffer buf, int off, int len) {
        ReplayFlow f = flowOf(buf, off, len, true);
        if (f != null) {
            int ihl = (buf.get(off) & 0x0F) * 4;
            f.onServerSegment(buf, off + ihl, Math.min(len, buf.getShort(off + 2) & 0xFFFF) - ihl, serverTcp,
                serverOptions);
            service(f);
        }
    }

    /** The flow of an unfragmented IPv4 TCP packet (seen from the client, or toward it), or null. */
    private ReplayFlow flowOf(ByteBuffer buf, int off, int len, boolean towardClient) {
        if (len < Ipv4.MIN_HEADER_LENGTH || (buf.get(off) & 0xF0) != 0x40 || buf.get(off + 9) != Ipv4.PROTO_TCP
            || (buf.getShort(off + 6) & 0x3FFF) != 0) {
            return null;
        }
        int ihl = (buf.get(off) & 0x0F) * 4;
        if (ihl < Ipv4.MIN_HEADER_LENGTH || len < ihl + 20) {
            return null;
        }
        int src = buf.getInt(off + 12);
        int dst = buf.getInt(off + 16);
        int sp = buf.getShort(off + ihl) & 0xFFFF;
        int dp = buf.getShort(off + ihl + 2) & 0xFFFF;
        return flows.get(towardClient ? new FlowKey(dst, dp, src, sp) : new FlowKey(src, sp, dst, dp));
    }

    private void drop(DropReason reason, ByteBuffer buf, int off, int len) {
        drops.merge(reason, 1, Integer::sum);
        line("drop " + reason.label() + " " + describe(buf, off, len));
    }

    private static String describe(ByteBuffer buf, int off, int len) {
        int version = len > 0 ? (buf.get(off) & 0xF0) >>> 4 : -1;
        if (version != 4 || len < Ipv4.MIN_HEADER_LENGTH) {
            return "IPv" + version + " packet, " + len + " bytes";
        }
        int proto = buf.get(off + 9) & 0xFF;
        int ihl = (buf.get(off) & 0x0F) * 4;
        String src = Cidr.format(buf.getInt(off + 12));
        String dst = Cidr.format(buf.getInt(off + 16));
        boolean ports = (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP) && ihl >= 20 && len >= ihl + 4
            && (buf.getShort(off + 6) & 0x1FFF) == 0;
        if (!ports) {
            return src + ">" + dst + " proto " + proto + ", " + len + " bytes";
        }
        return src + ":" + (buf.getShort(off + ihl) & 0xFFFF) + ">" + dst + ":" + (buf.getShort(off + ihl + 2)
            & 0xFFFF) + (proto == Ipv4.PROTO_TCP ? " tcp" : " udp") + ", " + len + " bytes";
    }

    private void line(String text) {
        out.printf("+%.6f %s%n", (now - START_NANOS) / 1e9, text);
    }

    private void summary(long skippedFrames) {
        StringBuilder sb = new StringBuilder();
        sb.append("replayed ").append(packets).append(" client packets, ").append(fromServer)
            .append(" original-server packets, ").append(sentByGateway).append(" gateway-sent packets, ")
            .append(annotations).append(" drop annotations, ").append(dnsQueries).append(" DNS queries (")
            .append(skippedFrames).append(" non-IP frames skipped); ").append(flowCount).append(" flows, ")
            .append(sink.segments).append(" segments sent by the stack");
        out.println(sb);
        List<String> parts = new ArrayList<>();
        drops.forEach((r, n) -> parts.add(r.label() + "=" + n));
        out.println("drops: " + (parts.isEmpty() ? "none" : String.join(" ", parts)));
    }

    /** A flow as the client sees it. */
    private record FlowKey(int client, int clientPort, int server, int serverPort) {
    }

    /** Collects what the stack sends: our ISN and timestamps for the translation, and a count. */
    private static final class Sink implements SegmentSink {
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        private final Tcp tcp = new Tcp();
        private final TcpOptions options = new TcpOptions();
        ReplayFlow flow;
        int segments;

        @Override
        public ByteBuffer claim(int maxLength) {
            return buf.clear().position(0);
        }

        @Override
        public void commit(int length) {
            if (length <= 0) {
                return;
            }
            segments++;
            int ihl = (buf.get(0) & 0x0F) * 4;
            if (tcp.wrap(buf, ihl, length - ihl).checkLength() == WireError.OK
                && tcp.parseOptions(options) == WireError.OK && flow != null) {
                flow.onOurSegment(tcp, options);
            }
        }
    }
}
