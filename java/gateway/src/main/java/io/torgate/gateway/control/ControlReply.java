package io.torgate.gateway.control;

/**
 * The answer to one control request. On the wire: a status line ({@code ok} or {@code error MESSAGE}), then the
 * body (UTF-8 text, a table or JSON), then the server closes the connection.
 *
 * @param ok whether the command succeeded
 * @param message the error message (one line), or "" when ok
 * @param body the output
 */
public record ControlReply(boolean ok, String message, String body) {
    public ControlReply {
        message = message.replace('\n', ' ');
    }

    public static ControlReply ok(String body) {
        return new ControlReply(true, "", body);
    }

    public static ControlReply error(String message) {
        return new ControlReply(false, message, "");
    }
}
