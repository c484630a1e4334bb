package io.torgate.gateway.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Who may use the control socket: root, and members of one configured group, decided from the peer credentials of
 * the connection (SO_PEERCRED: the peer's user and effective group when it connected). Membership counts the
 * peer's effective group and the group's member list in {@code /etc/group} (supplementary membership); the file
 * is read at each check, so adding an operator to the group needs no restart.
 *
 * <p>Immutable; thread-safe.
 */
public final class PeerAuthorizer {
    private final String group;
    private final Path groupFile;

    /**
     * @param group the allowed group besides root, or null for root only
     * @param groupFile the group database, {@code /etc/group}
     */
    public PeerAuthorizer(String group, Path groupFile) {
        this.group = group;
        this.groupFile = groupFile;
    }

    public String group() {
        return group;
    }

    /**
     * @param user the peer's user name (or its numeric uid when it has no name)
     * @param peerGroup the peer's effective group name (or numeric gid)
     * @return null when allowed, else why not (for the log and the refusal message)
     */
    public String refusal(String user, String peerGroup) {
        if ("root".equals(user) || "0".equals(user)) {
            return null;
        }
        if (group == null) {
            return "only root may use this control socket (no [control] group configured)";
        }
        if (group.equals(peerGroup) || members(group).contains(user)) {
            return null;
        }
        return "user " + user + " is neither root nor a member of group " + group;
    }

    /** The member list of {@code name} in the group file (empty when absent or unreadable). */
    List<String> members(String name) {
        try {
            return members(Files.readAllLines(groupFile), name);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Parses {@code name:password:gid:user1,user2} lines (group(5)); the last field lists supplementary members. */
    static List<String> members(List<String> lines, String name) {
        for (String line : lines) {
            String[] f = line.split(":", -1);
            if (f.length == 4 && f[0].equals(name)) {
                return f[3].isEmpty() ? List.of() : List.of(f[3].split(","));
            }
        }
        return List.of();
    }
}
