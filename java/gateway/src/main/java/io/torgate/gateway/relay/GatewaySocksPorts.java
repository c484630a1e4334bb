package io.torgate.gateway.relay;

import io.torgate.tor.IsolationProfile;
import java.util.List;

/**
 * Which flows are for the gateway's own SOCKS ports (TorVM semantics) and with which isolation profile: a TCP
 * flow to one of the gateway addresses on the client-auth port ({@link IsolationProfile#GATEWAY_SOCKS},
 * {@code socks9050}) or the destination port ({@link IsolationProfile#GATEWAY_SOCKS_DEST}, {@code socks9049}).
 *
 * <p>Immutable; thread-safe. {@link #profileFor} loops over an array and never allocates.
 */
public final class GatewaySocksPorts {
    /** No SOCKS ports served. */
    public static final GatewaySocksPorts NONE = new GatewaySocksPorts(List.of(), -1, -1);

    private final int[] addresses;
    private final int clientAuthPort;
    private final int destinationPort;

    /**
     * @param gatewayAddresses the gateway's own IPv4 addresses
     * @param clientAuthPort port isolating by client + client credentials (TorVM 9050), or -1 for none
     * @param destinationPort port isolating also by destination (TorVM 9049), or -1 for none
     */
    public GatewaySocksPorts(List<Integer> gatewayAddresses, int clientAuthPort, int destinationPort) {
        this.addresses = gatewayAddresses.stream().mapToInt(Integer::intValue).toArray();
        this.clientAuthPort = clientAuthPort;
        this.destinationPort = destinationPort;
    }

    /** The profile of a flow to {@code address:port}, or null when that is not a gateway SOCKS port. */
    public IsolationProfile profileFor(int address, int port) {
        if (port != clientAuthPort && port != destinationPort) {
            return null;
        }
        for (int a : addresses) {
            if (a == address) {
                return port == clientAuthPort ? IsolationProfile.GATEWAY_SOCKS : IsolationProfile.GATEWAY_SOCKS_DEST;
            }
        }
        return null;
    }

    /** The served ports (to add to the classifier's served TCP ports). */
    public List<Integer> ports() {
        return clientAuthPort < 0 ? List.of() : List.of(clientAuthPort, destinationPort);
    }
}
