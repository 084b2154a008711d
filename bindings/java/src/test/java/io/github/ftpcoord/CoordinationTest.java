package io.github.ftpcoord;

import static io.github.ftpcoord.TestServices.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Java listeners in a coordination group on the real PostgreSQL, through the ledger. */
class CoordinationTest {
    static ListenerConfig config(TestServices.RemoteDir dir, TestServices.Database db, String member, String group) {
        return TestServices.ftp(dir)
                .pollingInterval(0.2)
                .retryTimeout(0.05)
                .maxTries(3)
                .coordination(TestServices.coordination(db, member, group))
                .build();
    }

    static boolean role(FtpListener l, String role) {
        return role.equals(l.status().role());
    }

    @Test
    void twoJavaListenersFailOverAndProcessEachFileOnce() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            String group = TestServices.randomName("g-");
            RecordingService a = new RecordingService();
            RecordingService b = new RecordingService();
            FtpListener la = new FtpListener(config(dir, db, "java-a", group));
            try (FtpListener lb = new FtpListener(config(dir, db, "java-b", group))) {
                la.attach(a);
                la.start();
                await(Duration.ofSeconds(15), "java-a active", () -> role(la, "active"));
                lb.attach(b);
                lb.start();
                await(Duration.ofSeconds(15), "java-b standby", () -> role(lb, "standby"));
                assertEquals("java-a", lb.status().holder());

                for (int i = 0; i < 5; i++) {
                    dir.write("first-" + i + "-🍎.txt", "first " + i);
                }
                await(Duration.ofSeconds(20), "java-a processes the first batch", () -> a.count() == 5);
                await(Duration.ofSeconds(10), "java-a commits the first batch", () -> la.status().count("DONE") == 5);
                assertEquals(0, b.count(), "the standby processes nothing");

                // java-a dies (no handover): java-b takes over once the liveness interval passes.
                long term = la.status().term();
                la.stop(false);
                await(Duration.ofSeconds(20), "java-b active", () -> role(lb, "active"));
                assertTrue(lb.status().term() > term, "a new term: " + lb.status());

                for (int i = 0; i < 5; i++) {
                    dir.write("second-" + i + "-🍐.txt", "second " + i);
                }
                await(Duration.ofSeconds(20), "java-b processes the second batch", () -> b.count() == 5);
                await(Duration.ofSeconds(10), "the ledger counts 10 DONE", () -> lb.status().count("DONE") == 10);

                // No file was processed twice, across both members.
                List<String> keys = new ArrayList<>();
                a.files.forEach(s -> keys.add(s.file().idempotencyKey()));
                b.files.forEach(s -> keys.add(s.file().idempotencyKey()));
                Set<String> unique = new HashSet<>(keys);
                assertEquals(10, unique.size(), "each file once: " + keys);
                assertTrue(a.files.stream().allMatch(s -> s.file().name().startsWith("first-")));
                assertTrue(b.files.stream().allMatch(s -> s.file().name().startsWith("second-")));
                assertTrue(b.files.stream().allMatch(s -> s.content().equals("second " + s.file().name().split("-")[1])));
            } finally {
                la.close();
            }
        }
    }

    /**
     * A database without the tables: start fails with what a Java (or C) host can run, the
     * ftpcoord command or the DDL this JAR carries, never the Go library's schema.Apply.
     */
    @Test
    void aMissingTableSaysWhatToRun() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            String url = db.adminUrl().substring(0, db.adminUrl().lastIndexOf('/') + 1) + db.config().database();
            TestServices.psql(url, "-c", "DROP TABLE token_holder, health_check, ftpcoord_file");
            try (FtpListener l = new FtpListener(config(dir, db, "no-tables", TestServices.randomName("g-")))) {
                l.attach(new Service() {
                    @Override
                    public void onFile(FileInfo file, InputStream content, Caller caller) {}
                });
                FtpException e = org.junit.jupiter.api.Assertions.assertThrows(FtpException.class, l::start);
                String m = e.getMessage();
                assertTrue(m.contains("schema: token_holder: table is missing: create the tables with `ftpcoord schema apply --config FILE`"), m);
                assertTrue(m.contains("run the DDL schema/postgres.sql of the repository (the Java JAR carries it as io/github/ftpcoord/schema/postgres.sql)"), m);
                assertTrue(!m.contains("schema.Apply") && !m.contains("schema.DDL"), m);
                assertTrue(!m.contains(db.config().password()), "the password in " + m);
            }
            try (InputStream ddl = getClass().getClassLoader().getResourceAsStream("io/github/ftpcoord/schema/postgres.sql")) {
                assertTrue(ddl != null, "the JAR's resources lack io/github/ftpcoord/schema/postgres.sql");
                assertTrue(new String(ddl.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).contains("CREATE TABLE IF NOT EXISTS token_holder"));
            }
        }
    }

    @Test
    void failingOnFileIsRetriedAsAttemptTwo() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            dir.write("flaky-⚡.csv", "a,b,c");
            dir.write("fine.csv", "1,2,3");
            RecordingService svc = new RecordingService();
            svc.failFirstAttemptOf = "flaky-⚡.csv";
            try (FtpListener l = new FtpListener(config(dir, db, "java-retry", TestServices.randomName("g-")))) {
                l.attach(svc);
                l.start();
                await(Duration.ofSeconds(20), "both files processed", () -> svc.count() == 2);
                RecordingService.Seen flaky = svc.byName("flaky-⚡.csv");
                assertEquals(2, flaky.file().attempt(), "the failed file came back as attempt 2");
                assertEquals("a,b,c", flaky.content());
                assertEquals(1, svc.byName("fine.csv").file().attempt());
                assertEquals(2, svc.attemptsByName.get("flaky-⚡.csv").get());
                await(Duration.ofSeconds(10), "the ledger counts 2 DONE", () -> l.status().count("DONE") == 2);
                ListenerStatus st = l.status();
                assertTrue(st.coordinated() && st.healthy(), st.toString());
                assertEquals("java-retry", st.holder());
                assertTrue(st.lastHeartbeat() != null, st.toString());
                // The backlog in the status: nothing left, two commits timed from their listing.
                assertTrue(st.backlog() != null, st.toString());
                assertEquals(0, st.backlog().pending().files(), st.toString());
                assertEquals(0, st.backlog().failed().files(), st.toString());
                assertEquals(2, st.backlog().listedToCommitCount(), st.toString());
                assertTrue(st.backlog().listedToCommitSeconds() > 0, st.toString());
                assertEquals(null, st.notReadyReason(), st.toString());
            }
        }
    }

    /** Rejects (RejectException, plain or wrapped) the files whose names start with "bad". */
    static final class Rejecting extends RecordingService {
        @Override
        public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
            if (file.name().startsWith("bad-plain")) {
                attemptsByName.computeIfAbsent(file.name(), k -> new AtomicInteger()).incrementAndGet();
                throw new RejectException("bad invoice " + file.name());
            }
            if (file.name().startsWith("bad-wrapped")) {
                attemptsByName.computeIfAbsent(file.name(), k -> new AtomicInteger()).incrementAndGet();
                throw new UncheckedIOException(new IOException("parse", new RejectException("bad invoice " + file.name())));
            }
            super.onFile(file, content, caller);
        }
    }

    @Test
    void rejectExceptionRejectsAtOnceAndDurably() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            String group = TestServices.randomName("g-");
            dir.write("bad-plain-🧾.xml", "<x/>");
            java.nio.file.attribute.FileTime wrappedTime = Files.getLastModifiedTime(dir.write("bad-wrapped.xml", "<y/>"));
            dir.write("good.csv", "1,2,3");
            ListenerConfig cfg = TestServices.ftp(dir).pollingInterval(0.2).retryTimeout(0.05).maxTries(5)
                    .afterError(ListenerConfig.PostAction.DELETE)
                    .coordination(TestServices.coordination(db, "java-reject", group)).build();
            Rejecting svc = new Rejecting();
            try (FtpListener l = new FtpListener(cfg)) {
                l.attach(svc);
                l.start();
                await(Duration.ofSeconds(20), "2 REJECTED and 1 DONE",
                        () -> l.status().count("REJECTED") == 2 && l.status().count("DONE") == 1);
                // Retries would come every 50 ms; a rejected file gets none.
                Thread.sleep(1000);
                assertEquals(1, svc.attemptsByName.get("bad-plain-🧾.xml").get(), "one attempt at the rejected file");
                assertEquals(1, svc.attemptsByName.get("bad-wrapped.xml").get(), "one attempt at the wrapped rejection");
                assertEquals(2, l.status().count("REJECTED"));
                await(Duration.ofSeconds(5), "afterError (DELETE) ran on both",
                        () -> !Files.exists(dir.local().resolve("bad-plain-🧾.xml")) && !Files.exists(dir.local().resolve("bad-wrapped.xml")));
                assertTrue(Files.exists(dir.local().resolve("good.csv")), "the processed file stays");
                await(Duration.ofSeconds(5), "onError told of both rejections", () -> svc.errors.stream()
                        .filter(e -> e.getMessage().contains("rejected after 1 tries") && e.getMessage().contains("bad invoice")).count() == 2);
            }
            // Durable: the same version back on the server, a member restarted
            // in the group does not offer it again (it processes a new file).
            Files.setLastModifiedTime(dir.write("bad-wrapped.xml", "<y/>"), wrappedTime);
            dir.write("good-2.csv", "4,5,6");
            Rejecting again = new Rejecting();
            try (FtpListener l = new FtpListener(cfg)) {
                l.attach(again);
                l.start();
                await(Duration.ofSeconds(20), "the new file processed", () -> again.byName("good-2.csv") != null);
                Thread.sleep(500);
                assertEquals(null, again.attemptsByName.get("bad-wrapped.xml"), "the rejected version is not offered again");
                assertEquals(1, again.count(), "only the new file processed");
                assertEquals(2, l.status().count("REJECTED"));
            }
        }
    }

    @Test
    void sharedModeSplitsTheFilesWithoutDuplicates() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            String group = TestServices.randomName("g-");
            for (int i = 0; i < 20; i++) {
                dir.write("shared-" + i + "-🧩.txt", "shared " + i);
            }
            RecordingService a = new RecordingService();
            RecordingService b = new RecordingService();
            ListenerConfig.Builder base = TestServices.ftp(dir).pollingInterval(0.2).retryTimeout(0.05)
                    .mode(ListenerConfig.Mode.SHARED).workers(2);
            try (FtpListener la = new FtpListener(base.coordination(TestServices.coordination(db, "shared-a", group)).build());
                    FtpListener lb = new FtpListener(base.coordination(TestServices.coordination(db, "shared-b", group)).build())) {
                la.attach(a);
                lb.attach(b);
                la.start();
                lb.start();
                await(Duration.ofSeconds(30), "20 files DONE", () -> la.status().count("DONE") == 20);
                Set<String> keys = new HashSet<>();
                List<String> all = new ArrayList<>();
                a.files.forEach(s -> all.add(s.file().idempotencyKey()));
                b.files.forEach(s -> all.add(s.file().idempotencyKey()));
                keys.addAll(all);
                assertEquals(20, all.size(), "20 deliveries in all: " + all);
                assertEquals(20, keys.size(), "each file once");
                assertTrue(a.files.stream().allMatch(s -> s.content().equals("shared " + s.file().name().split("-")[1])));
            }
        }
    }
}
