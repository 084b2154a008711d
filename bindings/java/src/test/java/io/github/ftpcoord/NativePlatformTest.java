package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader's pure logic: platform keys of os.name/os.arch, and the sweep of old extractions. */
class NativePlatformTest {
    @Test
    void platformKeysOfWhatJvmsReport() {
        assertEquals("linux-x86_64", Native.platform("Linux", "amd64"));
        assertEquals("linux-x86_64", Native.platform("Linux", "x86_64"));
        assertEquals("linux-aarch64", Native.platform("Linux", "aarch64"));
        assertEquals("windows-x86_64", Native.platform("Windows 11", "amd64"));
        assertEquals("windows-x86_64", Native.platform("Windows Server 2022", "amd64"));
        assertEquals("windows-aarch64", Native.platform("Windows 11", "aarch64"));
        assertEquals("macos-aarch64", Native.platform("Mac OS X", "aarch64"));
        assertEquals("macos-x86_64", Native.platform("Mac OS X", "x86_64"));
        assertEquals("freebsd-x86_64", Native.platform("FreeBSD", "amd64"));
        assertEquals("linux-x86", Native.platform("Linux", "i386"));
        assertEquals("sunos-sparcv9", Native.platform("SunOS", "sparcv9"));
    }

    @Test
    void onlyTheShippedPlatformsAreSupported() {
        for (String p : Native.SUPPORTED) {
            assertNull(Native.unsupported(p), p);
        }
        assertTrue(Native.unsupported("macos-x86_64").contains("macOS (macos-x86_64)"));
        assertTrue(Native.unsupported("windows-aarch64").contains("platform windows-aarch64 is not supported"));
    }

    @Test
    void sweepDeletesOldExtractionsOnly(@TempDir Path tmp) throws Exception {
        Instant now = Instant.now();
        Path old = Files.createDirectory(tmp.resolve("ftpcoord-native-1"));
        Files.writeString(old.resolve("ftpcoord.dll"), "x");
        Files.setLastModifiedTime(old, FileTime.from(now.minus(Duration.ofHours(2))));
        Path fresh = Files.createDirectory(tmp.resolve("ftpcoord-native-2"));
        Files.writeString(fresh.resolve("ftpcoord.dll"), "x");
        Path other = Files.createDirectory(tmp.resolve("something-else"));
        Files.setLastModifiedTime(other, FileTime.from(now.minus(Duration.ofHours(2))));

        Native.sweepStale(tmp, now.minus(Duration.ofHours(1)));

        assertFalse(Files.exists(old), "an extraction older than the cut-off goes");
        assertTrue(Files.exists(fresh.resolve("ftpcoord.dll")), "a recent one (another JVM may be loading it) stays");
        assertTrue(Files.exists(other), "only ftpcoord's own directories are touched");
    }
}
