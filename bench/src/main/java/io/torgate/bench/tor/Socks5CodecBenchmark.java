package io.torgate.bench.tor;

import io.torgate.tor.IsolationKey;
import io.torgate.tor.Socks5Codec;
import io.torgate.tor.Socks5Reply;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Byte-level cost of one SOCKS exchange: encoding greeting + auth + CONNECT, and parsing the reply. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Socks5CodecBenchmark {
    private final ByteBuffer out = ByteBuffer.allocateDirect(600);
    private final ByteBuffer reply = ByteBuffer.allocateDirect(32);
    private final Socks5Reply parsed = new Socks5Reply();
    private final IsolationKey key = new IsolationKey(0x0123456789abcdefL, 42L, -42L);

    @Setup
    public void setup() {
        reply.put(new byte[] {5, 0, 0, 1, 10, 0, 0, 1, 0x1f, (byte) 0x90}).flip();
    }

    @Benchmark
    public int encodeConnectHost() {
        out.clear();
        int n = Socks5Codec.putGreeting(out, Socks5Codec.METHOD_USERNAME_PASSWORD);
        n += Socks5Codec.putAuth(out, key);
        return n + Socks5Codec.putConnectHost(out, "www.example.com", 443);
    }

    @Benchmark
    public int encodeConnectIpv4() {
        out.clear();
        int n = Socks5Codec.putGreeting(out, Socks5Codec.METHOD_USERNAME_PASSWORD);
        n += Socks5Codec.putAuth(out, key);
        return n + Socks5Codec.putConnectIpv4(out, 0xC0000201, 443);
    }

    @Benchmark
    public int parseReply() {
        reply.position(0);
        return Socks5Codec.parseReply(reply, parsed) + parsed.port();
    }
}
