package io.torgate.tor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Control-port authentication (control-spec §3.5 AUTHENTICATE, §3.24 AUTHCHALLENGE): SAFECOOKIE, COOKIE,
 * HASHEDPASSWORD and NULL.
 *
 * <p>SAFECOOKIE is preferred: the controller proves knowledge of the cookie with an HMAC over both nonces instead
 * of sending it, and checks tor's HMAC first, so a process impersonating tor on the socket learns nothing that
 * would let it authenticate to the real tor.
 *
 * <p>Stateless; thread-safe.
 */
public final class ControlAuth {
    static final String SERVER_KEY = "Tor safe cookie authentication server-to-controller hash";
    static final String CLIENT_KEY = "Tor safe cookie authentication controller-to-server hash";
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private ControlAuth() {
    }

    /**
     * Authenticates with the best method tor offers: SAFECOOKIE, COOKIE (reading the cookie file tor names),
     * HASHEDPASSWORD when a password is given, else NULL.
     */
    public static ProtocolInfo authenticate(ControlClient c, String password) throws IOException {
        ProtocolInfo info = c.protocolInfo();
        if (password != null && info.methods().contains("HASHEDPASSWORD")) {
            authenticatePassword(c, password);
        } else if (info.methods().contains("SAFECOOKIE") && info.cookieFile() != null) {
            authenticateSafeCookie(c, Files.readAllBytes(info.cookieFile()));
        } else if (info.methods().contains("COOKIE") && info.cookieFile() != null) {
            authenticateCookie(c, Files.readAllBytes(info.cookieFile()));
        } else if (info.methods().contains("NULL")) {
            c.commandOk("AUTHENTICATE");
        } else {
            throw new IOException("no usable control authentication method among " + info.methods());
        }
        return info;
    }

    /** SAFECOOKIE: AUTHCHALLENGE with a random nonce, verify SERVERHASH, answer with our HMAC. */
    public static void authenticateSafeCookie(ControlClient c, byte[] cookie) throws IOException {
        byte[] clientNonce = new byte[32];
        new SecureRandom().nextBytes(clientNonce);
        ControlReply r = c.commandOk("AUTHCHALLENGE SAFECOOKIE " + HEX.formatHex(clientNonce));
        ControlSyntax.Tokens t = ControlSyntax.tokenize(r.firstText());
        String serverHash = t.keywords().get("SERVERHASH");
        String serverNonce = t.keywords().get("SERVERNONCE");
        if (!"AUTHCHALLENGE".equals(t.positional(0)) || serverHash == null || serverNonce == null) {
            throw new IOException("malformed AUTHCHALLENGE reply: " + r);
        }
        byte[] nonce;
        byte[] theirs;
        try {
            nonce = HEX.parseHex(serverNonce);
            theirs = HEX.parseHex(serverHash);
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed AUTHCHALLENGE reply: " + r, e);
        }
        byte[] expected = hmac(SERVER_KEY, cookie, clientNonce, nonce);
        if (!MessageDigest.isEqual(expected, theirs)) {
            throw new IOException("tor's SERVERHASH does not match the cookie: wrong cookie file or not tor");
        }
        c.commandOk("AUTHENTICATE " + HEX.formatHex(hmac(CLIENT_KEY, cookie, clientNonce, nonce)));
    }

    /** COOKIE: send the cookie itself in hex. */
    public static void authenticateCookie(ControlClient c, byte[] cookie) throws IOException {
        c.commandOk("AUTHENTICATE " + HEX.formatHex(cookie));
    }

    /** HASHEDPASSWORD: send the password as a QuotedString. */
    public static void authenticatePassword(ControlClient c, String password) throws IOException {
        c.commandOk("AUTHENTICATE " + ControlSyntax.quote(password));
    }

    /** HMAC-SHA256(key, cookie | clientNonce | serverNonce), the SAFECOOKIE hashes. */
    static byte[] hmac(String key, byte[] cookie, byte[] clientNonce, byte[] serverNonce) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
            mac.update(cookie);
            mac.update(clientNonce);
            mac.update(serverNonce);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by every Java SE platform", e);
        }
    }
}
