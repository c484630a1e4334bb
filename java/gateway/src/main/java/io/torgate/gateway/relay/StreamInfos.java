package io.torgate.gateway.relay;

import java.io.IOException;
import java.net.InetSocketAddress;

/** Builds {@link StreamInfo}s from a shard's flows, on the shard's thread. Stateless. */
final class StreamInfos {
    private StreamInfos() {
    }

    static StreamInfo of(Flow f, HostnameResolver names, long now) {
        CharSequence host = names.hostnameFor(f.destination);
        String local = null;
        if (f.channel != null && f.channel.isOpen()) {
            try {
                if (f.channel.getLocalAddress() instanceof InetSocketAddress a) {
                    local = a.getAddress().getHostAddress() + ":" + a.getPort();
                }
            } catch (IOException e) {
                local = null; // closed under us: no source address to match
            }
        }
        return new StreamInfo(f.id, f.client, f.clientPort, f.destination, f.destinationPort,
            host == null ? null : host.toString(), phaseName(f.phase), f.profile,
            f.isolationKey == null ? null : f.isolationKey.password(), local, (now - f.openedAt) / 1_000_000,
            f.bytesUp, f.bytesDown, f.openedAt);
    }

    private static String phaseName(int phase) {
        return switch (phase) {
            case Flow.CONNECTING -> "connecting";
            case Flow.RELAYING -> "relaying";
            case Flow.DNS -> "dns";
            case Flow.SOCKS_REQUEST -> "socks-request";
            case Flow.SOCKS_UPSTREAM -> "socks-upstream";
            case Flow.SOCKS_CLOSING -> "socks-closing";
            default -> "closing";
        };
    }
}
