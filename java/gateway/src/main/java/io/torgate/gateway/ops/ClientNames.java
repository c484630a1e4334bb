package io.torgate.gateway.ops;

import io.torgate.gateway.config.Cidr;
import io.torgate.gateway.policy.ClientPolicy;
import io.torgate.gateway.policy.ClientSnapshot;
import io.torgate.gateway.policy.Clients;
import java.util.ArrayList;
import java.util.List;

/**
 * Operator names of client addresses: the {@code [[clients]]} name whose range holds the address, from the live
 * policy (so a reload renames at once). Used by {@code ctl clients/streams}, {@code ctl newnym NAME} and the
 * metrics' {@code name} label. Thread-safe (reads the volatile policy).
 */
public final class ClientNames {
    private final Clients clients;

    public ClientNames(Clients clients) {
        this.clients = clients;
    }

    /** The configured name of {@code client}'s range, or null when no {@code [[clients]]} range holds it. */
    public String nameOf(int client) {
        String n = clients.policy().clientFor(client).name();
        return ClientPolicy.UNNAMED.equals(n) ? null : n;
    }

    /**
     * The addresses a name stands for: the address of a /32 range, and every address of the range the gateway has
     * seen. Empty when no client has that name.
     */
    public List<Integer> addressesOf(String name) {
        List<Integer> out = new ArrayList<>();
        for (ClientPolicy p : clients.policy().clients()) {
            if (p.name().equals(name) && p.range().prefixLength() == 32) {
                out.add(p.range().network());
            }
        }
        for (ClientSnapshot s : clients.snapshot()) {
            if (name.equals(s.name()) && s.address() != 0 && !out.contains(s.address())) {
                out.add(s.address());
            }
        }
        return out;
    }

    /** The name when configured, else the dotted address. */
    public String label(int client) {
        String n = nameOf(client);
        return n != null ? n : Cidr.format(client);
    }
}
