package io.github.ftpcoord;

import static io.github.ftpcoord.TestServices.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** How events reach the service: routing by overridden methods, workers, streamed content. */
class DispatchTest {
    @Test
    void onFileChangeAndOnFileDeleteAreRouted() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            dir.write("a-🌵.txt", "a");
            dir.write("b.txt", "b");
            List<WatchEvent> changes = new CopyOnWriteArrayList<>();
            List<String> deleted = new CopyOnWriteArrayList<>();
            Service svc = new Service() {
                @Override
                public void onFileChange(WatchEvent event, Caller caller) {
                    changes.add(event);
                }

                @Override
                public void onFileDelete(String deletedFile, Caller caller) {
                    deleted.add(deletedFile);
                }
            };
            try (FtpListener l = new FtpListener(TestServices.ftp(dir).build())) {
                l.attach(svc);
                l.pollOnce();
                await(Duration.ofSeconds(10), "a change event", () -> !changes.isEmpty());
                Set<String> added = changes.stream().flatMap(c -> c.addedFiles().stream()).map(FileInfo::name)
                        .collect(Collectors.toSet());
                assertEquals(Set.of("a-🌵.txt", "b.txt"), added);
                java.nio.file.Files.delete(dir.local().resolve("a-🌵.txt"));
                String gone = dir.remote() + "/a-🌵.txt";
                // The host drives the cycles: one may still be finishing the first
                // (pollOnce then starts none), so poll until a cycle sees the deletion.
                await(Duration.ofSeconds(10), "the deletion", () -> {
                    l.pollOnce();
                    return deleted.contains(gone) || changes.stream().anyMatch(c -> c.deletedFiles().contains(gone));
                });
                assertTrue(deleted.contains(gone), "onFileDelete got " + deleted + "; changes " + changes);
            }
        }
    }

    @Test
    void workersProcessFilesConcurrently() throws Exception {
        // Workers process claimed files: with coordination, through the ledger.
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            for (int i = 0; i < 6; i++) {
                dir.write("w" + i + ".txt", "w" + i);
            }
            // Each onFile waits until three run at once: only three dispatchers can get there.
            CountDownLatch together = new CountDownLatch(3);
            Set<String> threads = ConcurrentHashMap.newKeySet();
            Set<String> done = ConcurrentHashMap.newKeySet();
            Service svc = new Service() {
                @Override
                public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
                    threads.add(Thread.currentThread().getName());
                    together.countDown();
                    if (!together.await(20, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("three files were never processed at once");
                    }
                    content.readAllBytes();
                    done.add(file.name());
                }
            };
            try (FtpListener l = new FtpListener(TestServices.ftp(dir).workers(3).pollingInterval(0.2)
                    .coordination(TestServices.coordination(db, "java-workers", TestServices.randomName("g-"))).build())) {
                l.attach(svc);
                l.start();
                await(Duration.ofSeconds(30), "six files", () -> done.size() == 6);
                await(Duration.ofSeconds(10), "the ledger counts 6 DONE", () -> l.status().count("DONE") == 6);
            }
            assertTrue(threads.size() >= 3, "three dispatcher threads at least: " + threads);
        }
    }

    @Test
    void largeFileIsStreamedInChunks() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.sftpDir()) {
            byte[] data = new byte[3 << 20];
            TestServices.RANDOM.nextBytes(data);
            java.nio.file.Files.write(dir.local().resolve(".big.tmp"), data);
            java.nio.file.Files.move(dir.local().resolve(".big.tmp"), dir.local().resolve("big.bin"));
            String want = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
            List<String> got = new CopyOnWriteArrayList<>();
            List<Integer> largestRead = new CopyOnWriteArrayList<>();
            Service svc = new Service() {
                @Override
                public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[100_000];
                    int max = 0;
                    for (int n; (n = content.read(buf)) > 0;) {
                        md.update(buf, 0, n);
                        max = Math.max(max, n);
                    }
                    assertEquals(-1, content.read(), "still the end");
                    largestRead.add(max);
                    got.add(HexFormat.of().formatHex(md.digest()));
                }
            };
            try (FtpListener l = new FtpListener(TestServices.sftp(dir).build())) {
                l.attach(svc);
                l.pollOnce();
                await(Duration.ofSeconds(30), "the big file", () -> !got.isEmpty());
            }
            assertEquals(List.of(want), got);
            assertTrue(largestRead.get(0) <= 100_000, "read in chunks of the buffer's size");
        }
    }
}
