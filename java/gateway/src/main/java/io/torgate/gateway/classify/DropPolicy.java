package io.torgate.gateway.classify;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * What to do with each class of unserved packet: stay silent ({@link Action#DROP}, the default, like TorVM) or
 * fail fast ({@link Action#REJECT}: TCP RST, ICMP administratively prohibited for UDP).
 *
 * <p>Immutable and thread-safe; a reload builds a new instance.
 */
public final class DropPolicy {
    /** Per-class action. */
    public enum Action {
        DROP("drop"), REJECT("reject"),
        /** ICMP administratively prohibited for TCP too (Qubes' firewall answer); only for {@code firewall}. */
        PROHIBIT("prohibit");

        private final String label;

        Action(String label) {
            this.label = label;
        }

        /** Config spelling: {@code drop} or {@code reject}. */
        public String label() {
            return label;
        }
    }

    private static final DropPolicy ALL_DROP = new DropPolicy(new EnumMap<>(DropReason.class));

    private final Action[] actions = new Action[DropReason.COUNT];

    private DropPolicy(Map<DropReason, Action> overrides) {
        Arrays.fill(actions, Action.DROP);
        overrides.forEach((reason, action) -> {
            if (action != Action.DROP && !reason.rejectable()) {
                throw new IllegalArgumentException("'" + reason.label() + "' can only be dropped, not rejected");
            }
            if (action == Action.PROHIBIT && reason != DropReason.FIREWALL) {
                throw new IllegalArgumentException("'" + reason.label() + "' can be \"drop\" or \"reject\" only");
            }
            actions[reason.ordinal()] = action;
        });
    }

    /** Drop everything silently. */
    public static DropPolicy dropAll() {
        return ALL_DROP;
    }

    /**
     * A policy with the given classes overridden (others drop).
     *
     * @throws IllegalArgumentException when REJECT is asked for a class that may only be dropped
     */
    public static DropPolicy of(Map<DropReason, Action> overrides) {
        return new DropPolicy(overrides);
    }

    /** The action for a class. Allocation-free. */
    public Action action(DropReason reason) {
        return actions[reason.ordinal()];
    }

    /** True when the class is answered with RST/ICMP. */
    public boolean rejects(DropReason reason) {
        return actions[reason.ordinal()] != Action.DROP;
    }
}
