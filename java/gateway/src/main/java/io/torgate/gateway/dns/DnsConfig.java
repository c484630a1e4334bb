package io.torgate.gateway.dns;

import io.torgate.tor.IsolationDimension;
import io.torgate.tor.IsolationProfile;
import java.nio.file.Path;

/**
 * Settings of the DNS service. Immutable; thread-safe.
 *
 * @param mode                 {@link Mode#RESOLVE} or {@link Mode#MAPPED} ({@code .onion} is mapped in both)
 * @param profile              isolation profile of RESOLVE/RESOLVE_PTR streams (see {@link DnsService} for why
 *                             the default isolates by client only)
 * @param positiveTtl          TTL in seconds given to answers from Tor (tor reports none we could pass on)
 * @param negativeTtl          TTL in seconds of NXDOMAIN/NODATA answers and their SOA (RFC 2308)
 * @param mappedTtl            TTL in seconds of virtual-address answers
 * @param cacheEntries         resolve-mode cache capacity over all clients (LRU beyond it)
 * @param virtualNetwork       network address of the virtual range (default 10.192.0.0)
 * @param virtualPrefix        its prefix length (default 10)
 * @param mapEntries           most names in the virtual map (LRU beyond it)
 * @param mapFile              where the virtual map is persisted, or null for none
 * @param mapSaveMillis        how often a changed map is saved
 * @param queriesPerSecond     token-bucket rate per client
 * @param burst                token-bucket depth per client
 * @param outstandingPerClient queries of one client waiting for Tor at once; more get SERVFAIL
 * @param lookups              RESOLVE exchanges in flight at once (pre-allocated)
 * @param queueSlots           request slots between workers and the agent (pre-allocated)
 * @param resolveTimeoutMillis a RESOLVE not answered in this time gives SERVFAIL
 * @param udpPayloadSize       our EDNS UDP payload size (RFC 6891 section 6.2.5; 1232 avoids fragmentation)
 */
public record DnsConfig(Mode mode, IsolationProfile profile, int positiveTtl, int negativeTtl, int mappedTtl,
                        int cacheEntries, int virtualNetwork, int virtualPrefix, int mapEntries, Path mapFile,
                        long mapSaveMillis, double queriesPerSecond, int burst, int outstandingPerClient,
                        int lookups, int queueSlots, long resolveTimeoutMillis, int udpPayloadSize) {

    /** How A queries for ordinary names are answered. */
    public enum Mode { RESOLVE, MAPPED }

    /** The default DNS isolation profile: the client VM (and its epoch), nothing else. */
    public static final IsolationProfile DNS_PROFILE = IsolationProfile.of("dns", IsolationDimension.CLIENT_ADDRESS);

    public DnsConfig {
        if (positiveTtl < 0 || negativeTtl < 0 || mappedTtl < 0 || cacheEntries < 1 || mapEntries < 1
            || queriesPerSecond <= 0 || burst < 1 || outstandingPerClient < 1 || lookups < 1 || queueSlots < 1
            || resolveTimeoutMillis < 1 || udpPayloadSize < 512) {
            throw new IllegalArgumentException("invalid DNS settings: " + this);
        }
        java.util.Objects.requireNonNull(mode, "mode");
        java.util.Objects.requireNonNull(profile, "profile");
    }

    /**
     * Defaults: resolve mode, client isolation, 300 s positive and 60 s negative TTL, 600 s mapped TTL, 16384
     * cached answers, 10.192.0.0/10 with 65536 names, no map file, 50 queries/s with a burst of 100 per client, 64
     * outstanding per client, 256 lookups, 1024 queue slots, 20 s resolve timeout, EDNS size 1232.
     */
    public static DnsConfig defaults() {
        return new DnsConfig(Mode.RESOLVE, DNS_PROFILE, 300, 60, 600, 16384, 0x0AC0_0000, 10, 65536, null,
            10_000, 50, 100, 64, 256, 1024, 20_000, 1232);
    }

    public DnsConfig withMode(Mode m) {
        return new DnsConfig(m, profile, positiveTtl, negativeTtl, mappedTtl, cacheEntries, virtualNetwork,
            virtualPrefix, mapEntries, mapFile, mapSaveMillis, queriesPerSecond, burst, outstandingPerClient,
            lookups, queueSlots, resolveTimeoutMillis, udpPayloadSize);
    }

    public DnsConfig withMap(int entries, Path file) {
        return new DnsConfig(mode, profile, positiveTtl, negativeTtl, mappedTtl, cacheEntries, virtualNetwork,
            virtualPrefix, entries, file, mapSaveMillis, queriesPerSecond, burst, outstandingPerClient, lookups,
            queueSlots, resolveTimeoutMillis, udpPayloadSize);
    }

    public DnsConfig withLimits(double qps, int burstSize, int outstanding) {
        return new DnsConfig(mode, profile, positiveTtl, negativeTtl, mappedTtl, cacheEntries, virtualNetwork,
            virtualPrefix, mapEntries, mapFile, mapSaveMillis, qps, burstSize, outstanding, lookups, queueSlots,
            resolveTimeoutMillis, udpPayloadSize);
    }

    public DnsConfig withTimeout(long millis) {
        return new DnsConfig(mode, profile, positiveTtl, negativeTtl, mappedTtl, cacheEntries, virtualNetwork,
            virtualPrefix, mapEntries, mapFile, mapSaveMillis, queriesPerSecond, burst, outstandingPerClient,
            lookups, queueSlots, millis, udpPayloadSize);
    }
}
