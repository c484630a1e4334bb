package io.torgate.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlClientTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    @Test
    void parsesStreamEventWithEscapedQuotedStrings() {
        StreamEvent e = StreamEvent.parse("STREAM 42 SUCCEEDED 7 example.com:443 SOCKS_USERNAME=\"<torS0X>0\" "
                + "SOCKS_PASSWORD=\"pa\\\"ss\\\\wo\\nrd\\101\" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=3 SESSION_GROUP=-2 "
                + "ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,SESSION_GROUP,NYM_EPOCH");
        assertNotNull(e);
        assertEquals("42", e.streamId());
        assertEquals("SUCCEEDED", e.status());
        assertEquals("7", e.circuitId());
        assertEquals("example.com:443", e.target());
        assertEquals(443, e.targetPort());
        assertEquals("<torS0X>0", e.socksUsername());
        assertEquals("pa\"ss\\wo\nrdA", e.socksPassword());
        assertEquals("3", e.nymEpoch());
        assertEquals("-2", e.sessionGroup());
        assertEquals("SOCKS_USERNAME,SOCKS_PASSWORD,SESSION_GROUP,NYM_EPOCH", e.isoFields());
        assertNull(StreamEvent.parse("STREAM 1 NEW"));
        assertNull(StreamEvent.parse("CIRC 1 BUILT"));
    }

    @Test
    void parsesCircuitEventsAndStatusLines() {
        CircuitEvent c = CircuitEvent.parseEvent("CIRC 5 BUILT $AAAA~relay1,$BBBB~relay2 BUILD_FLAGS=NEED_CAPACITY "
                + "PURPOSE=GENERAL TIME_CREATED=2026-11-22T10:00:00.000000 SOCKS_USERNAME=\"<torS0X>0\" "
                + "SOCKS_PASSWORD=\"abc\"");
        assertNotNull(c);
        assertEquals("5", c.circuitId());
        assertEquals("BUILT", c.status());
        assertEquals("$AAAA~relay1,$BBBB~relay2", c.path());
        assertEquals("abc", c.socksPassword());
        assertEquals("GENERAL", c.purpose());
        CircuitEvent launched = CircuitEvent.parseEvent("CIRC 6 LAUNCHED BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL");
        assertEquals("", launched.path());
        assertEquals("GENERAL", launched.purpose());
        assertNull(CircuitEvent.parseStatusLine(""));
    }

    @Test
    void readsMultiLineAndDataReplies() throws Exception {
        String status = "250+circuit-status=\n1 BUILT $A~a,$B~b PURPOSE=GENERAL SOCKS_PASSWORD=\"k1\"\n"
                + "..dotstuffed\n2 BUILT $C~c PURPOSE=GENERAL\n.\n250-version=0.4.9.11\n250 OK";
        try (FakeControlServer s = new FakeControlServer(cmd -> cmd.startsWith("GETINFO") ? status : "250 OK");
             ControlClient c = ControlClient.connect(s.address(), null)) {
            Map<String, String> info = c.getInfo("circuit-status", "version");
            assertEquals("0.4.9.11", info.get("version"));
            List<String> lines = List.of(info.get("circuit-status").split("\n"));
            assertEquals(3, lines.size());
            assertEquals(".dotstuffed", lines.get(1));
            List<CircuitEvent> circuits = c.circuitStatus();
            assertEquals("k1", circuits.get(0).socksPassword());
            assertEquals(2, circuits.size(), "the malformed line is skipped");
            assertEquals("2", circuits.get(1).circuitId());
            assertEquals("GETINFO circuit-status version", s.received.get(0));
        }
    }

    @Test
    void deliversEventsOnReaderThreadBetweenReplies() throws Exception {
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        ControlEventListener l = new ControlEventListener() {
            @Override
            public void onStream(StreamEvent e) {
                events.add(e);
            }

            @Override
            public void onCircuit(CircuitEvent e) {
                events.add(e);
            }

            @Override
            public void onOther(ControlReply e) {
                events.add(e);
            }
        };
        try (FakeControlServer s = new FakeControlServer(cmd -> cmd.startsWith("SETEVENTS")
                ? "650 STREAM 9 NEW 0 a.example:80 SOURCE_ADDR=127.0.0.1:5000 PURPOSE=USER\n250 OK" : "250 OK");
             ControlClient c = ControlClient.connect(s.address(), l)) {
            c.setEvents("STREAM", "CIRC", "STATUS_CLIENT");
            StreamEvent e = (StreamEvent) events.poll(5, TimeUnit.SECONDS);
            assertEquals("9", e.streamId());
            s.send("650 CIRC 3 CLOSED $A~a REASON=REQUESTED");
            assertEquals("CLOSED", ((CircuitEvent) events.poll(5, TimeUnit.SECONDS)).status());
            s.send("650-STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100\n650 OK");
            ControlReply other = (ControlReply) events.poll(5, TimeUnit.SECONDS);
            assertEquals(2, other.lines().size());
            assertTrue(other.firstText().startsWith("STATUS_CLIENT"));
            c.signal("NEWNYM");
            assertEquals("SIGNAL NEWNYM", s.received.get(1));
        }
    }

    @Test
    void closeCircuitReportsUnknownCircuit() throws Exception {
        try (FakeControlServer s = new FakeControlServer(cmd -> cmd.endsWith(" 1") ? "250 OK"
                : "552 Unknown circuit \"2\"");
             ControlClient c = ControlClient.connect(s.address(), null)) {
            assertTrue(c.closeCircuit("1"));
            assertFalse(c.closeCircuit("2"));
            ControlException e = assertThrows(ControlException.class, () -> c.commandOk("SIGNAL BOGUS 2"));
            assertEquals(552, e.status());
        }
    }

    @Test
    void authenticatesWithSafeCookie(@TempDir Path dir) throws Exception {
        byte[] cookie = new byte[32];
        for (int i = 0; i < 32; i++) {
            cookie[i] = (byte) i;
        }
        Path file = dir.resolve("control \"auth\" cookie");
        Files.write(file, cookie);
        byte[] serverNonce = new byte[32];
        java.util.Arrays.fill(serverNonce, (byte) 7);
        byte[][] clientNonce = new byte[1][];
        String quoted = ControlSyntax.quote(file.toString());
        CountDownLatch authed = new CountDownLatch(1);
        try (FakeControlServer s = new FakeControlServer(cmd -> {
            if (cmd.equals("PROTOCOLINFO 1")) {
                return "250-PROTOCOLINFO 1\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=" + quoted
                        + "\n250-VERSION Tor=\"0.4.9.11\"\n250 OK";
            }
            if (cmd.startsWith("AUTHCHALLENGE SAFECOOKIE ")) {
                clientNonce[0] = HEX.parseHex(cmd.substring(25));
                byte[] h = ControlAuth.hmac(ControlAuth.SERVER_KEY, cookie, clientNonce[0], serverNonce);
                return "250 AUTHCHALLENGE SERVERHASH=" + HEX.formatHex(h)
                        + " SERVERNONCE=" + HEX.formatHex(serverNonce);
            }
            if (cmd.startsWith("AUTHENTICATE ")) {
                byte[] h = ControlAuth.hmac(ControlAuth.CLIENT_KEY, cookie, clientNonce[0], serverNonce);
                if (cmd.substring(13).equals(HEX.formatHex(h))) {
                    authed.countDown();
                    return "250 OK";
                }
                return "515 Authentication failed";
            }
            return "510 Unrecognized command";
        }); ControlClient c = ControlClient.connect(s.address(), null)) {
            ProtocolInfo info = ControlAuth.authenticate(c, null);
            assertEquals(file, info.cookieFile());
            assertEquals("0.4.9.11", info.torVersion());
            assertTrue(info.methods().contains("SAFECOOKIE"));
            assertTrue(authed.await(1, TimeUnit.SECONDS));
        }
    }

    @Test
    void rejectsWrongServerHash(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cookie");
        Files.write(file, new byte[32]);
        try (FakeControlServer s = new FakeControlServer(cmd -> cmd.startsWith("AUTHCHALLENGE")
                ? "250 AUTHCHALLENGE SERVERHASH=" + "00".repeat(32) + " SERVERNONCE=" + "11".repeat(32)
                : "250 OK"); ControlClient c = ControlClient.connect(s.address(), null)) {
            IOException e = assertThrows(IOException.class, () -> ControlAuth.authenticateSafeCookie(c, new byte[32]));
            assertTrue(e.getMessage().contains("SERVERHASH"));
        }
    }

    @Test
    void cookieAndPasswordAuthSendTheRightCommands() throws Exception {
        try (FakeControlServer s = new FakeControlServer(cmd -> "250 OK");
             ControlClient c = ControlClient.connect(s.address(), null)) {
            ControlAuth.authenticateCookie(c, new byte[] {1, (byte) 0xAB});
            ControlAuth.authenticatePassword(c, "se\"cret");
            assertEquals("AUTHENTICATE 01AB", s.received.get(0));
            assertEquals("AUTHENTICATE \"se\\\"cret\"", s.received.get(1));
        }
    }

    @Test
    void pendingCommandFailsWhenConnectionDrops() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        try (FakeControlServer s = new FakeControlServer(cmd -> null);
             ControlClient c = ControlClient.connect(s.address(), new ControlEventListener() {
                 @Override
                 public void onClosed() {
                     closed.countDown();
                 }
             })) {
            assertThrows(IOException.class, () -> c.command("GETINFO version"));
            assertTrue(closed.await(5, TimeUnit.SECONDS));
            assertFalse(c.isOpen());
            assertThrows(IOException.class, () -> c.command("GETINFO version"));
        }
    }

    @Test
    void malformedReplyLineEndsConnection() throws Exception {
        try (FakeControlServer s = new FakeControlServer(cmd -> "garbage");
             ControlClient c = ControlClient.connect(s.address(), null)) {
            assertThrows(IOException.class, () -> c.command("GETINFO version"));
        }
    }
}
