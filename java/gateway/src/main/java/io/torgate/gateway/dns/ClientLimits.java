package io.torgate.gateway.dns;

/**
 * Per-client query admission: a token bucket (rate {@code qps}, depth {@code burst}) and a count of queries
 * waiting for Tor. Clients are VMs, so there are few; they live in an open-addressing table of fixed size, and
 * once it is full every new client shares one overflow entry (a burst of spoofed-looking clients then limits
 * itself, never the known ones).
 *
 * <p>Allocation-free. Ownership: confined to the DNS agent thread. Not thread-safe.
 */
final class ClientLimits {
    private static final int CELLS = 1024;
    private static final int MAX_CLIENTS = CELLS / 2;

    private final double tokensPerNano;
    private final double burst;
    private final int maxOutstanding;
    /** Per-client rates from the gateway's policy, or null for the one rate above. */
    private final DnsRateLimit rates;
    private final int[] keys = new int[CELLS];
    private final boolean[] used = new boolean[CELLS];
    private final double[] tokens = new double[CELLS + 1];
    private final long[] refilled = new long[CELLS + 1];
    private final int[] outstanding = new int[CELLS + 1];
    private int clients;

    ClientLimits(double qps, int burst, int maxOutstanding) {
        this(qps, burst, maxOutstanding, null);
    }

    /** With {@code rates} deciding each client's rate instead of {@code qps}/{@code burst} (when not null). */
    ClientLimits(double qps, int burst, int maxOutstanding, DnsRateLimit rates) {
        this.rates = rates;
        this.tokensPerNano = qps / 1e9;
        this.burst = burst;
        this.maxOutstanding = maxOutstanding;
    }

    /** The entry of {@code client} (created full on first sight). */
    int entry(int client, long now) {
        int i = mix(client) & (CELLS - 1);
        while (used[i]) {
            if (keys[i] == client) {
                return i;
            }
            i = (i + 1) & (CELLS - 1);
        }
        if (clients == MAX_CLIENTS) {
            if (refilled[CELLS] == 0) {
                refilled[CELLS] = now;
                tokens[CELLS] = burst;
            }
            return CELLS;
        }
        used[i] = true;
        keys[i] = client;
        clients++;
        tokens[i] = burst;
        refilled[i] = now;
        return i;
    }

    /** Takes one token of {@code client} (at {@code entry}); false when its bucket is empty. */
    boolean tryAcquire(int entry, int client, long now) {
        if (rates != null) {
            return rates.tryAcquire(client, now);
        }
        double t = Math.min(burst, tokens[entry] + (now - refilled[entry]) * tokensPerNano);
        refilled[entry] = now;
        if (t < 1) {
            tokens[entry] = t;
            return false;
        }
        tokens[entry] = t - 1;
        return true;
    }

    /** Counts one more query waiting for Tor; false (and no change) at the cap. */
    boolean beginOutstanding(int entry) {
        if (outstanding[entry] >= maxOutstanding) {
            return false;
        }
        outstanding[entry]++;
        return true;
    }

    void endOutstanding(int entry) {
        if (outstanding[entry] > 0) {
            outstanding[entry]--;
        }
    }

    private static int mix(int x) {
        int h = x * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
