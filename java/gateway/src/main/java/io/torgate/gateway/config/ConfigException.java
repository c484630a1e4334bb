package io.torgate.gateway.config;

import java.util.List;

/**
 * A configuration that cannot be used. {@link #errors()} lists every problem found, each naming the file, the
 * line and column, and the key, e.g. {@code torgate.toml:12:1: pipeline.workers: must be 1..64 (got 0)}.
 */
public final class ConfigException extends Exception {
    private final List<String> errors;

    public ConfigException(List<String> errors) {
        super(String.join("\n", errors));
        this.errors = List.copyOf(errors);
    }

    /** Every error, one line each. */
    public List<String> errors() {
        return errors;
    }
}
