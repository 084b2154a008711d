package io.github.ftpcoord.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.ftpcoord.spring.boot.FtpcoordHealthIndicator;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.context.ConfigurableApplicationContext;

/** The health indicator of a member that cannot log in to the file server. */
class WorkHealthTest {
    @Test
    void aWrongPasswordTakesTheMemberOutOfServiceWithTheReason() throws Exception {
        try (Services.RemoteDir dir = Services.ftpDir(); Services.Database db = Services.postgres()) {
            Map<String, Object> p = new LinkedHashMap<>(Services.ftpProperties(dir));
            p.putAll(db.properties("boot-bad-password", Services.randomName("g-")));
            p.put("ftpcoord.auth.credentials.password", "not-the-password");
            p.put("ftpcoord.step-aside-after", "3s");
            try (ConfigurableApplicationContext ctx = TestApp.run(p)) {
                FtpcoordHealthIndicator indicator = ctx.getBean(FtpcoordHealthIndicator.class);
                await().atMost(Duration.ofSeconds(40)).until(() -> indicator.health().getStatus().equals(Status.OUT_OF_SERVICE));
                Health health = indicator.health();
                assertThat((String) health.getDetails().get("workReason"))
                        .contains("cannot reach or log in to the file server").contains("530");
                assertThat(health.getDetails()).containsKey("asideUntil").containsEntry("role", "standby");
                assertThat(health.toString()).doesNotContain("not-the-password").doesNotContain(db.config().password());
            }
        }
    }
}
