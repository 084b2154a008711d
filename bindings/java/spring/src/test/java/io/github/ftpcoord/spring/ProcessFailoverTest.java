package io.github.ftpcoord.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two Spring Boot applications as separate JVM processes in one group; the one processing is
 * killed with SIGKILL in the middle of a batch. Every file ends DONE once in the ledger; only
 * the files in flight at the kill are processed again; failover comes within
 * livenessCheckInterval + 3 s.
 */
class ProcessFailoverTest {
    static final int LIVENESS = 2;

    /** One application process; its flow prints "PROCESSED key name" per file. */
    static final class Member implements AutoCloseable {
        final String id;
        final Process process;
        final Path log;
        final Queue<String> keys = new ConcurrentLinkedQueue<>();
        volatile boolean started;

        Member(String id, Map<String, Object> properties) throws IOException {
            this.id = id;
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-Xss512k",
                    "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                    TestApp.class.getName()));
            properties.forEach((k, v) -> cmd.add("--" + k + "=" + v));
            log = Path.of("target", "failover-" + id + ".log");
            Files.createDirectories(log.getParent());
            process = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
            Thread reader = new Thread(this::read, "read-" + id);
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("PROCESSED ")) {
                        keys.add(line.split(" ")[1]);
                    } else if (line.equals("STARTED")) {
                        started = true;
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }

        /** SIGKILL: no shutdown hook, no graceful stop, nothing handed over. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroy();
                try {
                    if (!process.waitFor(15, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    static Map<String, Object> properties(Services.RemoteDir dir, Services.Database db, String member, String group, String mode) {
        Map<String, Object> p = new LinkedHashMap<>(Services.sftpProperties(dir));
        p.putAll(db.properties(member, group));
        p.put("ftpcoord.mode", mode);
        p.put("ftpcoord.workers", 2);
        p.put("ftpcoord.max-files-per-poll", 4);
        p.put("ftpcoord.processing-timeout", 3);
        p.put("test.threads", 2);
        p.put("test.work-millis", 150);
        return p;
    }

    static String holder(Services.Database db, String group) throws IOException {
        return db.query("SELECT task_id FROM token_holder WHERE group_id = '" + group + "'");
    }

    void killTheWorkerMidBatch(String mode) throws Exception {
        int n = 16;
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            for (int i = 0; i < n; i++) {
                dir.write("batch-" + i + ".dat", "item " + i);
            }
            String group = Services.randomName("g-");
            try (Member a = new Member(mode + "-a", properties(dir, db, mode + "-a", group, mode));
                    Member b = new Member(mode + "-b", properties(dir, db, mode + "-b", group, mode))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> a.started && b.started);
                // Whoever processes first is killed in the middle of its files.
                await().atMost(Duration.ofSeconds(30)).until(() -> a.keys.size() + b.keys.size() >= 3);
                Member victim = a.keys.size() >= b.keys.size() ? a : b;
                Member survivor = victim == a ? b : a;
                String before = holder(db, group);
                victim.kill();
                long killed = System.nanoTime();
                int victimDone = victim.keys.size();
                assertThat(victimDone).as("killed in the middle").isLessThan(n);

                if (mode.equals("warm-backup")) {
                    assertThat(before).as("only the active member processes").isEqualTo(victim.id);
                    assertThat(survivor.keys).as("the standby processed nothing before").isEmpty();
                }
                if (before.equals(victim.id)) {
                    await().atMost(Duration.ofSeconds(LIVENESS + 10)).pollInterval(Duration.ofMillis(50))
                            .until(() -> holder(db, group).equals(survivor.id));
                    double failover = (System.nanoTime() - killed) / 1e9;
                    System.out.printf("%s: %s took over %.2f s after the SIGKILL of %s%n", mode, survivor.id, failover, victim.id);
                    assertThat(failover).as("failover seconds").isLessThanOrEqualTo(LIVENESS + 3.0);
                }
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> db.query(
                        "SELECT count(*) FROM ftpcoord_file WHERE group_id = '" + group + "' AND status = 'DONE'").equals(String.valueOf(n)));
                assertThat(db.query("SELECT count(*), count(DISTINCT version_key) FROM ftpcoord_file WHERE group_id = '"
                        + group + "'")).isEqualTo(n + "|" + n);
                Map<String, Integer> times = new HashMap<>();
                victim.keys.forEach(k -> times.merge(k, 1, Integer::sum));
                survivor.keys.forEach(k -> times.merge(k, 1, Integer::sum));
                assertThat(times).as("every file processed").hasSize(n);
                long twice = times.values().stream().filter(t -> t > 1).count();
                // Only a file whose flow had finished but whose commit the kill cut can come
                // again; the victim had at most its two workers' files in flight.
                assertThat(twice).as("files processed twice: " + times).isLessThanOrEqualTo(2);
                assertThat(times.values()).allMatch(t -> t <= 2);
                assertThat(survivor.keys).as("the survivor took over").isNotEmpty();
                survivor.close();
                // Neither application logged a password (Spring's logs and the library's).
                for (Member m : List.of(victim, survivor)) {
                    assertThat(Files.readString(m.log)).as("the log of " + m.id).contains("Started TestApp")
                            .doesNotContain(db.config().password());
                }
            }
        }
    }

    @Test
    void warmBackupFailsOverWhenTheActiveProcessIsKilled() throws Exception {
        killTheWorkerMidBatch("warm-backup");
    }

    @Test
    void sharedModeFinishesTheBatchOfAKilledProcess() throws Exception {
        killTheWorkerMidBatch("shared");
    }
}
