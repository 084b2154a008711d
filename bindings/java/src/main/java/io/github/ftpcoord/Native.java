package io.github.ftpcoord;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The JNI surface over libftpcoord.so (see ftpcoord.h). Strings cross as
 * UTF-8 {@code byte[]}; out-parameters are {@code byte[][]} of length 1 that
 * receive the result JSON on success or the library's error message on
 * failure.
 *
 * <p>Loading: with the system property {@value #PATH_PROPERTY} set to a
 * directory, libftpcoord.so and libftpcoord_jni.so are loaded from it;
 * otherwise both are extracted from the JAR (native/linux-x86_64/) to a
 * temporary directory, loaded, and deleted at once (they stay mapped).
 */
final class Native {
    /** The system property naming a directory with both native libraries. */
    static final String PATH_PROPERTY = "ftpcoord.library.path";

    static final String CORE = "libftpcoord.so";
    static final String JNI = "libftpcoord_jni.so";

    // Status codes of ftpcoord.h.
    static final int OK = 0;
    static final int TIMEOUT = 1;
    static final int INVALID_ARG = -1;
    static final int INVALID_HANDLE = -2;
    static final int ERROR = -3;
    static final int CLOSED = -4;
    static final int PANIC = -5;

    // Outcomes of ftpcoord_event_ack (FTPCOORD_ACK_*).
    static final int ACK_PROCESSED = 0;
    static final int ACK_FAILED = 1;
    static final int ACK_REJECT = 2;

    private Native() {}

    static {
        load();
    }

    private static void load() {
        String dir = System.getProperty(PATH_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            Path d = Path.of(dir).toAbsolutePath();
            for (String lib : new String[] {CORE, JNI}) {
                if (!Files.isRegularFile(d.resolve(lib))) {
                    throw new UnsatisfiedLinkError(
                            "ftpcoord: -D" + PATH_PROPERTY + "=" + dir + " has no " + lib
                                    + " (build both with `make java`, or unset the property to use the libraries in the JAR)");
                }
            }
            System.load(d.resolve(CORE).toString());
            System.load(d.resolve(JNI).toString());
            return;
        }
        String platform = platform();
        Path tmp;
        try {
            tmp = Files.createTempDirectory("ftpcoord-native-");
            for (String lib : new String[] {CORE, JNI}) {
                String res = "/native/" + platform + "/" + lib;
                try (InputStream in = Native.class.getResourceAsStream(res)) {
                    if (in == null) {
                        throw new UnsatisfiedLinkError("ftpcoord: the JAR has no " + res + " (platform " + platform
                                + " is not packed; build the libraries with `make java` and set -D" + PATH_PROPERTY + "=DIR)");
                    }
                    Files.copy(in, tmp.resolve(lib), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            UnsatisfiedLinkError u = new UnsatisfiedLinkError("ftpcoord: cannot extract the native libraries: " + e);
            u.initCause(e);
            throw u;
        }
        try {
            // libftpcoord.so first: libftpcoord_jni.so needs it (its rpath is $ORIGIN).
            System.load(tmp.resolve(CORE).toString());
            System.load(tmp.resolve(JNI).toString());
        } finally {
            // Loaded libraries stay mapped: the files can go now, so that no JVM,
            // however it ends, leaves copies behind.
            deleteTree(tmp);
        }
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(java.util.Locale.ROOT);
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            arch = "x86_64";
        } else if (arch.equals("aarch64") || arch.equals("arm64")) {
            arch = "aarch64";
        }
        return (os.startsWith("linux") ? "linux" : os.replace(' ', '_')) + "-" + arch;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }

    static native byte[] version();

    static native long listenerNew(byte[] config, byte[][] err);

    static native int attach(long h, byte[] spec, byte[][] err);

    static native int start(long h, byte[][] err);

    static native int stop(long h, boolean graceful, byte[][] err);

    static native int poll(long h, int timeoutMs, byte[][] out);

    static native int pollOnce(long h, byte[][] out);

    static native long read(long h, long id, byte[] buf, int off, int len, byte[][] err);

    static native int ack(long h, long id, int outcome, byte[] message, byte[][] err);

    static native byte[] status(long h, byte[][] err);

    static native int caller(long h, byte[] request, byte[][] out);
}
