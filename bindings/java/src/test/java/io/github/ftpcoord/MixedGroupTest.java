package io.github.ftpcoord;

import static io.github.ftpcoord.TestServices.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A Java listener and a Go member (tests/member) in one coordination group. */
class MixedGroupTest {
    static Path member;

    @BeforeAll
    static void buildGoMember() throws Exception {
        member = Path.of("target/test-member").toAbsolutePath();
        Process p = new ProcessBuilder("go", "build", "-o", member.toString(), "./tests/member")
                .directory(TestServices.REPO.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("go build ./tests/member: " + out);
        }
    }

    /** The "end KEY ATTEMPT PATH" lines of the Go member's log. */
    static List<String[]> goEnds(Path log) throws Exception {
        List<String[]> ends = new ArrayList<>();
        if (!Files.exists(log)) {
            return ends;
        }
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ", 5); // pid end key attempt path
            if (f.length == 5 && f[1].equals("end")) {
                ends.add(f);
            }
        }
        return ends;
    }

    @Test
    void javaListenerTakesOverFromGoMember() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            String group = TestServices.randomName("g-");
            Path work = Files.createTempDirectory("ftpcoord-mixed-");
            Path log = work.resolve("handler.log");
            Path config = work.resolve("go.json");
            Files.writeString(config, CoordinationTest.config(dir, db, "go-member", group).toJson());
            Process go = new ProcessBuilder(member.toString(), "-config", config.toString(), "-log", log.toString(), "-work", "1ms")
                    .redirectError(work.resolve("stderr.txt").toFile()).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(go.getInputStream(), StandardCharsets.UTF_8));
                String first = out.readLine();
                assertEquals("started", first, "the Go member starts: " + Files.readString(work.resolve("stderr.txt")));

                for (int i = 0; i < 3; i++) {
                    dir.write("go-" + i + "-🐹.txt", "for go " + i);
                }
                await(Duration.ofSeconds(20), "the Go member processes the first batch", () -> {
                    try {
                        return goEnds(log).size() == 3;
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });

                RecordingService svc = new RecordingService();
                try (FtpListener java = new FtpListener(CoordinationTest.config(dir, db, "java-member", group))) {
                    java.attach(svc);
                    java.start();
                    await(Duration.ofSeconds(15), "the Java member is a standby", () -> CoordinationTest.role(java, "standby"));
                    assertEquals("go-member", java.status().holder());
                    await(Duration.ofSeconds(10), "the Go member's commits", () -> java.status().count("DONE") == 3);

                    // SIGTERM: the Go member stops gracefully and hands over at once.
                    go.destroy();
                    assertTrue(go.waitFor(20, TimeUnit.SECONDS), "the Go member exits");
                    await(Duration.ofSeconds(10), "the Java member takes over", () -> CoordinationTest.role(java, "active"));
                    assertEquals("java-member", java.status().holder());

                    for (int i = 0; i < 3; i++) {
                        dir.write("java-" + i + "-☕.txt", "for java " + i);
                    }
                    await(Duration.ofSeconds(20), "the Java member processes the second batch", () -> svc.count() == 3);
                    await(Duration.ofSeconds(10), "the ledger counts 6 DONE", () -> java.status().count("DONE") == 6);

                    Set<String> keys = new HashSet<>();
                    List<String[]> ends = goEnds(log);
                    assertEquals(3, ends.size(), "the Go member did nothing more after it stopped");
                    for (String[] e : ends) {
                        assertTrue(e[4].contains("/go-"), e[4]);
                        keys.add(e[2]);
                    }
                    for (RecordingService.Seen s : svc.files) {
                        assertTrue(s.file().name().startsWith("java-") && s.file().name().endsWith("-☕.txt"), s.file().name());
                        keys.add(s.file().idempotencyKey());
                    }
                    assertEquals(6, keys.size(), "each file once across Go and Java");
                }
            } finally {
                go.destroyForcibly();
                go.waitFor(10, TimeUnit.SECONDS);
                try (var s = Files.list(work)) {
                    s.forEach(p -> p.toFile().delete());
                }
                Files.deleteIfExists(work);
            }
        }
    }
}
