package io.torgate.gateway.relay;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;

/**
 * Finds SOCKS sockets that were reset while they still hold bytes the relay has not read. Linux queues a reset
 * behind the received data: read() returns every queued byte first and only then ECONNRESET, and a relay that reads
 * a socket only when its client takes more (backpressure, {@link StreamPump}) would carry a dead stream on for as
 * long as a slow client needs to drain megabytes, or forever for a client that reads nothing. The kernel does flag
 * the socket at once: {@code sk_err} is set, so {@code poll()} reports POLLERR without consuming anything. Java's
 * Selector folds that into "readable", which a socket with queued bytes always is, so it cannot tell; hence one
 * {@code poll(2)} over the blocked sockets of a worker, every {@link RelayHandler#RESET_CHECK_NANOS} while any is
 * blocked (one system call per check, whatever the number of flows).
 *
 * <p>The socket's descriptor comes from the JDK's {@code sun.nio.ch.SelChImpl#getFDVal}, which the jar's manifest
 * ({@code Add-Exports: java.base/sun.nio.ch}) and the tests' JVM flags export to us; without that export (a JVM
 * started some other way) {@link #available()} is false, a line is logged once, and resets are seen only when the
 * queued bytes are drained, as before.
 *
 * <p>Ownership: one per worker, confined to its thread. Allocates only at construction.
 */
final class SocketResets {
    private static final Logger LOG = System.getLogger(SocketResets.class.getName());
    /** {@code struct pollfd}: int fd, short events, short revents (poll(2)). */
    private static final int POLLFD_BYTES = 8;
    private static final int REVENTS_OFFSET = 6;
    /** poll.h: an error condition; reported whatever {@code events} asks for. */
    private static final short POLLERR = 0x008;
    private static final MethodHandle FD_VAL = fdAccessor();

    private final ByteBuffer fds;
    private final long fdsAddress;
    private final Flow[] watched;
    private int count;

    /** @param maxFlows most flows a check may look at (the worker's flow table size) */
    SocketResets(int maxFlows) {
        this.watched = new Flow[FD_VAL == null ? 0 : maxFlows];
        this.fds = ByteBuffer.allocateDirect(FD_VAL == null ? POLLFD_BYTES : maxFlows * POLLFD_BYTES)
            .order(ByteOrder.nativeOrder());
        this.fdsAddress = FD_VAL == null ? 0 : Pointer.nativeValue(Native.getDirectBufferPointer(fds));
    }

    /** @return whether the descriptors are reachable (the check works) */
    static boolean available() {
        return FD_VAL != null;
    }

    /** @return the channel's descriptor, or -1 when not {@link #available()} */
    static int fd(SocketChannel ch) {
        if (FD_VAL == null) {
            return -1;
        }
        try {
            return (int) FD_VAL.invokeExact(ch);
        } catch (Throwable e) {
            return -1;
        }
    }

    /** Starts a check: forgets the flows added to the last one. */
    void clear() {
        for (int i = 0; i < count; i++) {
            watched[i] = null;
        }
        count = 0;
    }

    /** Adds a flow whose socket has descriptor {@code fd} (not -1) to this check; ignored beyond the capacity. */
    void add(Flow f, int fd) {
        if (count == watched.length || fd < 0) {
            return;
        }
        int at = count * POLLFD_BYTES;
        fds.putInt(at, fd);
        fds.putShort(at + 4, (short) 0); // no events asked: POLLERR and POLLHUP are reported anyway
        fds.putShort(at + REVENTS_OFFSET, (short) 0);
        watched[count++] = f;
    }

    /** @return flows added to this check */
    int count() {
        return count;
    }

    /**
     * Polls the added sockets without waiting.
     *
     * @return how many have an error pending (see {@link #failed(int)}), 0 when the poll itself failed
     */
    int poll() {
        if (count == 0) {
            return 0;
        }
        int n = Libc.poll(fdsAddress, count, 0);
        if (n < 0) {
            LOG.log(Level.DEBUG, "poll of {0} SOCKS sockets failed: errno {1}", count, Native.getLastError());
            return 0;
        }
        return n;
    }

    /** @return the {@code i}th added flow when its socket has an error pending (was reset), else null */
    Flow failed(int i) {
        return (fds.getShort(i * POLLFD_BYTES + REVENTS_OFFSET) & POLLERR) != 0 ? watched[i] : null;
    }

    private static MethodHandle fdAccessor() {
        try {
            Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            MethodHandle h = MethodHandles.lookup().findVirtual(selCh, "getFDVal", MethodType.methodType(int.class))
                .asType(MethodType.methodType(int.class, SocketChannel.class));
            Libc.poll(0, 0, 0); // loads the library now, not on a worker's first check
            return h;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.log(Level.INFO, "SOCKS resets behind queued data are seen only after the data (start the JVM with "
                + "--add-exports java.base/sun.nio.ch=ALL-UNNAMED, as the jar's manifest does): {0}", e.toString());
            return null;
        }
    }

    /** JNA direct mapping: no allocation per call. */
    private static final class Libc {
        static {
            Native.register(Libc.class, Platform.C_LIBRARY_NAME);
        }

        private Libc() {
        }

        static native int poll(long fds, long nfds, int timeout);
    }
}
