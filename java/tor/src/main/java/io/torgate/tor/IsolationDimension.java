package io.torgate.tor;

/**
 * What a stream's isolation key may depend on. Streams whose keys differ never share a Tor circuit.
 *
 * <p>Immutable; thread-safe.
 */
public enum IsolationDimension {
    /** The client VM's address: VMs never share circuits (like tor's IsolateClientAddr). */
    CLIENT_ADDRESS,
    /** The destination address or host name as sent to tor (like IsolateDestAddr; names compared ignoring case). */
    DEST_ADDRESS,
    /** The destination port (like IsolateDestPort). */
    DEST_PORT,
    /** The SOCKS credentials a Tor-aware client gave our gateway SOCKS port (TorVM's 9050/9049). */
    CLIENT_SOCKS_AUTH,
    /**
     * The client's identity epoch, bumped by "new identity". Implied by {@link #CLIENT_ADDRESS}, because a new
     * identity for one VM has to reach every profile that tells VMs apart.
     */
    EPOCH;

    final int bit() {
        return 1 << ordinal();
    }
}
