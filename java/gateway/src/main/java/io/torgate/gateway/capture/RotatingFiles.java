package io.torgate.gateway.capture;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.TreeMap;

/**
 * The files of one capture: {@code PREFIX-NNNNNN.pcapng}, numbered upwards (so the oldest has the lowest number,
 * also across restarts), each at most {@code maxFileBytes}; before a new file is opened the oldest files are
 * deleted until the existing ones plus a full new file fit in {@code maxTotalBytes}, so the prefix never uses
 * more than the cap.
 *
 * <p>Ownership: the capture thread. Not thread-safe.
 */
final class RotatingFiles implements AutoCloseable {
    private static final Logger LOG = System.getLogger(RotatingFiles.class.getName());
    private static final String SUFFIX = ".pcapng";

    private final Path directory;
    private final String prefix;
    private final long maxFileBytes;
    private final long maxTotalBytes;
    /** Closed files by number, with their sizes. */
    private final TreeMap<Long, Long> closed = new TreeMap<>();
    private long next;
    private FileChannel current;
    private Path currentPath;
    private long currentBytes;
    private long deleted;

    RotatingFiles(Path directory, String prefix, long maxFileBytes, long maxTotalBytes) throws IOException {
        this.directory = directory;
        this.prefix = prefix;
        this.maxFileBytes = maxFileBytes;
        this.maxTotalBytes = maxTotalBytes;
        Files.createDirectories(directory);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, prefix + "-*" + SUFFIX)) {
            for (Path p : ds) {
                long n = number(p);
                if (n >= 0) {
                    closed.put(n, Files.size(p));
                    next = Math.max(next, n + 1);
                }
            }
        }
    }

    /** Opens the next file, deleting the oldest ones first so the cap holds with this file full. */
    FileChannel open() throws IOException {
        close();
        long used = 0;
        for (long size : closed.values()) {
            used += size;
        }
        while (!closed.isEmpty() && used + maxFileBytes > maxTotalBytes) {
            var oldest = closed.pollFirstEntry();
            Files.deleteIfExists(path(oldest.getKey()));
            used -= oldest.getValue();
            deleted++;
        }
        currentPath = path(next);
        current = FileChannel.open(currentPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        currentBytes = 0;
        next++;
        return current;
    }

    /** True when {@code bytes} more would take the current file beyond its limit. */
    boolean wouldOverflow(int bytes) {
        return currentBytes + bytes > maxFileBytes;
    }

    /** Records bytes written to the current file. */
    void wrote(int bytes) {
        currentBytes += bytes;
    }

    /** The file being written, or null. */
    Path currentPath() {
        return currentPath;
    }

    /** Files deleted to respect the cap. */
    long deleted() {
        return deleted;
    }

    /** Closes the current file (it becomes the newest closed one). */
    @Override
    public void close() throws IOException {
        if (current == null) {
            return;
        }
        try {
            current.close();
        } finally {
            closed.put(next - 1, currentBytes);
            LOG.log(Level.DEBUG, "capture file {0} closed at {1} bytes", currentPath, currentBytes);
            current = null;
            currentPath = null;
        }
    }

    private Path path(long n) {
        return directory.resolve(String.format("%s-%06d%s", prefix, n, SUFFIX));
    }

    private long number(Path p) {
        String name = p.getFileName().toString();
        String digits = name.substring(prefix.length() + 1, name.length() - SUFFIX.length());
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Long.parseLong(digits);
    }
}
