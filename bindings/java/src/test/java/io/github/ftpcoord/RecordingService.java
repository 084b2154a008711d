package io.github.ftpcoord;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A service that reads every file whole and records what it saw. */
class RecordingService implements Service {
    /** One completed onFile: the file, its content as read, and the thread. */
    record Seen(FileInfo file, String content, String thread) {}

    final List<Seen> files = new CopyOnWriteArrayList<>();
    final List<FtpException> errors = new CopyOnWriteArrayList<>();
    final Map<String, AtomicInteger> attemptsByName = new ConcurrentHashMap<>();
    /** Set by tests: throw on the first attempt of files with this name. */
    volatile String failFirstAttemptOf;
    /** Set by tests: read with this buffer size (small: many native reads). */
    volatile int bufferSize = 7;

    @Override
    public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
        attemptsByName.computeIfAbsent(file.name(), k -> new AtomicInteger()).incrementAndGet();
        if (file.name().equals(failFirstAttemptOf) && file.attempt() == 1) {
            throw new IllegalStateException("refusing the first attempt of " + file.name());
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[bufferSize];
        for (int n; (n = content.read(buf)) > 0;) {
            out.write(buf, 0, n);
        }
        files.add(new Seen(file, out.toString(StandardCharsets.UTF_8), Thread.currentThread().getName()));
    }

    @Override
    public void onError(FtpException error) {
        errors.add(error);
    }

    int count() {
        return files.size();
    }

    Seen byName(String name) {
        return files.stream().filter(s -> s.file().name().equals(name)).findFirst().orElse(null);
    }
}
