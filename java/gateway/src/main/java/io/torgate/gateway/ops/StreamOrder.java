package io.torgate.gateway.ops;

import io.torgate.gateway.ops.TorStreams.Match;
import io.torgate.gateway.ops.TorStreams.TorStream;
import io.torgate.gateway.relay.StreamInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Pairs our streams of one isolation key and target with tor's streams of the same key and target (a Unix
 * SocksPort gives nothing else to go by), using only what time proves: tor's stream {@code t} can be our stream
 * {@code s} only if {@code t}'s first event arrived after {@code s}'s SYN ({@code s.openedNanos() <= t.seenNanos()}:
 * the SYN comes before our CONNECT, which comes before tor's NEW event).
 *
 * <p>Ours sorted by SYN time are {@code s_0..s_n-1}, tor's sorted by first event {@code t_0..t_m-1}; {@code t_j}
 * can be any of the first {@code p_j} of ours (those opened before it was seen), so the candidates are nested
 * prefixes. A tor stream seen before the group's first SYN is provably none of ours (a sibling whose CLOSED event
 * is on its way) and is left out; every other one is taken to be one of ours. Then {@code t_0..t_j} own exactly
 * {@code s_0..s_j} whenever {@code p_j == j + 1}: such a {@code j} closes a block. A block of one is an exact pair
 * ({@link TorStreams#BY_KEY}); in a longer block each of its tor streams could be any of its streams, so each of
 * them is {@link TorStreams#AMBIGUOUS}. After the last block, ours that no tor stream can be yet get no match, and
 * those in an unfinished block (more of ours than of tor's) are ambiguous. If some {@code p_j < j + 1} (more tor
 * streams than ours that could own them) the assumption is wrong and the whole group is ambiguous.
 *
 * <p>Stateless; called on a control session thread with snapshots.
 */
final class StreamOrder {
    private StreamOrder() {
    }

    /** Adds a {@link Match} to {@code out} for each of {@code mine} that tor has a stream for (exact or not). */
    static void pair(List<StreamInfo> mine, List<TorStream> tor, Map<Long, Match> out) {
        List<StreamInfo> s = new ArrayList<>(mine);
        s.sort(Comparator.comparingLong(StreamInfo::openedNanos).thenComparingLong(StreamInfo::id));
        long firstSyn = s.get(0).openedNanos();
        List<TorStream> t = new ArrayList<>();
        for (TorStream x : tor) {
            if (x.seenNanos() >= firstSyn) {
                t.add(x);
            }
        }
        t.sort(Comparator.comparingLong(TorStream::seenNanos).thenComparingLong(TorStream::streamId));
        int m = t.size();
        int[] p = new int[m];
        int k = 0;
        for (int j = 0; j < m; j++) {
            while (k < s.size() && s.get(k).openedNanos() <= t.get(j).seenNanos()) {
                k++;
            }
            p[j] = k;
            if (k < j + 1) {
                ambiguous(s, t, out);
                return;
            }
        }
        int block = 0; // first index (of ours and of tor's) of the block not closed yet
        for (int j = 0; j < m; j++) {
            if (p[j] == j + 1) {
                if (j == block) {
                    out.put(s.get(j).id(), new Match(t.get(j).streamId(), t.get(j).circuitId(), TorStreams.BY_KEY));
                } else {
                    ambiguous(s.subList(block, j + 1), t.subList(block, j + 1), out);
                }
                block = j + 1;
            }
        }
        if (block < m) {
            ambiguous(s.subList(block, p[m - 1]), t.subList(block, m), out);
        }
    }

    /** Each of {@code ours} could be any of {@code candidates}: the circuit only when they all share one. */
    private static void ambiguous(List<StreamInfo> ours, List<TorStream> candidates, Map<Long, Match> out) {
        String circuit = null;
        for (TorStream c : candidates) {
            if ("0".equals(c.circuitId()) || circuit != null && !circuit.equals(c.circuitId())) {
                circuit = null;
                break;
            }
            circuit = c.circuitId();
        }
        for (StreamInfo x : ours) {
            out.put(x.id(), new Match(-1, circuit, TorStreams.AMBIGUOUS));
        }
    }
}
