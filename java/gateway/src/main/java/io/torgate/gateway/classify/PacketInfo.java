package io.torgate.gateway.classify;

/**
 * What the classifier learnt about one packet: its verdict, the drop reason if any, and the parsed addressing so
 * the owning worker does not parse the IP header again. A mutable holder, reused for many packets (the ring's
 * events extend it); it owns no packet bytes.
 *
 * <p>Thread-safety: written by the classifying thread before the event is published, read by workers after; the
 * ring's publication gives the happens-before edge.
 */
public class PacketInfo {
    /** Not served: counted under {@link #reason} and answered per the drop policy only if {@link #REJECT}. */
    public static final int DROP = 0;
    /** Not served, and the owner worker answers with a TCP RST or an ICMP administratively-prohibited. */
    public static final int REJECT = 1;
    /**
     * A TCP segment for the stack (a new flow or an existing one). Its checksum has been verified over the
     * pseudo-header, or the kernel vouched for it (virtio-net DATA_VALID / NEEDS_CSUM): the stack parses it with
     * {@code TcpSegment.parseChecksumVerified} and does not verify again.
     */
    public static final int TCP = 2;
    /** A DNS query over UDP (to any address, port 53). */
    public static final int DNS_UDP = 3;

    /** One of the verdict constants above. */
    public int verdict;
    /** Why, when the verdict is DROP or REJECT; otherwise null. */
    public DropReason reason;
    /** IPv4 protocol number (6, 17, ...), or -1 when the packet is not parsable IPv4. */
    public int protocol;
    /** Source and destination IPv4 addresses, as ints. */
    public int sourceAddress;
    public int destinationAddress;
    /** Transport ports, 0 when not TCP/UDP. */
    public int sourcePort;
    public int destinationPort;
    /** Absolute index of the IPv4 header and of the transport header in the slot buffer. */
    public int ipOffset;
    public int transportOffset;
    /** Length of the IP packet (from its total-length field) and of the transport segment/datagram. */
    public int ipLength;
    public int transportLength;
    /** Symmetric 4-tuple hash (same value for both directions of a flow). */
    public int flowHash;

    /** Clears everything but leaves the object reusable. */
    public final void clear() {
        verdict = DROP;
        reason = null;
        protocol = -1;
        sourceAddress = 0;
        destinationAddress = 0;
        sourcePort = 0;
        destinationPort = 0;
        ipOffset = 0;
        transportOffset = 0;
        ipLength = 0;
        transportLength = 0;
        flowHash = 0;
    }

    /**
     * Symmetric hash of a 4-tuple: swapping (source, destination) gives the same value, so both directions of a
     * flow land on one shard. XOR pairs the two ends; a murmur3 finaliser spreads the bits for {@code % workers}.
     */
    public static int flowHash(int srcAddr, int srcPort, int dstAddr, int dstPort) {
        int h = (srcAddr ^ dstAddr) * 0x9E3779B1 + (srcPort ^ dstPort);
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }
}
