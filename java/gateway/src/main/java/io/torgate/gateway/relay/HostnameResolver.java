package io.torgate.gateway.relay;

/**
 * Maps a destination address back to the host name a client asked for, when the DNS layer handed out a virtual
 * address for it ({@code mapped} mode, {@code .onion}). The relay then sends the name in CONNECT so the exit
 * resolves it. Implemented by the DNS service (issue 6).
 *
 * <p>Called on worker threads: implementations must be thread-safe and should not allocate per call.
 */
@FunctionalInterface
public interface HostnameResolver {
    /** No mapping at all: every CONNECT carries the IPv4 address. */
    HostnameResolver NONE = address -> null;

    /**
     * @param address a destination IPv4 address (as an int)
     * @return the host name to CONNECT to, or null to CONNECT to the address itself
     */
    CharSequence hostnameFor(int address);

    /**
     * True when {@code address} is a virtual address handed out by the DNS layer (mapped or not): such an address
     * is never CONNECTed to by address, so one without a name is refused.
     */
    default boolean isVirtual(int address) {
        return false;
    }
}
