package io.torgate.gateway;

import java.util.List;

/**
 * What a {@link Gateway#reload} did. Immutable.
 *
 * @param applied what changed and is in force now (e.g. {@code clients/firewalls/isolation}, {@code limits per
 *                client}); empty when the file changed nothing live
 * @param needsRestart keys or sections that differ from the running configuration but cannot change while running
 *                     ({@code tun}, {@code pipeline}, {@code tor}, ...): the running values stay until a restart
 * @param flowsReset existing flows the new firewall denies, reset (RST to the client, SOCKS socket closed)
 */
public record ReloadResult(List<String> applied, List<String> needsRestart, int flowsReset) {
    public ReloadResult {
        applied = List.copyOf(applied);
        needsRestart = List.copyOf(needsRestart);
    }

    /** One line for logs and the control socket. */
    @Override
    public String toString() {
        return "reloaded: applied " + (applied.isEmpty() ? "nothing" : String.join(", ", applied))
            + "; needs restart " + (needsRestart.isEmpty() ? "nothing" : String.join(", ", needsRestart))
            + "; " + flowsReset + " flow(s) reset by the firewall";
    }
}
