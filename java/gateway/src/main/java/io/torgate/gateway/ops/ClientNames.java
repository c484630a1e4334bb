package io.torgate.gateway.ops;

import io.torgate.gateway.config.Cidr;

/**
 * Operator names of client addresses (from the configuration's clients, when configured), used by
 * {@code ctl clients}, {@code ctl newnym CLIENT} and the metrics' {@code client} label. Implementations are
 * immutable and thread-safe.
 */
public interface ClientNames {
    /** No names configured: clients are shown by address. */
    ClientNames NONE = new ClientNames() {
        @Override
        public String nameOf(int client) {
            return null;
        }

        @Override
        public int addressOf(String name) {
            return -1;
        }
    };

    /** The configured name of {@code client}, or null. */
    String nameOf(int client);

    /** The address of the client named {@code name}, or -1. */
    int addressOf(String name);

    /** The name when configured, else the dotted address. */
    default String label(int client) {
        String n = nameOf(client);
        return n != null ? n : Cidr.format(client);
    }
}
