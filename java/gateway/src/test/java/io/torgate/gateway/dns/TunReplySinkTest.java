package io.torgate.gateway.dns;

import static io.torgate.gateway.dns.DnsMessages.addressOf;
import static io.torgate.gateway.dns.DnsMessages.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torgate.gateway.dns.FakeTorSocks.Answer;
import io.torgate.gateway.testing.FakeTun;
import io.torgate.gateway.testing.Packets;
import io.torgate.tor.ClientEpochs;
import io.torgate.tor.IsolationKeys;
import io.torgate.wire.Dns;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** A client's UDP datagram to port 53, handed over as a worker does, comes back as a packet written to the TUN. */
class TunReplySinkTest {
    @Test
    void answerIsWrittenToTheTunFromTheAddressQueried() throws Exception {
        FakeTun tun = new FakeTun(1500);
        IsolationKeys keys = new IsolationKeys(new byte[32], new ClientEpochs(), System::currentTimeMillis);
        try (FakeTorSocks tor = new FakeTorSocks(s -> Answer.fail(1));
             DnsService dns = new DnsService(DnsConfig.defaults().withMode(DnsConfig.Mode.MAPPED), keys, () -> true,
                 tor.address(), new TunReplySink(tun, 8))) {
            dns.start();
            byte[] query = DnsMessages.query(0xBEEF, "web.lab.test", Dns.TYPE_A, 1232);
            // The packet a client VM sends to "its" resolver 10.139.1.2; a worker passes the UDP payload on.
            ByteBuffer packet = ByteBuffer.wrap(Packets.udp("10.137.0.10", 33333, "10.139.1.2", 53, query));
            assertTrue(dns.submitUdp(Packets.ip("10.137.0.10"), 33333, Packets.ip("10.139.1.2"), 53, packet, 28,
                query.length));
            byte[] out = tun.nextWritten(5_000);
            assertNotNull(out, "reply written to the TUN");
            byte[] answer = DnsHarness.udpPayload(out, Packets.ip("10.137.0.10"), 33333, Packets.ip("10.139.1.2"));
            int address = addressOf(parse(answer, 0xBEEF, "web.lab.test", Dns.TYPE_A));
            assertEquals("web.lab.test", dns.hostnames().hostnameFor(address));
        }
    }
}
