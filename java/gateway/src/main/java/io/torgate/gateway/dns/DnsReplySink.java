package io.torgate.gateway.dns;

import java.nio.ByteBuffer;

/**
 * Where the DNS agent puts UDP answers: complete IPv4/UDP packets (checksums filled) addressed from the address
 * and port the query was sent to, back to the client. The gateway's implementation is {@link TunReplySink},
 * which writes them straight to the TUN device.
 *
 * <p>Thread-safety: called on the DNS agent thread only; {@link #send} must copy the bytes before returning.
 */
public interface DnsReplySink {
    /** One reply packet at {@code packet[offset, offset + length)}. */
    void send(ByteBuffer packet, int offset, int length);

    /** End of a burst of sends: write what is batched. */
    void flush();
}
