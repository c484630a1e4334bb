package io.torgate.tor;

import java.util.List;

/**
 * Chooses the {@link IsolationProfile} for a new stream: the first {@link IsolationRule} that matches the client
 * and destination port wins, else the fallback profile.
 *
 * <p>Immutable; thread-safe. {@link #profileFor} is a loop over an array: no allocation.
 */
public final class IsolationPolicy {
    /** The mail ports of the seeds: SMTP 25, POP3 110, IMAP 143, SMTPS 465, submission 587, IMAPS 993, POP3S 995. */
    public static final PortSet MAIL_PORTS = PortSet.of(25, 110, 143, 465, 587, 993, 995);

    private final IsolationRule[] rules;
    private final IsolationProfile fallback;

    public IsolationPolicy(List<IsolationRule> rules, IsolationProfile fallback) {
        this.rules = rules.toArray(new IsolationRule[0]);
        this.fallback = java.util.Objects.requireNonNull(fallback, "fallback");
    }

    /** The defaults of the seeds: mail ports use {@code mail}, everything else {@code default}. */
    public static IsolationPolicy defaults() {
        return new IsolationPolicy(List.of(new IsolationRule(null, MAIL_PORTS, IsolationProfile.MAIL)),
                IsolationProfile.DEFAULT);
    }

    /** The profile for a stream from {@code clientAddress} to {@code destPort}. */
    public IsolationProfile profileFor(int clientAddress, int destPort) {
        for (IsolationRule r : rules) {
            if (r.matches(clientAddress, destPort)) {
                return r.profile();
            }
        }
        return fallback;
    }

    public List<IsolationRule> rules() {
        return List.of(rules);
    }

    public IsolationProfile fallback() {
        return fallback;
    }
}
