/**
 * Linux TUN devices for torgate: raw IPv4 packets between the kernel and Java, moved in batches.
 *
 * <p>Entry point: {@link io.torgate.tun.TunDevice#open(io.torgate.tun.TunConfig)} returns the JNI batch
 * implementation (libtorgate_tun.so, shipped in this jar and loaded by {@link io.torgate.tun.NativeLoader}), or,
 * if that library cannot load, the pure-JNA one, logging why. Packets live in fixed slots of one direct buffer
 * ({@link io.torgate.tun.PacketBatch}); a read or write call moves up to a whole batch and allocates nothing.
 * Kernel errors surface as {@link io.torgate.tun.TunException} naming the device and the errno text; caller
 * mistakes (bad slot ranges, packets longer than the MTU) as {@link java.lang.IllegalArgumentException}, before
 * any native code runs.
 *
 * <p>This package knows nothing of TCP, Tor or packet formats beyond "bytes and lengths".
 */
package io.torgate.tun;
