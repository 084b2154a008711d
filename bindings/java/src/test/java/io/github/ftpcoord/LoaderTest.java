package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The native libraries load from the JAR's resources, or from -Dftpcoord.library.path. */
class LoaderTest {
    static List<String> probe(String... props) throws Exception {
        return run(LoaderProbe.class, props);
    }

    static List<String> run(Class<?> main, String... props) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(props));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
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

    @Test
    void overridePropertyLoadsFromADirectory() throws Exception {
        Path dir = TestServices.REPO.resolve("build/java-native");
        List<String> out = probe("-D" + Native.PATH_PROPERTY + "=" + dir);
        assertTrue(out.get(0).startsWith("version ftpcoord "), out.toString());
        List<String> mapped = out.stream().filter(l -> l.startsWith("mapped ")).distinct().toList();
        assertEquals(List.of("mapped " + dir.resolve("libftpcoord.so"), "mapped " + dir.resolve("libftpcoord_jni.so")),
                mapped.stream().sorted().toList(), out.toString());
    }

    @Test
    void overridePropertyWithoutTheLibrariesSaysWhat() throws Exception {
        List<String> out = probe("-D" + Native.PATH_PROPERTY + "=/nonexistent-ftpcoord");
        assertTrue(out.get(0).startsWith("unsatisfied "), out.toString());
        assertTrue(out.get(0).contains(Native.PATH_PROPERTY) && out.get(0).contains("libftpcoord.so"), out.toString());
        assertFalse(out.stream().anyMatch(l -> l.startsWith("mapped ")), out.toString());
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
