package io.torgate.tor;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;

/**
 * A named isolation profile: the set of {@link IsolationDimension}s a stream's key is derived from, and an
 * optional rotation period after which every key of the profile changes (scheduled "new circuits" for the
 * profile, without closing circuits in use).
 *
 * <p>Immutable; thread-safe.
 *
 * @param name           profile name, mixed into the key so two profiles never share a circuit
 * @param dimensions     the dimensions
 * @param rotationMillis 0 for none, else keys change every this many milliseconds of the key clock
 */
public record IsolationProfile(String name, Set<IsolationDimension> dimensions, long rotationMillis) {
    /** {@code default}: client + destination address + destination port. */
    public static final IsolationProfile DEFAULT = of("default", IsolationDimension.CLIENT_ADDRESS,
            IsolationDimension.DEST_ADDRESS, IsolationDimension.DEST_PORT);
    /** {@code mail}: client + destination address, so POP-before-SMTP (same server, two ports) keeps working. */
    public static final IsolationProfile MAIL = of("mail", IsolationDimension.CLIENT_ADDRESS,
            IsolationDimension.DEST_ADDRESS);
    /** {@code browser}: client only (Tor Browser isolates by first-party itself). */
    public static final IsolationProfile BROWSER = of("browser", IsolationDimension.CLIENT_ADDRESS);
    /** TorVM's gateway SOCKS port 9050: client + the client's own SOCKS credentials. */
    public static final IsolationProfile GATEWAY_SOCKS = of("socks9050", IsolationDimension.CLIENT_ADDRESS,
            IsolationDimension.CLIENT_SOCKS_AUTH);
    /** TorVM's gateway SOCKS port 9049: like 9050, and also destination address and port. */
    public static final IsolationProfile GATEWAY_SOCKS_DEST = of("socks9049", IsolationDimension.CLIENT_ADDRESS,
            IsolationDimension.CLIENT_SOCKS_AUTH, IsolationDimension.DEST_ADDRESS, IsolationDimension.DEST_PORT);
    /** {@code paranoid}: every dimension. */
    public static final IsolationProfile PARANOID = new IsolationProfile("paranoid",
            EnumSet.allOf(IsolationDimension.class), 0);

    /** The built-in profiles, by name; a configuration may name them without defining them. */
    public static final java.util.List<IsolationProfile> BUILTIN = java.util.List.of(DEFAULT, MAIL, BROWSER, PARANOID,
            GATEWAY_SOCKS, GATEWAY_SOCKS_DEST);

    /** The built-in profile called {@code name}, or null. */
    public static IsolationProfile builtin(String name) {
        for (IsolationProfile p : BUILTIN) {
            if (p.name.equals(name)) {
                return p;
            }
        }
        return null;
    }

    public IsolationProfile {
        if (name == null || name.isEmpty() || name.length() > 64) {
            throw new IllegalArgumentException("profile name must be 1..64 characters");
        }
        if (rotationMillis < 0) {
            throw new IllegalArgumentException("rotation must be >= 0");
        }
        dimensions = dimensions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(dimensions));
    }

    /** A profile without rotation. */
    public static IsolationProfile of(String name, IsolationDimension... dims) {
        return new IsolationProfile(name, dims.length == 0 ? Set.of() : EnumSet.of(dims[0], dims), 0);
    }

    /** The same profile with keys rotating every {@code millis}. */
    public IsolationProfile withRotation(long millis) {
        return new IsolationProfile(name, dimensions, millis);
    }

    /** Bit mask of the dimensions (bit = ordinal), with EPOCH added when CLIENT_ADDRESS is present. */
    int mask() {
        int m = 0;
        for (IsolationDimension d : dimensions) {
            m |= d.bit();
        }
        if ((m & IsolationDimension.CLIENT_ADDRESS.bit()) != 0) {
            m |= IsolationDimension.EPOCH.bit();
        }
        return m;
    }

    byte[] nameBytes() {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    public boolean has(IsolationDimension d) {
        return dimensions.contains(d);
    }
}
