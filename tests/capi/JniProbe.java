import io.github.ftpcoord.Caller;
import io.github.ftpcoord.FileInfo;
import io.github.ftpcoord.FtpConfigException;
import io.github.ftpcoord.FtpListener;
import io.github.ftpcoord.ListenerConfig;
import io.github.ftpcoord.Service;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The Java bindings from their JAR in a JVM of another platform (tests/capi/cross.sh
 * runs it in Debian's arm64 JVM under qemu-user): the loader picks that platform's
 * natives, a bad configuration comes back through JNI with its field, and a poll of
 * the pure-ftpd delivers each file with its content (its name repeated 40 times).
 *
 *   java -cp ftpcoord.jar:DIR JniProbe CONFIG_JSON FILE_COUNT EXPECTED_OS_ARCH
 *
 * Prints "N passed, N failed".
 */
public final class JniProbe {
    private static int passed, failed;

    private static void check(boolean ok, String what) {
        if (ok) {
            passed++;
        } else {
            failed++;
            System.err.println("FAIL " + what);
        }
    }

    public static void main(String[] args) throws Exception {
        String config = args[0];
        int want = Integer.parseInt(args[1]);
        check(System.getProperty("os.arch").equals(args[2]), "the JVM's os.arch is " + System.getProperty("os.arch"));
        String version = FtpListener.version();
        System.out.println("jni: " + version + " on " + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        check(version.startsWith("ftpcoord "), "version through JNI: " + version);
        try (FtpListener bad = new FtpListener(ListenerConfig.fromJson("{\"protocol\": \"FTP\", \"port\": 70000}"))) {
            check(false, "a bad port was accepted");
        } catch (FtpConfigException e) {
            check("port".equals(e.field()), "the bad field named through JNI: " + e.field() + ": " + e.getMessage());
        }
        Map<String, Boolean> got = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(want);
        try (FtpListener l = new FtpListener(ListenerConfig.fromJson(config))) {
            l.attach(new Service() {
                @Override
                public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
                    String body = new String(content.readAllBytes(), StandardCharsets.UTF_8);
                    got.put(file.name(), body.equals(file.name().repeat(40)));
                    all.countDown();
                }
            });
            // One cycle lists every file; the dispatcher threads may finish the last ones.
            l.pollOnce();
            check(all.await(120, TimeUnit.SECONDS), "every file delivered within 2 minutes (emulated)");
        }
        check(got.size() == want, want + " files delivered: " + got.keySet());
        check(got.containsKey("emoji-📦.json"), "a name outside the BMP crossed JNI intact: " + got.keySet());
        got.forEach((name, ok) -> check(ok, name + " streamed with its content"));
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
