package io.torgate.gateway.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The JVM-wide name resolver of the gateway: it refuses every lookup, forward and reverse. Registered in
 * {@code META-INF/services/java.net.spi.InetAddressResolverProvider}, so any code path that would resolve a
 * name (a library calling {@code InetAddress.getByName("host")}, {@code getLocalHost()}, a reverse lookup in a
 * log formatter) fails with {@link UnknownHostException} instead of sending a DNS query in the clear. Literal
 * addresses never reach a resolver, so they keep working; names go to Tor in SOCKS requests, never here.
 *
 * <p>Stateless apart from a refusal counter; thread-safe.
 */
public final class RefusingResolverProvider extends InetAddressResolverProvider {
    private static final AtomicLong REFUSED = new AtomicLong();

    /** Lookups refused since the JVM started. */
    public static long refused() {
        return REFUSED.get();
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy lookupPolicy)
                throws UnknownHostException {
                REFUSED.incrementAndGet();
                throw new UnknownHostException("torgate never resolves names locally (refused: " + host + ")");
            }

            @Override
            public String lookupByAddress(byte[] addr) throws UnknownHostException {
                REFUSED.incrementAndGet();
                throw new UnknownHostException("torgate never resolves addresses locally");
            }
        };
    }

    @Override
    public String name() {
        return "torgate-refusing-resolver";
    }
}
