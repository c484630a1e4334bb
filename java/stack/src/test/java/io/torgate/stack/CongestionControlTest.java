package io.torgate.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CongestionControlTest {
    private static final int MSS = 1000;

    @Test
    void slowStartGrowsByTheBytesAcknowledged() {
        CongestionControl cc = new CongestionControl(MSS, 10);
        assertEquals(10 * MSS, cc.cwnd());
        cc.onAck(MSS, 10 * MSS);
        assertEquals(11 * MSS, cc.cwnd());
        cc.onAck(5 * MSS, 11 * MSS);
        assertEquals(16 * MSS, cc.cwnd(), "a stretch ACK (GRO receiver) counts every byte it acknowledges");
        cc.onAck(MSS, MSS);
        assertEquals(16 * MSS, cc.cwnd(), "application-limited: no growth");
    }

    @Test
    void slowStartStopsAtSsthreshAndTheRestCountsInCongestionAvoidance() {
        CongestionControl cc = new CongestionControl(MSS, 10);
        cc.onDupAck(50_000, 24 * MSS);
        cc.onDupAck(50_000, 24 * MSS);
        cc.onDupAck(50_000, 24 * MSS);
        cc.onRetransmitTimeout(24 * MSS); // ssthresh 12 SMSS, cwnd 1 SMSS
        assertEquals(12 * MSS, cc.ssthresh());
        cc.onAck(10 * MSS, MSS);
        assertEquals(11 * MSS, cc.cwnd());
        cc.onAck(14 * MSS, 11 * MSS);
        assertEquals(13 * MSS, cc.cwnd(), "1 SMSS up to ssthresh, then 13 SMSS in CA (>= cwnd of 12): one more");
    }

    @Test
    void resetWithAnotherMssIsANewConnectionsState() {
        CongestionControl cc = new CongestionControl(MSS, 10);
        cc.onDupAck(50_000, 10 * MSS);
        cc.onDupAck(50_000, 10 * MSS);
        cc.onDupAck(50_000, 10 * MSS);
        cc.onRetransmitTimeout(10 * MSS);
        cc.reset(536);
        assertEquals(536, cc.mss());
        assertEquals(5360, cc.cwnd(), "IW of the new SMSS");
        assertEquals(CongestionControl.MAX_WINDOW, cc.ssthresh());
        assertFalse(cc.inRecovery());
        assertEquals(0, cc.dupAcks());
    }

    @Test
    void fastRetransmitAndNewRenoRecovery() {
        CongestionControl cc = new CongestionControl(MSS, 10);
        assertFalse(cc.onDupAck(50_000, 10 * MSS));
        assertFalse(cc.onDupAck(50_000, 10 * MSS));
        assertTrue(cc.onDupAck(50_000, 10 * MSS));
        assertTrue(cc.inRecovery());
        assertEquals(50_000, cc.recover());
        assertEquals(5 * MSS, cc.ssthresh());
        assertEquals(8 * MSS, cc.cwnd());
        assertFalse(cc.onDupAck(50_000, 10 * MSS));
        assertEquals(9 * MSS, cc.cwnd(), "inflation");
        cc.onPartialAck(3 * MSS);
        assertEquals(7 * MSS, cc.cwnd(), "deflate by acked, add back one SMSS");
        cc.onFullAck(49_999);
        assertTrue(cc.inRecovery(), "ack below recover does not end recovery");
        cc.onFullAck(50_000);
        assertFalse(cc.inRecovery());
        assertEquals(5 * MSS, cc.cwnd());
        assertEquals(0, cc.dupAcks());
    }

    @Test
    void congestionAvoidanceGrowsOneMssPerWindow() {
        CongestionControl cc = new CongestionControl(MSS, 4);
        cc.onRetransmitTimeout(8 * MSS);
        assertEquals(MSS, cc.cwnd());
        assertEquals(4 * MSS, cc.ssthresh());
        for (int i = 0; i < 3; i++) {
            cc.onAck(MSS, cc.cwnd());
        }
        assertEquals(4 * MSS, cc.cwnd());
        cc.onAck(2 * MSS, 4 * MSS);
        cc.onAck(2 * MSS, 4 * MSS);
        assertEquals(5 * MSS, cc.cwnd(), "one SMSS per cwnd of acked bytes");
    }

    @Test
    void timeoutAbandonsRecovery() {
        CongestionControl cc = new CongestionControl(MSS, 10);
        for (int i = 0; i < 3; i++) {
            cc.onDupAck(0, 3 * MSS);
        }
        assertEquals(2 * MSS, cc.ssthresh(), "ssthresh floor is 2 * SMSS");
        cc.onRetransmitTimeout(3 * MSS);
        assertFalse(cc.inRecovery());
        assertEquals(MSS, cc.cwnd());
    }
}
