package io.github.ftpcoord.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.github.ftpcoord.spring.boot.FtpcoordHealthIndicator;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The seed article's "2 instances x 2 threads": two Spring Boot applications in one group in
 * shared mode, each with a poller on a two-thread task executor, share one directory; every
 * file is processed once, with no filter code.
 */
class SharedModeTest {
    static Map<String, Object> properties(Services.RemoteDir dir, Services.Database db, String member, String group) {
        Map<String, Object> p = new LinkedHashMap<>(Services.sftpProperties(dir));
        p.putAll(db.properties(member, group));
        p.put("ftpcoord.mode", "shared");
        p.put("ftpcoord.workers", 2);
        p.put("ftpcoord.max-files-per-poll", 2);
        p.put("test.threads", 2);
        p.put("test.work-millis", 40);
        return p;
    }

    @Test
    void twoApplicationsWithTwoThreadsEachShareTheFilesWithoutDuplicates() throws Exception {
        int n = 30;
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            String group = Services.randomName("g-");
            try (ConfigurableApplicationContext a = TestApp.run(properties(dir, db, "shared-a", group));
                    ConfigurableApplicationContext b = TestApp.run(properties(dir, db, "shared-b", group))) {
                // Both are up before the files come: neither can take them all alone.
                for (int i = 0; i < n; i++) {
                    dir.write("part-" + i + ".dat", "part " + i);
                }
                TestApp.Recorder ra = a.getBean(TestApp.Recorder.class);
                TestApp.Recorder rb = b.getBean(TestApp.Recorder.class);
                FtpcoordMessageSource sa = a.getBean(FtpcoordMessageSource.class);
                await().atMost(Duration.ofSeconds(60)).until(() -> ra.keys.size() + rb.keys.size() >= n
                        && sa.status().count("DONE") == n);
                List<String> all = new ArrayList<>(ra.keys);
                all.addAll(rb.keys);
                assertThat(all).hasSize(n).doesNotHaveDuplicates();
                assertThat(ra.keys).as("application a took part").isNotEmpty();
                assertThat(rb.keys).as("application b took part").isNotEmpty();
                assertThat(Math.max(ra.maxConcurrent.get(), rb.maxConcurrent.get()))
                        .as("two files at once in one application").isEqualTo(2);
                assertThat(ra.threads).allMatch(t -> t.startsWith("flow-"));
                assertThat(sa.status().count("FAILED") + sa.status().count("REJECTED")).isZero();

                // Health: both UP, one active (the lister), one standby, the same holder and term.
                Health ha = a.getBean(FtpcoordHealthIndicator.class).health();
                Health hb = b.getBean(FtpcoordHealthIndicator.class).health();
                assertThat(ha.getStatus()).isEqualTo(Status.UP);
                assertThat(hb.getStatus()).isEqualTo(Status.UP);
                assertThat(List.of(ha.getDetails().get("role"), hb.getDetails().get("role")))
                        .containsExactlyInAnyOrder("active", "standby");
                assertThat(ha.getDetails().get("holder")).isEqualTo(hb.getDetails().get("holder")).isIn("shared-a", "shared-b");
                assertThat(ha.getDetails().get("term")).isEqualTo(hb.getDetails().get("term"));
            }
        }
    }
}
