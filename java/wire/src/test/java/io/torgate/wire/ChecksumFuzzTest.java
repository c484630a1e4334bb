package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Fuzz target for {@link Checksum}: the fast eight-bytes-at-a-time sum equals the word-at-a-time RFC 1071
 * reference for any bytes, offset, length and byte order, and an RFC 1624 update equals a full recompute.
 *
 * <p>Regression mode in every {@code mvn test} (replays {@code ChecksumFuzzTestInputs/sumMatchesReference/}: hand-made
 * seeds plus the {@code fuzzed-*} corpus of a 60-second run, 2 million inputs, no finding);
 * real fuzzing: {@code JAZZER_FUZZ=1 mvn -pl java/wire test -Dtest=ChecksumFuzzTest -Djazzer.max_duration=5m}.
 */
class ChecksumFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void sumMatchesReference(FuzzedDataProvider data) {
        boolean direct = data.consumeBoolean();
        boolean little = data.consumeBoolean();
        int offset = data.consumeInt(0, 9);
        int newWord = data.consumeInt(0, 0xFFFF);
        byte[] bytes = data.consumeRemainingAsBytes();
        if (bytes.length <= offset) {
            return;
        }
        int length = bytes.length - offset;
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(bytes.length) : ByteBuffer.allocate(bytes.length);
        buf.put(0, bytes).order(little ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        assertEquals(ChecksumTest.reference(bytes, offset, bytes.length),
            Checksum.finish(Checksum.add(buf, offset, length, 0)));
        if (length < 6) {
            return;
        }
        // Treat bytes [offset, offset+2) as a non-zero version word, [offset+2, +4) as the checksum field and
        // [offset+4, +6) as the word that changes.
        bytes[offset] |= 0x40;
        bytes[offset + 2] = 0;
        bytes[offset + 3] = 0;
        int checksum = ChecksumTest.reference(bytes, offset, bytes.length);
        int oldWord = (bytes[offset + 4] & 0xFF) << 8 | bytes[offset + 5] & 0xFF;
        bytes[offset + 4] = (byte) (newWord >>> 8);
        bytes[offset + 5] = (byte) newWord;
        int expected = ChecksumTest.reference(bytes, offset, bytes.length);
        assertEquals(expected, Checksum.update16(checksum, oldWord, newWord));
    }
}
