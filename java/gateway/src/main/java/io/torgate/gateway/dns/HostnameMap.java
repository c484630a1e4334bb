package io.torgate.gateway.dns;

import io.torgate.gateway.relay.HostnameResolver;

/**
 * What the TCP relay asks before it opens a SOCKS CONNECT: is the destination one of our virtual addresses, and
 * if so which host name it stands for. A CONNECT to a virtual address must carry the name
 * ({@code Socks5Client.startConnect(channel, hostName, port, key)}), so the exit resolves it (and tor reaches an
 * onion service), and the isolation key's destination is that name.
 *
 * <p>It is the relay's {@link HostnameResolver}: pass {@code dnsService.hostnames()} to the {@code RelayHandler}.
 *
 * <p>Thread-safety: implementations are safe to call from any worker thread, lock-free and allocation-free.
 */
public interface HostnameMap extends HostnameResolver {
    /** The host name mapped to {@code address} (an IPv4 address as an int), or null when it is not mapped. */
    @Override
    String hostnameFor(int address);

    /** True when {@code address} lies in the virtual range (mapped or not): never CONNECT to it by address. */
    boolean isVirtual(int address);
}
