package io.torgate.bench.wire;

import io.torgate.wire.Checksum;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Internet checksum cost: a full sum over a direct buffer the size of an MTU-sized packet (1500 B) and of the
 * largest IP datagram (64 KiB), and the RFC 1624 incremental updates a NAT-style rewrite uses instead.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChecksumBenchmark {
    @Param({"1500", "65536"})
    public int size;

    private ByteBuffer buf;
    private int oldChecksum;
    private int word;
    private int address;

    @Setup
    public void setUp() {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        buf = ByteBuffer.allocateDirect(size).put(bytes).flip();
        oldChecksum = Checksum.finish(Checksum.add(buf, 0, size, 0));
        word = buf.getShort(6) & 0xFFFF;
        address = buf.getInt(12);
    }

    @Benchmark
    public int full() {
        return Checksum.finish(Checksum.add(buf, 0, size, 0));
    }

    /** A TTL/flags word and a 32-bit address rewritten: two incremental updates, independent of size. */
    @Benchmark
    public int incremental() {
        int c = Checksum.update16(oldChecksum, word, word ^ 0x0100);
        return Checksum.update32(c, address, address + 1);
    }
}
