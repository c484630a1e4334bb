package io.torgate.gateway.relay;

import io.torgate.gateway.config.Cidr;

/** Formatting for log lines (only called when the line is actually logged). Stateless. */
final class Addresses {
    private Addresses() {
    }

    static String flow(int client, int clientPort, int destination, int destinationPort) {
        return Cidr.format(client) + ":" + clientPort + " -> " + Cidr.format(destination) + ":" + destinationPort;
    }
}
