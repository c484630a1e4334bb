package io.torgate.gateway.control;

/**
 * One command of the control socket, registered by name with {@link ControlServer#register}. It runs on a control
 * session thread (never a shard worker), so it may block briefly: e.g. wait (bounded) for a
 * {@code Pipeline.onEachShard} snapshot or a tor control-port reply.
 *
 * <p>How another module adds a command (e.g. capture):
 * <pre>{@code
 * server.register("capture", "capture start|stop|status [--json] ...", request -> {
 *     String verb = request.arg(0, "VERB");     // ControlException if missing: "error usage: ..."
 *     ...
 *     return request.json() ? ControlReply.ok(json) : ControlReply.ok(table);
 * });
 * }</pre>
 * Throw {@link ControlException} for an operator error (bad argument, unknown stream): the client gets
 * {@code error MESSAGE} and exit code 1. Any other exception is logged with its stack trace and reported as an
 * internal error; it never ends the session thread pool or the gateway.
 */
@FunctionalInterface
public interface ControlCommand {
    ControlReply run(ControlRequest request) throws Exception;
}
