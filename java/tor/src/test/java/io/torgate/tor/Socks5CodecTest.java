package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Socks5CodecTest {
    private static final HexFormat HEX = HexFormat.of();

    private static ByteBuffer hex(String s) {
        return ByteBuffer.wrap(HEX.parseHex(s.replace(" ", "")));
    }

    private static String written(ByteBuffer out) {
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return HEX.formatHex(b);
    }

    @Test
    void buildsGreetings() {
        ByteBuffer out = ByteBuffer.allocate(8);
        assertEquals(3, Socks5Codec.putGreeting(out, Socks5Codec.METHOD_USERNAME_PASSWORD));
        assertEquals("050102", written(out));
        out.clear();
        Socks5Codec.putGreeting(out, Socks5Codec.METHOD_NO_AUTH);
        assertEquals("050100", written(out));
    }

    @Test
    void buildsAuthWithIsolationKey() {
        ByteBuffer out = ByteBuffer.allocate(100);
        IsolationKey key = new IsolationKey(0x0123456789abcdefL, 1L, -1L);
        assertEquals(3 + 9 + 48, Socks5Codec.putAuth(out, key));
        String expected = "01" + "09" + HEX.formatHex("<torS0X>0".getBytes()) + "30"
                + HEX.formatHex(("0123456789abcdef" + "0000000000000001" + "ffffffffffffffff").getBytes());
        assertEquals(expected, written(out));
    }

    @Test
    void buildsRawAuthAndRejectsBadCredentials() {
        ByteBuffer out = ByteBuffer.allocate(600);
        assertEquals(6, Socks5Codec.putAuth(out, new byte[] {'u'}, new byte[] {'p', 'w'}));
        assertEquals("0101750270" + "77", written(out));
        out.clear();
        assertEquals(Socks5Codec.ERR_BAD_CREDENTIALS, Socks5Codec.putAuth(out, new byte[0], new byte[] {1}));
        assertEquals(Socks5Codec.ERR_BAD_CREDENTIALS, Socks5Codec.putAuth(out, new byte[1], new byte[256]));
        assertEquals(0, out.position());
    }

    @Test
    void buildsConnectRequests() {
        ByteBuffer out = ByteBuffer.allocate(300);
        assertEquals(10, Socks5Codec.putConnectIpv4(out, 0x0a000102, 443));
        assertEquals("05010001" + "0a000102" + "01bb", written(out));
        out.clear();
        assertEquals(7 + 11, Socks5Codec.putConnectHost(out, "example.com", 80));
        assertEquals("05010003" + "0b" + HEX.formatHex("example.com".getBytes()) + "0050", written(out));
    }

    @Test
    void buildsTorResolveRequests() {
        ByteBuffer out = ByteBuffer.allocate(300);
        Socks5Codec.putResolve(out, "a.onion");
        assertEquals("05f00003" + "07" + HEX.formatHex("a.onion".getBytes()) + "0000", written(out));
        out.clear();
        Socks5Codec.putResolvePtr(out, 0x01020304);
        assertEquals("05f10001" + "01020304" + "0000", written(out));
    }

    @Test
    void rejectsBadHostNamesAndSmallBuffers() {
        ByteBuffer out = ByteBuffer.allocate(300);
        assertEquals(Socks5Codec.ERR_BAD_HOSTNAME, Socks5Codec.putConnectHost(out, "", 80));
        assertEquals(Socks5Codec.ERR_BAD_HOSTNAME, Socks5Codec.putConnectHost(out, "a b", 80));
        assertEquals(Socks5Codec.ERR_BAD_HOSTNAME, Socks5Codec.putConnectHost(out, "bücher.de", 80));
        assertEquals(Socks5Codec.ERR_BAD_HOSTNAME, Socks5Codec.putResolve(out, "x".repeat(256)));
        assertEquals(7 + 255, Socks5Codec.putResolve(out, "x".repeat(255)));
        ByteBuffer small = ByteBuffer.allocate(9);
        assertEquals(Socks5Codec.ERR_BUFFER_TOO_SMALL, Socks5Codec.putConnectIpv4(small, 1, 1));
        assertEquals(Socks5Codec.ERR_BUFFER_TOO_SMALL, Socks5Codec.putConnectHost(small, "abc", 1));
        assertEquals(0, small.position());
    }

    @Test
    void parsesMethodSelection() {
        assertEquals(Socks5Codec.NEED_MORE, Socks5Codec.parseMethodSelection(hex("05"), 2));
        ByteBuffer ok = hex("0502");
        assertEquals(2, Socks5Codec.parseMethodSelection(ok, 2));
        assertEquals(2, ok.position());
        assertEquals(Socks5Codec.ERR_NO_ACCEPTABLE_METHOD, Socks5Codec.parseMethodSelection(hex("05ff"), 2));
        assertEquals(Socks5Codec.ERR_UNEXPECTED_METHOD, Socks5Codec.parseMethodSelection(hex("0500"), 2));
        assertEquals(Socks5Codec.ERR_BAD_VERSION, Socks5Codec.parseMethodSelection(hex("0402"), 2));
    }

    @Test
    void parsesAuthReply() {
        assertEquals(Socks5Codec.NEED_MORE, Socks5Codec.parseAuthReply(hex("01")));
        assertEquals(2, Socks5Codec.parseAuthReply(hex("0100")));
        assertEquals(Socks5Codec.ERR_AUTH_REJECTED, Socks5Codec.parseAuthReply(hex("0101")));
        assertEquals(Socks5Codec.ERR_BAD_VERSION, Socks5Codec.parseAuthReply(hex("0500")));
    }

    @Test
    void parsesIpv4SuccessReply() {
        Socks5Reply r = new Socks5Reply();
        ByteBuffer in = hex("05000001 7f000001 1f90 6869"); // followed by stream data "hi"
        assertEquals(10, Socks5Codec.parseReply(in, r));
        assertEquals(SocksReply.SUCCEEDED, r.reply());
        assertEquals(Socks5Reply.ATYP_IPV4, r.addressType());
        assertEquals(0x7f000001, r.ipv4());
        assertEquals(8080, r.port());
        assertEquals(10, in.position());
    }

    @Test
    void parsesTenByteFailureReplyWithAddressTypeZero() {
        Socks5Reply r = new Socks5Reply();
        assertEquals(10, Socks5Codec.parseReply(hex("05040000 00000000 0000"), r));
        assertEquals(SocksReply.HOST_UNREACHABLE, r.reply());
        assertEquals(Socks5Reply.ATYP_NONE, r.addressType());
        assertEquals(10, Socks5Codec.parseReply(hex("05f60001 00000000 0000"), r));
        assertEquals(SocksReply.ONION_INVALID_ADDRESS, r.reply());
    }

    @Test
    void parsesResolveReplies() {
        Socks5Reply r = new Socks5Reply();
        assertEquals(22, Socks5Codec.parseReply(hex("05000004 20010db8000000000000000000000001 0000"), r));
        byte[] v6 = new byte[16];
        r.copyIpv6(v6);
        assertArrayEquals(HEX.parseHex("20010db8000000000000000000000001"), v6);
        String name = "host.example";
        ByteBuffer ptr = hex("05000003 0c" + HEX.formatHex(name.getBytes()) + "0000");
        assertEquals(7 + 12, Socks5Codec.parseReply(ptr, r));
        assertEquals(Socks5Reply.ATYP_DOMAIN, r.addressType());
        assertEquals(name, r.domain());
    }

    @Test
    void toleratesUnknownCodesAndNonZeroReserved() {
        Socks5Reply r = new Socks5Reply();
        assertEquals(10, Socks5Codec.parseReply(hex("05f8ff01 00000000 0000"), r));
        assertEquals(SocksReply.UNKNOWN, r.reply());
        assertEquals(0xf8, r.code());
    }

    @Test
    void needsMoreForEveryTruncation() {
        byte[] full = HEX.parseHex("05000003 05 6162636465 0050".replace(" ", ""));
        Socks5Reply r = new Socks5Reply();
        for (int n = 0; n < full.length; n++) {
            ByteBuffer part = ByteBuffer.wrap(full, 0, n);
            assertEquals(Socks5Codec.NEED_MORE, Socks5Codec.parseReply(part, r), "prefix " + n);
            assertEquals(0, part.position());
        }
        assertEquals(full.length, Socks5Codec.parseReply(ByteBuffer.wrap(full), r));
        assertEquals(80, r.port());
    }

    @Test
    void rejectsBadVersionAndAddressType() {
        Socks5Reply r = new Socks5Reply();
        assertEquals(Socks5Codec.ERR_BAD_VERSION, Socks5Codec.parseReply(hex("04000001 00000000 0000"), r));
        assertEquals(Socks5Codec.ERR_BAD_ADDRESS_TYPE, Socks5Codec.parseReply(hex("05000002 00000000 0000"), r));
        assertEquals("bad_address_type", Socks5Codec.errorName(Socks5Codec.ERR_BAD_ADDRESS_TYPE));
    }

    @Test
    void mapsEveryCodeToAnAction() {
        for (int code = 0; code < 256; code++) {
            SocksReply r = SocksReply.of(code);
            assertEquals(code == 0, r.tcpAction() == ClientAction.PROCEED, "code " + code);
            assertEquals(code == 0, r.dnsAction() == ClientAction.PROCEED, "code " + code);
            boolean known = code <= 8 || (code >= 0xF0 && code <= 0xF7);
            assertEquals(known ? code : -1, r.code());
        }
        assertEquals(SocksReply.UNKNOWN, SocksReply.of(-3));
        assertEquals(SocksReply.UNKNOWN, SocksReply.of(300));
    }
}
