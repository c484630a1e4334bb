package io.torgate.tor;

import java.nio.ByteBuffer;

/**
 * The isolation credentials of one stream: sent to tor as SOCKS5 username {@value #USERNAME} and, as password,
 * {@value #HEX_LENGTH} lowercase hex digits.
 *
 * <p>Why this username: tor ≥ 0.4.9.1 implements proposal 351 ("Making SOCKS5 authentication extensions
 * extensible", now the "stream isolation" section of tor's socks-extensions spec). A username starting with the
 * magic prefix {@code <torS0X>} is an extension; format {@code 0} ({@code <torS0X>0}) says "the password is the
 * isolation string, there is no RPC object". Streams whose isolation strings differ never share a circuit on a
 * {@code SocksPort} with {@code IsolateSOCKSAuth}, so one port serves every profile. Older tors just see an
 * ordinary username/password pair, which isolates the same way.
 *
 * <p>Layout of the password: the first 16 hex digits are the client tag (a keyed hash of the client address
 * only, stable across epochs), the next 32 the keyed hash of the profile's dimensions. The tag lets
 * {@link NewIdentity} recognise every circuit of one client from the credentials tor reports, without keeping a
 * table of issued keys; tor itself only ever compares whole passwords for equality.
 *
 * <p>Immutable; thread-safe.
 *
 * @param clientTag 64-bit keyed hash of the client (0 when the profile does not isolate by client)
 * @param hashHigh  high 64 bits of the dimension hash
 * @param hashLow   low 64 bits of the dimension hash
 */
public record IsolationKey(long clientTag, long hashHigh, long hashLow) {

    /** SOCKS5 username: proposal 351 extension prefix, format 0 = "password is the isolation string". */
    public static final String USERNAME = "<torS0X>0";

    /** Length in bytes of the password. */
    public static final int HEX_LENGTH = 48;

    private static final byte[] USERNAME_BYTES = USERNAME.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The username as ASCII bytes (a shared array: do not modify). */
    static byte[] usernameBytes() {
        return USERNAME_BYTES;
    }

    /** Writes the {@value #HEX_LENGTH}-byte password at the buffer's position (relative put); no allocation. */
    public void writePassword(ByteBuffer out) {
        putHex(out, clientTag);
        putHex(out, hashHigh);
        putHex(out, hashLow);
    }

    /** The 16-hex-digit client tag as it appears at the start of the password. */
    public String clientTagHex() {
        return hex(clientTag);
    }

    /** The password as a string (allocates; for logs, tests and the control port). */
    public String password() {
        return hex(clientTag) + hex(hashHigh) + hex(hashLow);
    }

    @Override
    public String toString() {
        return password();
    }

    static String hex(long v) {
        char[] c = new char[16];
        for (int i = 15; i >= 0; i--) {
            c[i] = (char) HEX[(int) (v & 0xF)];
            v >>>= 4;
        }
        return new String(c);
    }

    private static void putHex(ByteBuffer out, long v) {
        for (int shift = 60; shift >= 0; shift -= 4) {
            out.put(HEX[(int) ((v >>> shift) & 0xF)]);
        }
    }
}
