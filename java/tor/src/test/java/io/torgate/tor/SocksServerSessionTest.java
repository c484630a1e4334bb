package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SocksServerSessionTest {
    private static final HexFormat HEX = HexFormat.of();
    private final SocksServerSession session = new SocksServerSession();
    private final ByteBuffer out = ByteBuffer.allocate(64);

    private int feed(String hex) {
        return session.consume(ByteBuffer.wrap(HEX.parseHex(hex.replace(" ", ""))), out);
    }

    private String replies() {
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        out.clear();
        return HEX.formatHex(b);
    }

    @Test
    void socks5NoAuthConnectByNameFedByteByByte() {
        byte[] all = HEX.parseHex(("050100" + "05010003 0b" + HEX.formatHex("example.com".getBytes()) + "01bb")
                .replace(" ", ""));
        ByteBuffer in = ByteBuffer.allocate(all.length);
        int r = SocksServerSession.NEED_MORE;
        for (byte b : all) {
            in.put(b).flip();
            r = session.consume(in, out);
            in.compact();
        }
        assertEquals(SocksServerSession.REQUEST, r);
        assertEquals(0, in.position(), "everything consumed");
        assertEquals("0500", replies());
        SocksRequest req = session.request();
        assertEquals(5, req.version());
        assertEquals(Socks5Codec.CMD_CONNECT, req.command());
        assertEquals("example.com", req.host());
        assertEquals(443, req.port());
        assertFalse(req.hasCredentials());
        assertNull(req.credentials());
        session.writeReply(out, SocksReply.SUCCEEDED, 0, 0);
        assertEquals("05000001000000000000", replies());
    }

    @Test
    void socks5UsernamePasswordPipelined() {
        assertEquals(SocksServerSession.REQUEST, feed("05020002" + "01 02 7573 03 707764" + "05010001 c0000201 0050"));
        assertEquals("0502" + "0100", replies());
        SocksRequest req = session.request();
        assertTrue(req.hasCredentials());
        assertArrayEquals(HEX.parseHex("05 02 7573 03 707764".replace(" ", "")), req.credentials());
        assertEquals(0xC0000201, req.ipv4());
        assertFalse(req.hasHost());
    }

    @Test
    void socks5RefusesUnsupportedMethodsCommandsAndAddresses() {
        assertEquals(SocksServerSession.ERROR, feed("050101"));
        assertEquals("05ff", replies());
        session.reset();
        assertEquals(SocksServerSession.ERROR, feed("050100 05020001 01020304 0050"));
        assertEquals("0500" + "05070001000000000000", replies());
        session.reset();
        assertEquals(SocksServerSession.ERROR, feed("050100 05010004 " + "00".repeat(16) + "0050"));
        assertEquals("0500" + "05080001000000000000", replies());
        session.reset();
        assertEquals(SocksServerSession.ERROR, feed("050100 05010009 0000"));
        assertEquals("0500" + "05080001000000000000", replies());
        session.reset();
        assertEquals(SocksServerSession.ERROR, feed("050100 05010003 03 612062 0050"));
        assertEquals("0500" + "05010001000000000000", replies(), "a host name with a space is refused");
    }

    @Test
    void socks5ResolveAndResolvePtr() {
        assertEquals(SocksServerSession.REQUEST, feed("050100 05f00003 03 616263 0000"));
        assertEquals(Socks5Codec.CMD_RESOLVE, session.request().command());
        replies();
        session.writeReply(out, SocksReply.SUCCEEDED, 0x0A000001, 0);
        assertEquals("050000010a0000010000", replies());
        session.reset();
        assertEquals(SocksServerSession.REQUEST, feed("050100 05f10001 0a000001 0000"));
        replies();
        session.writeResolvedName(out, "ab.example");
        assertEquals("0500000" + "30a" + HEX.formatHex("ab.example".getBytes()) + "0000", replies());
    }

    @Test
    void socks4AndSocks4a() {
        assertEquals(SocksServerSession.REQUEST, feed("04010050 c0000201 757365 00"));
        SocksRequest req = session.request();
        assertEquals(4, req.version());
        assertEquals(0xC0000201, req.ipv4());
        assertEquals(80, req.port());
        assertArrayEquals(HEX.parseHex("0403757365" + "00"), req.credentials());
        session.writeReply(out, SocksReply.SUCCEEDED, 0, 0);
        assertEquals("005a000000000000", replies());
        session.reset();
        String socks4a = "040101bb 00000001 00" + HEX.formatHex("x.onion".getBytes()) + "00";
        assertEquals(SocksServerSession.REQUEST, feed(socks4a));
        assertEquals("x.onion", session.request().host());
        assertFalse(session.request().hasCredentials());
        session.writeReply(out, SocksReply.HOST_UNREACHABLE, 0, 0);
        assertEquals("005b000000000000", replies(), "SOCKS4 knows only granted/rejected");
    }

    @Test
    void socks4NeedsMoreUntilNulAndRejectsOverlongUserId() {
        assertEquals(SocksServerSession.NEED_MORE, feed("04010050 c0000201 7573"));
        assertEquals("", replies());
        session.reset();
        assertEquals(SocksServerSession.ERROR, feed("04010050 c0000201" + "41".repeat(300)));
        assertEquals("005b000000000000", replies());
        session.reset();
        assertEquals(SocksServerSession.ERROR, feed("04020050 c0000201 00"), "BIND is refused");
    }

    @Test
    void notSocksAtAllIsClosedWithoutReply() {
        assertEquals(SocksServerSession.ERROR, feed(HEX.formatHex("GET / HTTP/1.1\r\n".getBytes())));
        assertEquals("", replies());
        assertEquals(SocksServerSession.ERROR, feed("050100"), "a finished session accepts nothing more");
    }
}
