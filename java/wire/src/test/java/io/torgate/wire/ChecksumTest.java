package io.torgate.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ChecksumTest {
    /** Word-at-a-time reference with an end-around carry after every word, straight from RFC 1071 section 4.1. */
    static int reference(byte[] data, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i += 2) {
            int word = (data[i] & 0xFF) << 8 | (i + 1 < to ? data[i + 1] & 0xFF : 0);
            sum += word;
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }

    static int full(byte[] data) {
        return Checksum.finish(Checksum.add(ByteBuffer.wrap(data), 0, data.length, 0));
    }

    @Test
    void rfc1071ExampleSumsToDdf2() {
        // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 have the one's complement sum 0xddf2.
        byte[] data = HexFormat.of().parseHex("0001f203f4f5f6f7");
        assertEquals(~0xddf2 & 0xFFFF, full(data));
    }

    @Test
    void realIpv4HeaderVerifies() {
        // Echo request from `ping -c1 127.0.0.1`, captured with `tcpdump -i lo -xx` in a fresh namespace.
        byte[] header = HexFormat.of().parseHex("4500005421ac400040011afb7f0000017f000001");
        assertEquals(0, full(header));
        header[10] = 0;
        header[11] = 0;
        assertEquals(0x1afb, full(header));
    }

    @Test
    void oddLengthPadsTheLastByteOnTheRight() {
        assertEquals(~0x0100 & 0xFFFF, full(new byte[] {1}));
        assertEquals(~(0x0102 + 0x0300) & 0xFFFF, full(new byte[] {1, 2, 3}));
        byte[] odd = HexFormat.of().parseHex("0001f203f4f5f6f7ab");
        assertEquals(reference(odd, 0, odd.length), full(odd));
    }

    @Test
    void emptyInputFinishesToFfff() {
        assertEquals(0xFFFF, full(new byte[0]));
    }

    @Test
    void sixtyFourKibOfOnesDoesNotOverflow() {
        byte[] data = new byte[65536];
        java.util.Arrays.fill(data, (byte) 0xFF);
        assertEquals(0, full(data));
        // Many maximal buffers through one accumulator must still fold correctly.
        long acc = 0;
        for (int i = 0; i < 1000; i++) {
            acc = Checksum.add(ByteBuffer.wrap(data), 0, data.length, acc);
        }
        assertEquals(0, Checksum.finish(acc));
    }

    @Test
    void agreesWithReferenceOnRandomBuffersOfEveryKind() {
        Random random = new Random(1071);
        for (int n = 0; n < 2000; n++) {
            int length = random.nextInt(n < 1900 ? 80 : 65536);
            int offset = random.nextInt(9);
            byte[] data = new byte[offset + length + 7];
            random.nextBytes(data);
            int expected = reference(data, offset, offset + length);
            ByteBuffer heapLe = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data);
            assertEquals(expected, Checksum.finish(Checksum.add(ByteBuffer.wrap(data), offset, length, 0)));
            assertEquals(expected, Checksum.finish(Checksum.add(heapLe, offset, length, 0)));
            assertEquals(expected, Checksum.finish(Checksum.add(direct, offset, length, 0)));
        }
    }

    @Test
    void pseudoHeaderMatchesItsByteForm() {
        byte[] pseudo = HexFormat.of().parseHex("c0a80001c0a800c70011001c");
        long viaBytes = Checksum.add(ByteBuffer.wrap(pseudo), 0, pseudo.length, 0);
        long viaInts = Checksum.addPseudoHeaderV4(0xc0a80001, 0xc0a800c7, 17, 0x1c, 0);
        assertEquals(Checksum.finish(viaBytes), Checksum.finish(viaInts));
    }

    @Test
    void rfc1624Example() {
        // RFC 1624 section 4: HC = 0xDD2F, m = 0x5555 changes to m' = 0x3285, the new checksum is 0x0000.
        assertEquals(0x0000, Checksum.update16(0xDD2F, 0x5555, 0x3285));
    }

    /** A buffer whose first word is a non-zero "version" word, as every real header has. */
    @Provide
    Arbitrary<byte[]> headers() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(8).ofMaxSize(120)
            .map(b -> {
                b[0] |= 0x40;
                return b;
            });
    }

    @Property(tries = 10_000)
    void update16AgreesWithFullRecompute(@ForAll("headers") byte[] data,
                                         @ForAll @IntRange(min = 0, max = 1000) int pick,
                                         @ForAll @IntRange(min = 0, max = 0xFFFF) int newWord) {
        int words = data.length / 2;
        int field = 2 * (1 + pick % (words - 1));
        int changed = 2 * (pick / 7 % words);
        if (changed == field) {
            changed = 0;
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        buf.putShort(field, (short) 0);
        buf.putShort(field, (short) full(data));
        int oldChecksum = buf.getShort(field) & 0xFFFF;
        int oldWord = buf.getShort(changed) & 0xFFFF;
        if (changed == 0) {
            newWord |= 0x4000;
        }
        buf.putShort(changed, (short) newWord);
        int incremental = Checksum.update16(oldChecksum, oldWord, newWord);
        buf.putShort(field, (short) 0);
        assertEquals(full(data), incremental);
    }

    @Property(tries = 10_000)
    void update32AgreesWithFullRecompute(@ForAll @Size(min = 12, max = 60) byte[] payload, @ForAll int oldAddr,
                                         @ForAll int newAddr, @ForAll int dstAddr) {
        // The NAT case: rewrite a source address that only the pseudo-header covers (RFC 1624 section 3).
        long before = Checksum.add(ByteBuffer.wrap(payload), 0, payload.length, 0);
        int oldChecksum = Checksum.finish(Checksum.addPseudoHeaderV4(oldAddr, dstAddr, 17, payload.length, before));
        int expected = Checksum.finish(Checksum.addPseudoHeaderV4(newAddr, dstAddr, 17, payload.length, before));
        assertEquals(expected, Checksum.update32(oldChecksum, oldAddr, newAddr));
    }
}
