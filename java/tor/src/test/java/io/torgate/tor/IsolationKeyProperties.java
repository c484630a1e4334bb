package io.torgate.tor;

import java.util.Objects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Keys are equal exactly when the dimensions a profile selects are equal (no collisions, nothing ignored that
 * should count, nothing counted that should be ignored). Inputs are drawn from small domains so equal values
 * occur often.
 */
class IsolationKeyProperties {
    private static final IsolationKeys KEYS = new IsolationKeys(new byte[] {7}, new ClientEpochs(), () -> 0L);
    private static final IsolationProfile[] PROFILES = {IsolationProfile.DEFAULT, IsolationProfile.MAIL,
        IsolationProfile.BROWSER, IsolationProfile.PARANOID, IsolationProfile.GATEWAY_SOCKS};

    record Stream(int client, String host, int ip, int port, String auth) {
        IsolationKey key(IsolationProfile p) {
            return KEYS.derive(p, client, host, ip, port, auth == null ? null : auth.getBytes());
        }

        boolean sameFor(IsolationProfile p, Stream o) {
            boolean dest = host == null ? o.host == null && ip == o.ip : host.equalsIgnoreCase(String.valueOf(o.host));
            return (!p.has(IsolationDimension.CLIENT_ADDRESS) || client == o.client)
                    && (!p.has(IsolationDimension.DEST_ADDRESS) || dest)
                    && (!p.has(IsolationDimension.DEST_PORT) || port == o.port)
                    && (!p.has(IsolationDimension.CLIENT_SOCKS_AUTH) || Objects.equals(auth, o.auth));
        }
    }

    @Provide
    Arbitrary<Stream> streams() {
        return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(1, 3),
                Arbitraries.of("a.example", "A.example", "b.example").injectNull(0.5),
                Arbitraries.integers().between(1, 3), Arbitraries.of(25, 80, 443),
                Arbitraries.of("u1", "u2").injectNull(0.5)).as(Stream::new);
    }

    @Property(tries = 2000)
    boolean keysEqualExactlyWhenSelectedDimensionsAreEqual(@ForAll("streams") Stream a, @ForAll("streams") Stream b,
                                                          @ForAll int profileIndex) {
        IsolationProfile p = PROFILES[Math.floorMod(profileIndex, PROFILES.length)];
        return a.key(p).equals(b.key(p)) == a.sameFor(p, b);
    }
}
