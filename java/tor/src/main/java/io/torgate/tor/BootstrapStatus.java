package io.torgate.tor;

/**
 * Tor's bootstrap phase from {@code GETINFO status/bootstrap-phase} (control-spec §4.1.10,
 * {@code NOTICE BOOTSTRAP PROGRESS=n TAG=t SUMMARY="..."}).
 *
 * <p>Immutable; thread-safe.
 *
 * @param progress 0..100, or -1 if unparseable
 * @param tag      e.g. "done", "conn_or", or ""
 * @param summary  human-readable text, or ""
 */
public record BootstrapStatus(int progress, String tag, String summary) {
    public static BootstrapStatus parse(String value) {
        ControlSyntax.Tokens t = ControlSyntax.tokenize(value);
        int progress;
        try {
            progress = Integer.parseInt(t.keywords().getOrDefault("PROGRESS", "-1"));
        } catch (NumberFormatException e) {
            progress = -1;
        }
        return new BootstrapStatus(progress, t.keywords().getOrDefault("TAG", ""),
                t.keywords().getOrDefault("SUMMARY", ""));
    }

    public boolean done() {
        return progress >= 100;
    }
}
