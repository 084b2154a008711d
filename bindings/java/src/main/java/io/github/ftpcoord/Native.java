package io.github.ftpcoord;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The JNI surface over libftpcoord (see ftpcoord.h). Strings cross as
 * UTF-8 {@code byte[]}; out-parameters are {@code byte[][]} of length 1 that
 * receive the result JSON on success or the library's error message on
 * failure.
 *
 * <p>Loading: with the system property {@value #PATH_PROPERTY} (or the
 * environment variable {@value #PATH_ENV}) naming a directory, or either
 * library file in it, the core library and the JNI glue are loaded from it, under the platform's names
 * ({@link System#mapLibraryName}: libftpcoord.so and libftpcoord_jni.so,
 * ftpcoord.dll and ftpcoord_jni.dll, libftpcoord.dylib and
 * libftpcoord_jni.dylib). Otherwise both are extracted from the JAR's
 * native/&lt;os&gt;-&lt;arch&gt;/ for the running platform ({@link #SUPPORTED})
 * to a temporary directory, loaded, and deleted at once (they stay mapped;
 * Windows refuses to delete a loaded DLL, so there the directory goes on a
 * later start). Any other platform gets an error naming it and the list.
 */
final class Native {
    /** The system property naming a directory with both native libraries. */
    static final String PATH_PROPERTY = "ftpcoord.library.path";
    /** The environment variable read when {@link #PATH_PROPERTY} is not set. */
    static final String PATH_ENV = "FTPCOORD_LIBRARY_PATH";

    /** The platforms whose natives the JAR packs (bindings/java/natives.sh builds the same). */
    static final List<String> SUPPORTED = List.of("linux-x86_64", "linux-aarch64", "windows-x86_64");

    static final String CORE = System.mapLibraryName("ftpcoord");
    static final String JNI = System.mapLibraryName("ftpcoord_jni");

    private static final String TEMP_PREFIX = "ftpcoord-native-";

    // Status codes of ftpcoord.h (capi/header_test.go checks these against it).
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
        String from = "-D" + PATH_PROPERTY;
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(PATH_ENV);
            from = PATH_ENV;
        }
        if (dir != null && !dir.isBlank()) {
            Path d = Path.of(dir).toAbsolutePath();
            if (Files.isRegularFile(d)) {
                d = d.getParent(); // one of the two libraries named: the pair is beside it
            }
            for (String lib : new String[] {CORE, JNI}) {
                if (!Files.isRegularFile(d.resolve(lib))) {
                    throw new UnsatisfiedLinkError(
                            "ftpcoord: " + from + "=" + dir + " has no " + lib
                                    + " (build both with `make jni`, they are in build/java-native/<platform>/;"
                                    + " or unset it to use the libraries in the JAR)");
                }
            }
            System.load(d.resolve(CORE).toString());
            System.load(d.resolve(JNI).toString());
            return;
        }
        String platform = platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
        String unsupported = unsupported(platform);
        if (unsupported != null) {
            throw new UnsatisfiedLinkError(unsupported);
        }
        Path tmpRoot = Path.of(System.getProperty("java.io.tmpdir"));
        if (platform.startsWith("windows-")) {
            sweepStale(tmpRoot, Instant.now().minus(Duration.ofHours(1)));
        }
        Path tmp;
        try {
            tmp = Files.createTempDirectory(tmpRoot, TEMP_PREFIX);
            for (String lib : new String[] {CORE, JNI}) {
                String res = "/native/" + platform + "/" + lib;
                try (InputStream in = Native.class.getResourceAsStream(res)) {
                    if (in == null) {
                        throw new UnsatisfiedLinkError("ftpcoord: the JAR has no " + res + " (a JAR built without"
                                + " `make jni`; build the natives and set -D" + PATH_PROPERTY + "=DIR)");
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
            // The core library first: the glue needs it (on Linux its rpath is
            // $ORIGIN; Windows resolves ftpcoord.dll to the one already loaded).
            System.load(tmp.resolve(CORE).toString());
            System.load(tmp.resolve(JNI).toString());
        } finally {
            // Loaded libraries stay mapped: the files can go now, so that no JVM,
            // however it ends, leaves copies behind.
            deleteTree(tmp);
        }
    }

    /**
     * The platform key, &lt;os&gt;-&lt;arch&gt;, of a JVM's os.name and os.arch,
     * normalised the way sqlite-jdbc and zstd-jni do: "Linux" is linux,
     * "Windows 11" and "Windows Server 2022" are windows, "Mac OS X" is macos;
     * amd64 and x86_64 are x86_64, aarch64 and arm64 are aarch64.
     */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("windows")) {
            os = "windows";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            os = "macos";
        } else {
            os = os.replaceAll("[^a-z0-9]+", "");
        }
        String arch = osArch.toLowerCase(Locale.ROOT);
        arch = switch (arch) {
            case "amd64", "x86_64", "x86-64", "x64", "em64t" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            case "x86", "i386", "i486", "i586", "i686" -> "x86";
            default -> arch.replaceAll("[^a-z0-9_]+", "");
        };
        return os + "-" + arch;
    }

    /** Null for a platform the JAR ships natives for, otherwise the error that says what to do. */
    static String unsupported(String platform) {
        if (SUPPORTED.contains(platform)) {
            return null;
        }
        String override = " and point -D" + PATH_PROPERTY + "=DIR (or " + PATH_ENV + "=DIR) at them.";
        if (platform.startsWith("macos-")) {
            return "ftpcoord: this JAR has no natives for macOS (" + platform + "); it ships " + String.join(", ", SUPPORTED)
                    + ". Build libftpcoord.dylib and libftpcoord_jni.dylib on the Mac (docs/java.md in the ftpcoord repository, \"Building the natives"
                    + " on a Mac\")" + override;
        }
        return "ftpcoord: platform " + platform + " is not supported; this JAR ships natives for "
                + String.join(", ", SUPPORTED) + ". To try another platform, build the natives there (docs/java.md)"
                + override;
    }

    /**
     * Deletes the extraction directories of earlier JVMs older than
     * {@code before}: on Windows a loaded DLL cannot be deleted, so each start
     * leaves its directory behind. Libraries still loaded by a running JVM
     * stay (Windows refuses), and so does the directory holding them.
     */
    static void sweepStale(Path tmpRoot, Instant before) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmpRoot, TEMP_PREFIX + "*")) {
            for (Path d : dirs) {
                if (Files.isDirectory(d) && Files.getLastModifiedTime(d).toInstant().isBefore(before)) {
                    deleteTree(d);
                }
            }
        } catch (IOException ignored) {
            // best effort: a leftover costs disk space, never correctness
        }
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

    static native int eventMethod(long h, long id, byte[] method, byte[][] err);

    static native byte[] status(long h, byte[][] err);

    static native int caller(long h, byte[] request, byte[][] out);
}
