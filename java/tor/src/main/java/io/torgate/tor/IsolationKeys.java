package io.torgate.tor;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Derives {@link IsolationKey}s: HMAC-SHA256, keyed with a per-process random secret, over the dimensions the
 * stream's {@link IsolationProfile} chooses. Keyed so that tor (and anything reading its control port or logs)
 * learns nothing about client addresses or destinations from the credentials, only equality.
 *
 * <p>Input encoding (unambiguous: every field has a fixed length or a length prefix): profile name length + name,
 * dimension mask, then for each chosen dimension in order: client address (4 bytes); destination as {@code 'H'}
 * + length + lowercased ASCII name, or {@code 'A'} + 4-byte address; port (2 bytes); client SOCKS credentials as
 * 2-byte length + bytes ({@code 0xFFFF} for none); epoch (8 bytes); then the rotation slot (8 bytes) when the
 * profile rotates. The client tag is a separate HMAC over a distinct prefix and the client address alone.
 *
 * <p>Thread-safe: each thread gets its own {@link Mac} and scratch buffer (a {@link ThreadLocal}), so a derivation
 * costs two HMACs and one small result allocation, and every thread derives the same key for the same inputs.
 */
public final class IsolationKeys {
    private static final int TAG_DOMAIN = 0x54;  // 'T': the client-tag input, never a valid profile-name length

    private final SecretKeySpec secret;
    private final ClientEpochs epochs;
    private final LongSupplier clockMillis;
    private final ThreadLocal<Scratch> scratch;

    private static final class Scratch {
        final Mac mac;
        // name 1+64, mask 1, client 4, destination 2+255, port 2, auth 2+511, epoch 8, slot 8: 858 at most.
        final byte[] in = new byte[1024];
        final byte[] out = new byte[32];

        Scratch(SecretKeySpec key) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is required by every Java SE platform", e);
            }
        }
    }

    /** Keys with a fresh random secret, the given epochs and the system clock for rotation. */
    public IsolationKeys(ClientEpochs epochs) {
        this(randomSecret(), epochs, System::currentTimeMillis);
    }

    /** Keys with an explicit secret (32 bytes recommended) and clock (tests, benchmarks). */
    public IsolationKeys(byte[] secret, ClientEpochs epochs, LongSupplier clockMillis) {
        this.secret = new SecretKeySpec(secret.clone(), "HmacSHA256");
        this.epochs = epochs;
        this.clockMillis = clockMillis;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(this.secret));
    }

    private static byte[] randomSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }

    public ClientEpochs epochs() {
        return epochs;
    }

    /** The client tag used as the first 16 hex digits of every key of {@code client}. */
    public long clientTag(int client) {
        Scratch s = scratch.get();
        byte[] b = s.in;
        b[0] = (byte) TAG_DOMAIN;
        int n = putInt(b, 1, client);
        return mac(s, n, 0);
    }

    /**
     * The key of a stream.
     *
     * @param profile    the profile chosen by the {@link IsolationPolicy}
     * @param client     client VM address
     * @param destHost   destination host name as sent to tor, or null when the destination is an address
     * @param destIpv4   destination address (used when {@code destHost} is null)
     * @param destPort   destination port
     * @param clientAuth the credentials the client gave our gateway SOCKS port, or null
     */
    public IsolationKey derive(IsolationProfile profile, int client, CharSequence destHost, int destIpv4,
                               int destPort, byte[] clientAuth) {
        Scratch s = scratch.get();
        byte[] b = s.in;
        int mask = profile.mask();
        String name = profile.name();
        int n = 0;
        b[n++] = (byte) name.length();
        for (int i = 0; i < name.length(); i++) {
            b[n++] = (byte) name.charAt(i);
        }
        b[n++] = (byte) mask;
        if ((mask & IsolationDimension.CLIENT_ADDRESS.bit()) != 0) {
            n = putInt(b, n, client);
        }
        if ((mask & IsolationDimension.DEST_ADDRESS.bit()) != 0) {
            n = putDestination(b, n, destHost, destIpv4);
        }
        if ((mask & IsolationDimension.DEST_PORT.bit()) != 0) {
            b[n++] = (byte) (destPort >>> 8);
            b[n++] = (byte) destPort;
        }
        if ((mask & IsolationDimension.CLIENT_SOCKS_AUTH.bit()) != 0) {
            n = putAuth(b, n, clientAuth);
        }
        if ((mask & IsolationDimension.EPOCH.bit()) != 0) {
            n = putLong(b, n, epochs.epoch(client));
        }
        if (profile.rotationMillis() > 0) {
            n = putLong(b, n, clockMillis.getAsLong() / profile.rotationMillis());
        }
        long hi = mac(s, n, 0);
        long lo = readLong(s.out, 8);
        long tag = (mask & IsolationDimension.CLIENT_ADDRESS.bit()) != 0 ? clientTag(client) : 0L;
        return new IsolationKey(tag, hi, lo);
    }

    private static int putDestination(byte[] b, int n, CharSequence host, int ipv4) {
        if (host == null) {
            b[n++] = 'A';
            return putInt(b, n, ipv4);
        }
        int len = Math.min(host.length(), 255);
        b[n++] = 'H';
        b[n++] = (byte) len;
        for (int i = 0; i < len; i++) {
            char c = host.charAt(i);
            // Tor compares destination addresses case-insensitively (strcasecmp), so must we.
            b[n++] = (byte) (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        return n;
    }

    private static int putAuth(byte[] b, int n, byte[] auth) {
        if (auth == null) {
            b[n++] = (byte) 0xFF;
            b[n++] = (byte) 0xFF;
            return n;
        }
        int len = Math.min(auth.length, 511);
        b[n++] = (byte) (len >>> 8);
        b[n++] = (byte) len;
        System.arraycopy(auth, 0, b, n, len);
        return n + len;
    }

    private static long mac(Scratch s, int len, int offset) {
        try {
            s.mac.update(s.in, 0, len);
            s.mac.doFinal(s.out, 0);
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        return readLong(s.out, offset);
    }

    private static int putInt(byte[] b, int n, int v) {
        b[n] = (byte) (v >>> 24);
        b[n + 1] = (byte) (v >>> 16);
        b[n + 2] = (byte) (v >>> 8);
        b[n + 3] = (byte) v;
        return n + 4;
    }

    private static int putLong(byte[] b, int n, long v) {
        putInt(b, n, (int) (v >>> 32));
        return putInt(b, n + 4, (int) v);
    }

    private static long readLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xFF);
        }
        return v;
    }
}
