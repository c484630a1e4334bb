package io.torgate.gateway.control;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed control request: {@code COMMAND [ARG...] [--json]}, words separated by blanks, one line of at most
 * {@link #MAX_BYTES} bytes. Immutable.
 *
 * @param command the command name
 * @param args the arguments in order, without {@code --json}
 * @param json whether {@code --json} was given (machine-readable output)
 * @param peer who asked: {@code user(uid)/group} from the peer credentials, for logs
 */
public record ControlRequest(String command, List<String> args, boolean json, String peer) {
    /** Longest request line, newline included. */
    public static final int MAX_BYTES = 4096;
    /** Most words in a request. */
    public static final int MAX_WORDS = 64;

    public ControlRequest {
        args = List.copyOf(args);
    }

    /**
     * Parses one request line (without its newline).
     *
     * @throws ControlException for an empty line, control characters or too many words
     */
    public static ControlRequest parse(String line, String peer) throws ControlException {
        List<String> words = new ArrayList<>();
        boolean json = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                throw new ControlException("bad request: control character 0x" + Integer.toHexString(c)
                    + " at column " + (i + 1));
            }
        }
        for (String w : line.trim().split("[ \t]+")) {
            if (w.isEmpty()) {
                continue;
            }
            if ("--json".equals(w)) {
                json = true;
            } else {
                words.add(w);
            }
        }
        if (words.isEmpty()) {
            throw new ControlException("bad request: empty (send a command such as 'help')");
        }
        if (words.size() > MAX_WORDS) {
            throw new ControlException("bad request: more than " + MAX_WORDS + " words");
        }
        return new ControlRequest(words.get(0), words.subList(1, words.size()), json, peer);
    }

    /** Argument {@code i}, or a usage error naming it. */
    public String arg(int i, String name) throws ControlException {
        if (i >= args.size()) {
            throw new ControlException("usage: " + command + " " + name + " (missing " + name + ")");
        }
        return args.get(i);
    }
}
