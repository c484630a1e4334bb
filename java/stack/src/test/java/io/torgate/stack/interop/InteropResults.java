package io.torgate.stack.interop;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the interop server reports to the test threads: per client port, the size and SHA-256 of each completed
 * upload to the discard service.
 *
 * <p>Thread-safety: written by the server thread, read by test threads; backed by a concurrent map.
 */
final class InteropResults {
    /** One completed upload. */
    record Upload(long bytes, byte[] sha256) { }

    private final Map<Integer, Upload> uploads = new ConcurrentHashMap<>();

    void uploaded(int clientPort, long bytes, byte[] sha256) {
        uploads.put(clientPort, new Upload(bytes, sha256));
    }

    /** The upload from {@code clientPort}, waiting up to {@code millis} for the server to report it; or null. */
    Upload awaitUpload(int clientPort, long millis) throws InterruptedException {
        InteropLab.await(() -> uploads.containsKey(clientPort), millis);
        return uploads.get(clientPort);
    }
}
