package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The native libraries load from the JAR's resources, or from -Dftpcoord.library.path. */
class LoaderTest {
    static List<String> probe(String... props) throws Exception {
        return run(LoaderProbe.class, props);
    }

    static List<String> run(Class<?> main, String... props) throws Exception {
        return run(Map.of(), main, props);
    }

    static List<String> run(Map<String, String> env, Class<?> main, String... props) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(props));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove(Native.PATH_ENV);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe ends");
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }

    @Test
    void loadsBothLibrariesFromTheJarResources() throws Exception {
        List<String> out = probe();
        assertTrue(out.get(0).startsWith("version ftpcoord "), out.toString());
        List<String> mapped = out.stream().filter(l -> l.startsWith("mapped ")).distinct().toList();
        assertEquals(2, mapped.size(), out.toString());
        for (String m : mapped) {
            assertTrue(m.contains("/ftpcoord-native-"), "extracted to a temporary directory: " + m);
            assertTrue(m.endsWith(" (deleted)"), "and deleted once loaded: " + m);
        }
    }

    /** This platform's pair as `make jni` leaves it. */
    static Path hostNatives() {
        return TestServices.REPO.resolve("build/java-native")
                .resolve(Native.platform(System.getProperty("os.name"), System.getProperty("os.arch")));
    }

    static void assertLoadedFrom(Path dir, List<String> out) {
        assertTrue(out.get(0).startsWith("version ftpcoord "), out.toString());
        List<String> mapped = out.stream().filter(l -> l.startsWith("mapped ")).distinct().toList();
        assertEquals(List.of("mapped " + dir.resolve("libftpcoord.so"), "mapped " + dir.resolve("libftpcoord_jni.so")),
                mapped.stream().sorted().toList(), out.toString());
    }

    @Test
    void overridePropertyLoadsFromADirectory() throws Exception {
        Path dir = hostNatives();
        assertLoadedFrom(dir, probe("-D" + Native.PATH_PROPERTY + "=" + dir));
        // Either file of the pair names its directory too.
        assertLoadedFrom(dir, probe("-D" + Native.PATH_PROPERTY + "=" + dir.resolve("libftpcoord_jni.so")));
    }

    @Test
    void overrideEnvironmentVariableLoadsFromADirectoryAndThePropertyWins() throws Exception {
        Path dir = hostNatives();
        assertLoadedFrom(dir, run(Map.of(Native.PATH_ENV, dir.toString()), LoaderProbe.class));
        List<String> out = run(Map.of(Native.PATH_ENV, "/nonexistent-ftpcoord"), LoaderProbe.class,
                "-D" + Native.PATH_PROPERTY + "=" + dir);
        assertLoadedFrom(dir, out);
        out = run(Map.of(Native.PATH_ENV, "/nonexistent-ftpcoord"), LoaderProbe.class);
        assertTrue(out.get(0).startsWith("unsatisfied ") && out.get(0).contains(Native.PATH_ENV + "=/nonexistent-ftpcoord"),
                out.toString());
    }

    @Test
    void overridePropertyWithoutTheLibrariesSaysWhat() throws Exception {
        List<String> out = probe("-D" + Native.PATH_PROPERTY + "=/nonexistent-ftpcoord");
        assertTrue(out.get(0).startsWith("unsatisfied "), out.toString());
        assertTrue(out.get(0).contains(Native.PATH_PROPERTY) && out.get(0).contains("libftpcoord.so"), out.toString());
        assertFalse(out.stream().anyMatch(l -> l.startsWith("mapped ")), out.toString());
    }

    @Test
    void macOsGetsTheSupportedListAndTheRecipe() throws Exception {
        List<String> out = probe("-Dos.name=Mac OS X", "-Dos.arch=aarch64");
        String msg = out.get(0);
        assertTrue(msg.startsWith("unsatisfied ftpcoord: this JAR has no natives for macOS (macos-aarch64)"), out.toString());
        assertTrue(msg.contains("linux-x86_64, linux-aarch64, windows-x86_64"), msg);
        assertTrue(msg.contains("Building the natives on a Mac") && msg.contains(Native.PATH_PROPERTY)
                && msg.contains(Native.PATH_ENV), msg);
        assertFalse(out.stream().anyMatch(l -> l.startsWith("mapped ")), out.toString());
    }

    @Test
    void anotherPlatformIsNamedWithTheSupportedList() throws Exception {
        List<String> out = probe("-Dos.name=FreeBSD", "-Dos.arch=amd64");
        assertTrue(out.get(0).startsWith("unsatisfied ftpcoord: platform freebsd-x86_64 is not supported;"
                + " this JAR ships natives for linux-x86_64, linux-aarch64, windows-x86_64."), out.toString());
        out = probe("-Dos.arch=riscv64");
        assertTrue(out.get(0).startsWith("unsatisfied ftpcoord: platform linux-riscv64 is not supported;"), out.toString());
    }

    @Test
    void everyShippedPlatformIsInTheJarResources() {
        for (String platform : Native.SUPPORTED) {
            boolean windows = platform.startsWith("windows-");
            for (String lib : windows ? List.of("ftpcoord.dll", "ftpcoord_jni.dll")
                    : List.of("libftpcoord.so", "libftpcoord_jni.so")) {
                assertNotNull(Native.class.getResource("/native/" + platform + "/" + lib), platform + "/" + lib);
            }
        }
    }

    @Test
    void theJvmStillGetsItsOwnSignals() throws Exception {
        // The Go runtime installs handlers for SIGSEGV and SIGBUS and forwards faults
        // outside Go code to the JVM's: null checks and stack overflows still work.
        List<String> out = run(SignalProbe.class);
        String last = out.get(out.size() - 1);
        assertEquals("ok npes=1000000 overflows=3", last, out.toString());
    }
}
