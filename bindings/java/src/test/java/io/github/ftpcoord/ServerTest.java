package io.github.ftpcoord;

import static io.github.ftpcoord.TestServices.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A Java listener receiving files from the real pure-ftpd and OpenSSH servers. */
class ServerTest {
    /** Names that must survive the trip: spaces, accents, and 4-byte UTF-8 (emoji). */
    static final List<String> NAMES = List.of("invoice-1.xml", "with space.csv", "emoji-📦.json", "café-🚀-ünï.txt");

    static String contentOf(String name) {
        return (name + "|").repeat(50);
    }

    @Test
    void ftpFilesThroughPollOnceWithEmojiNames() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            for (String n : NAMES) {
                dir.write(n, contentOf(n));
            }
            RecordingService svc = new RecordingService();
            try (FtpListener l = new FtpListener(TestServices.ftp(dir).build())) {
                l.attach(svc);
                // Host-driven cycles: the first call returns the first event (the rest of the
                // cycle reaches the dispatcher thread).
                int dispatched = 0;
                for (int i = 0; i < 20 && svc.count() < NAMES.size(); i++) {
                    dispatched += l.pollOnce();
                    if (dispatched > 0) {
                        break;
                    }
                }
                assertTrue(dispatched > 0, "pollOnce dispatched events");
                await(Duration.ofSeconds(20), "every file", () -> svc.count() >= NAMES.size());
                assertEquals(Set.copyOf(NAMES), svc.files.stream().map(s -> s.file().name()).collect(Collectors.toSet()));
                for (RecordingService.Seen s : svc.files) {
                    assertEquals(contentOf(s.file().name()), s.content(), "content of " + s.file().name());
                    assertEquals(s.content().getBytes(StandardCharsets.UTF_8).length, s.file().size());
                    assertEquals(dir.remote() + "/" + s.file().name(), s.file().path());
                    assertTrue(s.file().isFile() && !s.file().isFolder());
                }
                assertEquals("json", svc.byName("emoji-📦.json").file().extension());
                // Later cycles deliver a new file, and none of the others again.
                dir.write("later-🎈.txt", contentOf("later"));
                await(Duration.ofSeconds(10), "the later file", () -> {
                    l.pollOnce();
                    return svc.byName("later-🎈.txt") != null;
                });
                assertEquals(NAMES.size() + 1, svc.count(), "each file once: " + svc.files);
                assertTrue(svc.errors.isEmpty(), svc.errors.toString());
            }
        }
    }

    @Test
    void ftpCallerOperations() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir();
                FtpListener l = new FtpListener(TestServices.ftp(dir).build())) {
            Caller c = l.caller();
            String p = dir.remote() + "/put-🎉.txt";
            c.put(p, "hello 🎉");
            assertTrue(c.exists(p));
            assertEquals("hello 🎉".getBytes(StandardCharsets.UTF_8).length, c.size(p));
            assertArrayEquals("hello 🎉".getBytes(StandardCharsets.UTF_8), c.get(p));
            assertEquals("hello 🎉", Files.readString(dir.local().resolve("put-🎉.txt")));
            c.mkdir(dir.remote() + "/sub");
            assertTrue(c.isDirectory(dir.remote() + "/sub"));
            c.rename(p, dir.remote() + "/sub/moved.txt");
            assertFalse(c.exists(p));
            List<FileInfo> listed = c.list(dir.remote() + "/sub");
            assertEquals(List.of("moved.txt"), listed.stream().map(FileInfo::name).toList());
            c.delete(dir.remote() + "/sub/moved.txt");
            assertFalse(c.exists(dir.remote() + "/sub/moved.txt"));
            FtpException e = assertThrows(FtpException.class, () -> c.get(dir.remote() + "/no-such-file"));
            assertNotNull(e.getMessage());
            assertFalse(e.getMessage().contains(TestServices.env("FTPCOORD_TEST_PUREFTPD_PASSWORD", "secret")),
                    "no password in errors: " + e.getMessage());
        }
    }

    @Test
    void sftpFilesThroughStart() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.sftpDir()) {
            for (String n : NAMES) {
                dir.write(n, contentOf(n));
            }
            RecordingService svc = new RecordingService();
            svc.bufferSize = 64 * 1024;
            // A coordination-free listener polls at start, then every pollingInterval.
            try (FtpListener l = new FtpListener(TestServices.sftp(dir).pollingInterval(0.2).build())) {
                l.attach(svc);
                l.start();
                await(Duration.ofSeconds(20), "every file over SFTP", () -> svc.count() >= NAMES.size());
                // A file arriving later is picked up by a later poll.
                dir.write("late-🦀.bin", contentOf("late"));
                await(Duration.ofSeconds(20), "the late file", () -> svc.byName("late-🦀.bin") != null);
                assertEquals(contentOf("late"), svc.byName("late-🦀.bin").content());
                assertTrue(svc.byName("late-🦀.bin").thread().startsWith("ftpcoord-dispatcher-"));
            }
            assertEquals(NAMES.size() + 1, svc.count(), "each file once");
            for (String n : NAMES) {
                assertEquals(contentOf(n), svc.byName(n).content(), n);
            }
        }
    }
}
