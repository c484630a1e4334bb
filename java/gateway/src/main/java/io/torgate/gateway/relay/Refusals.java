package io.torgate.gateway.relay;

import io.torgate.gateway.classify.DropCounters;
import io.torgate.gateway.classify.DropPolicy;
import io.torgate.gateway.classify.DropReason;
import io.torgate.gateway.classify.RejectWriter;
import io.torgate.gateway.pipeline.PacketEvent;
import io.torgate.gateway.pipeline.TxQueue;
import io.torgate.tor.ClientAction;
import io.torgate.tor.SocksReply;
import io.torgate.wire.Icmp;
import io.torgate.wire.Ipv4;
import io.torgate.wire.Tcp;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;

/**
 * The answers a worker sends when it refuses something without a connection to do it: a RST for a segment no
 * flow takes, and the ICMP unreachable a SOCKS reply maps to for a held SYN. Every refusal is counted and logged
 * at debug level.
 *
 * <p>Ownership: one per worker, confined to its thread. Never allocates.
 */
final class Refusals {
    private static final Logger LOG = System.getLogger(Refusals.class.getName());

    private final RejectWriter rejects = new RejectWriter();
    private DropCounters counters;
    private TxQueue tx;

    /** Binds the worker's counters and transmit queue (on the worker thread, before the first packet). */
    void start(DropCounters workerCounters, TxQueue workerTx) {
        this.counters = workerCounters;
        this.tx = workerTx;
    }

    /** Counts a refused packet and answers it with a RST (RFC 9293 3.10.7.1; never for a RST). */
    void reset(PacketEvent event, ByteBuffer buf, DropReason reason) {
        count(event, buf, reason);
        int off = tx.claim();
        tx.commit(rejects.tcpReset(buf, event, tx.buffer(), off));
    }

    /**
     * Counts a packet the client's firewall denied (a SYN or a DNS datagram) and answers it as the policy says:
     * {@code DROP} nothing, {@code REJECT} a RST for TCP and ICMP administratively prohibited for UDP,
     * {@code PROHIBIT} ICMP administratively prohibited for both (RFC 1812 5.2.7.1, code 13).
     */
    void firewall(PacketEvent event, ByteBuffer buf, DropReason reason, DropPolicy.Action answer) {
        if (answer == DropPolicy.Action.REJECT && event.protocol == Ipv4.PROTO_TCP) {
            reset(event, buf, reason);
            return;
        }
        count(event, buf, reason);
        if (answer != DropPolicy.Action.DROP) {
            int off = tx.claim();
            tx.commit(rejects.icmpProhibited(buf, event, tx.buffer(), off));
        }
    }

    /** The bare ACK a TIME-WAIT tuple answers with (RFC 9293 3.10.7.4), from the address the client sent to. */
    void timeWaitAck(PacketEvent event, int seq, int ack) {
        int off = tx.claim();
        tx.commit(rejects.writeReset(tx.buffer(), off, event.destinationAddress, event.destinationPort,
            event.sourceAddress, event.sourcePort, seq, ack, Tcp.ACK));
    }

    /** Counts a refused packet without answering it, and reports it to capture as dropped. */
    void count(PacketEvent event, ByteBuffer buf, DropReason reason) {
        counters.increment(reason);
        tx.capture().dropped(buf, event.ipOffset, event.ipLength, reason);
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "{0}: refused: {1}", Addresses.flow(event.sourceAddress, event.sourcePort,
                event.destinationAddress, event.destinationPort), reason.label());
        }
    }

    /**
     * Answers a held SYN that tor refused with the ICMP unreachable its reply maps to
     * ({@link SocksReply#tcpAction()}: "not allowed" → prohibited, "host unreachable" → host, a bad onion
     * address → net), so the client fails fast with a meaningful error. The caller then drops the flow without a
     * RST.
     *
     * @return false when the action is not an ICMP one (nothing sent; the caller sends a RST)
     */
    boolean icmp(Flow f, ClientAction action) {
        int code = switch (action) {
            case ICMP_UNREACHABLE_NET -> Icmp.CODE_NET_UNREACHABLE;
            case ICMP_UNREACHABLE_HOST -> Icmp.CODE_HOST_UNREACHABLE;
            case ICMP_PROHIBITED -> Icmp.CODE_ADMIN_PROHIBITED;
            default -> -1;
        };
        if (code < 0) {
            return false;
        }
        counters.increment(DropReason.SOCKS_REFUSED);
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "{0}: SOCKS reply {1} → ICMP unreachable code {2}", f, f.socks.reply().reply(),
                code);
        }
        int off = tx.claim();
        // The client's ISN is RCV.NXT - 1 while its SYN is held.
        tx.commit(rejects.icmpUnreachable(code, f.client, f.clientPort, f.destination, f.destinationPort,
            f.conn.rcvNxt() - 1, tx.buffer(), off));
        return true;
    }
}
