package io.github.ftpcoord.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.ftpcoord.spring.boot.FtpcoordFailureAnalyzer;
import io.github.ftpcoord.spring.boot.FtpcoordHealthIndicator;
import io.github.ftpcoord.spring.boot.FtpcoordPropertyException;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import io.github.ftpcoord.spring.boot.FtpcoordAutoConfiguration;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthContributorRegistry;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

/** Spring Boot applications configured by ftpcoord.* properties, on the real servers. */
class BootTest {
    static final Duration WAIT = Duration.ofSeconds(40);

    @Test
    void ballerinaNamedPropertiesRunAFlowOnFtpWithHealthAndMeters() throws Exception {
        try (Services.RemoteDir dir = Services.ftpDir(); Services.Database db = Services.postgres()) {
            for (int i = 0; i < 3; i++) {
                dir.write("order-" + i + ".xml", "<order id='" + i + "'/>");
            }
            Map<String, Object> p = new LinkedHashMap<>(Services.ftpProperties(dir));
            p.putAll(db.properties("boot-ftp-1", Services.randomName("g-")));
            p.put("ftpcoord.file-name-pattern", "order-.*\\.xml");
            p.put("ftpcoord.retry-timeout", "100ms");
            try (ConfigurableApplicationContext ctx = TestApp.run(p)) {
                TestApp.Recorder rec = ctx.getBean(TestApp.Recorder.class);
                FtpcoordMessageSource source = ctx.getBean(FtpcoordMessageSource.class);
                await().atMost(WAIT).until(() -> rec.keys.size() == 3 && source.status().count("DONE") == 3);
                assertThat(rec.names).containsExactlyInAnyOrder("order-0.xml", "order-1.xml", "order-2.xml");

                // The health contributor "ftpcoord", as the actuator's /health shows it.
                HealthIndicator indicator = (HealthIndicator) ctx.getBean(HealthContributorRegistry.class).getContributor("ftpcoord");
                assertThat(indicator).isInstanceOf(FtpcoordHealthIndicator.class);
                Health health = indicator.health();
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails())
                        .containsEntry("role", "active")
                        .containsEntry("memberId", "boot-ftp-1")
                        .containsEntry("holder", "boot-ftp-1")
                        .containsEntry("coordinated", true);
                assertThat((Long) health.getDetails().get("term")).isGreaterThanOrEqualTo(1L);
                assertThat(health.toString()).doesNotContain(db.config().password())
                        .doesNotContain(Services.env("FTPCOORD_TEST_PUREFTPD_PASSWORD", "secret"));

                // The meters, bound by the actuator to the application's registry.
                MeterRegistry registry = ctx.getBean(MeterRegistry.class);
                assertThat(registry.get("ftpcoord.file.processing").functionTimer().count()).isEqualTo(3.0);
                assertThat(registry.get("ftpcoord.files").tag("outcome", "committed").functionCounter().count()).isEqualTo(3.0);
                assertThat(registry.get("ftpcoord.files").tag("outcome", "failed").functionCounter().count()).isZero();
                assertThat(registry.get("ftpcoord.active").gauge().value()).isEqualTo(1.0);
                assertThat(registry.get("ftpcoord.ledger.files").tag("state", "DONE").gauge().value()).isEqualTo(3.0);
                assertThat(registry.get("ftpcoord.term").gauge().value()).isGreaterThanOrEqualTo(1.0);
                // The backlog meters, from the listener's status (the ledger's one statement).
                assertThat(registry.get("ftpcoord.file.listed.to.commit").functionTimer().count()).isEqualTo(3.0);
                assertThat(registry.get("ftpcoord.file.listed.to.commit").functionTimer().totalTime(java.util.concurrent.TimeUnit.SECONDS))
                        .isGreaterThan(0.0);
                assertThat(registry.get("ftpcoord.ledger.oldest").tag("state", "PENDING").timeGauge().value()).isZero();
                assertThat(registry.get("ftpcoord.ledger.retries").gauge().value()).isZero();
                assertThat(registry.get("ftpcoord.ledger.supersessions").functionCounter().count()).isZero();
                assertThat(registry.get("ftpcoord.not.ready").tag("reason", "stuck").gauge().value()).isZero();

                // The configuration as Boot's beans show it hides the passwords.
                assertThat(ctx.getBean(io.github.ftpcoord.ListenerConfig.class).toString())
                        .doesNotContain(db.config().password()).contains("boot-ftp-1");
            }
        }
    }

    @Test
    void aGroupCoordinatedThroughMariaDbCommitsItsFiles() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.MariaDb db = Services.mariadb()) {
            dir.write("a.json", "{\"a\":1}");
            dir.write("b.json", "{\"b\":2}");
            Map<String, Object> p = new LinkedHashMap<>(Services.sftpProperties(dir));
            p.putAll(db.properties("boot-maria-1", Services.randomName("g-")));
            try (ConfigurableApplicationContext ctx = TestApp.run(p)) {
                TestApp.Recorder rec = ctx.getBean(TestApp.Recorder.class);
                FtpcoordMessageSource source = ctx.getBean(FtpcoordMessageSource.class);
                await().atMost(WAIT).until(() -> rec.keys.size() == 2 && source.status().count("DONE") == 2);
                assertThat(rec.names).containsExactlyInAnyOrder("a.json", "b.json");
                Health health = ctx.getBean(FtpcoordHealthIndicator.class).health();
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("role", "active").containsEntry("holder", "boot-maria-1");
            }
        }
    }

    @Test
    void theAutoConfigurationBacksOffWhenDisabledOrGivenAConfiguration() {
        ApplicationContextRunner runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(FtpcoordAutoConfiguration.class));
        runner.withPropertyValues("ftpcoord.enabled=false")
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(FtpcoordMessageSource.class)
                        .doesNotHaveBean(FtpcoordHealthIndicator.class));
        io.github.ftpcoord.ListenerConfig own = io.github.ftpcoord.ListenerConfig.builder()
                .host("127.0.0.1").port(2121).path("/own").build();
        runner.withBean(io.github.ftpcoord.ListenerConfig.class, () -> own)
                .withPropertyValues("ftpcoord.port=99999") // not used: the application's own configuration wins
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(FtpcoordMessageSource.class).hasSingleBean(FtpcoordHealthIndicator.class);
                    assertThat(ctx.getBean(io.github.ftpcoord.ListenerConfig.class)).isSameAs(own);
                    assertThat(ctx.getBean(FtpcoordMessageSource.class).isRunning()).isFalse();
                });
        // Without the actuator and Micrometer: the source alone.
        runner.withBean(io.github.ftpcoord.ListenerConfig.class, () -> own)
                .withClassLoader(new FilteredClassLoader(MeterRegistry.class, HealthIndicator.class))
                .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(FtpcoordMessageSource.class)
                        .doesNotHaveBean(FtpcoordHealthIndicator.class)
                        .doesNotHaveBean(io.github.ftpcoord.spring.boot.FtpcoordMetrics.class));
    }

    static Stream<Arguments> badProperties() {
        return Stream.of(
                Arguments.of("ftpcoord.coordination.database-config.port", "70000",
                        "Invalid property ftpcoord.coordination.database-config.port: 70000 is not a TCP port", "1-65535"),
                Arguments.of("ftpcoord.coordination.database-config.type", "oracle",
                        "Invalid property ftpcoord.coordination.database-config.type: 'oracle' is not a supported database",
                        "postgresql or mysql"),
                Arguments.of("ftpcoord.coordination.member-id", "",
                        "Invalid property ftpcoord.coordination.member-id", "required"),
                Arguments.of("ftpcoord.file-name-pattern", "([a-z",
                        "Invalid property ftpcoord.file-name-pattern: not a regular expression", "Fix: set ftpcoord.file-name-pattern"),
                Arguments.of("ftpcoord.after-process.action", "move",
                        "Invalid property ftpcoord.after-process.move-to: is required with ftpcoord.after-process.action=move",
                        "e.g. /done"),
                Arguments.of("ftpcoord.max-tries", "0",
                        "Invalid property ftpcoord.max-tries: 0 is not a positive number", "REJECTED"),
                Arguments.of("ftpcoord.settle-time", "90s",
                        "Invalid property ftpcoord.settle-time: 90.0 is not between 0 (no guard) and 60 seconds", "settleTime"),
                Arguments.of("ftpcoord.step-aside-after", "500ms",
                        "Invalid property ftpcoord.step-aside-after: 0.5 s is not between 1 s and 1 h", "gives the token up"),
                Arguments.of("ftpcoord.services[0].name", "orders",
                        "Invalid property ftpcoord.services[0].path: is not set", "Fix: set ftpcoord.services[0].path"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badProperties")
    void aBadPropertyFailsTheContextNamingThePropertyAndTheFix(String property, String value, String message, String fix)
            throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir()) {
            Map<String, Object> p = new LinkedHashMap<>(Services.sftpProperties(dir));
            p.put("ftpcoord.coordination.member-id", "m");
            p.put("ftpcoord.coordination.coordination-group", "g");
            p.put("ftpcoord.coordination.database-config.type", "postgresql");
            p.put("ftpcoord.coordination.database-config.user", "app");
            p.put("ftpcoord.coordination.database-config.password", "s3cret-db-password");
            p.put("ftpcoord.coordination.database-config.database", "coord");
            p.put(property, value);
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> TestApp.run(p).close());
            assertThat(thrown).isNotNull();
            FtpcoordPropertyException e = find(thrown, FtpcoordPropertyException.class);
            assertThat(e).as("an FtpcoordPropertyException in %s", thrown).isNotNull();
            assertThat(e.getMessage()).startsWith(message).contains(fix).doesNotContain("s3cret-db-password");
            FailureAnalysis report = new FtpcoordFailureAnalyzer().analyze(thrown);
            assertThat(report.getDescription()).contains(e.getProperty());
            assertThat(report.getAction()).startsWith("Fix: ");
        }
    }

    @Test
    void aValueOfTheWrongTypeFailsWithBootsBindingMessage() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir()) {
            Map<String, Object> p = new LinkedHashMap<>(Services.sftpProperties(dir));
            p.put("ftpcoord.polling-interval", "often");
            assertThatThrownBy(() -> TestApp.run(p).close())
                    .hasStackTraceContaining("ftpcoord.polling-interval");
        }
    }

    /**
     * A database without the tables fails the start with what a Spring user can run: the DDL the
     * core JAR carries (named by its resource path) or the ftpcoord command; never the Go
     * library's schema.Apply. Running the named DDL, as the message says, lets the same
     * application start.
     */
    @Test
    void aMissingTableFailsTheStartNamingTheDdlToRun() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres(false)) {
            dir.write("a.csv", "id,amount\n");
            Map<String, Object> p = new LinkedHashMap<>(Services.sftpProperties(dir));
            p.putAll(db.properties("boot-no-schema", Services.randomName("g-")));
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> TestApp.run(p).close());
            assertThat(thrown).isNotNull();
            String resource = "io/github/ftpcoord/schema/postgres.sql";
            assertThat(chain(thrown))
                    .contains("the coordination database has no table token_holder")
                    .contains("the DDL in the ftpcoord JAR, " + resource)
                    .containsPattern("unzip -p ftpcoord-[^ ]*\\.jar " + resource + " \\| psql")
                    .contains("ftpcoord schema apply --config FILE")
                    .doesNotContain("schema.Apply").doesNotContain("schema.DDL")
                    .doesNotContain(db.config().password());

            java.io.InputStream ddl = getClass().getClassLoader().getResourceAsStream(resource);
            assertThat(ddl).as("%s on the classpath (the core JAR)", resource).isNotNull();
            String sql = new String(ddl.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(sql).contains("CREATE TABLE IF NOT EXISTS token_holder").contains("ftpcoord_file");
            db.query(sql);
            try (ConfigurableApplicationContext ctx = TestApp.run(p)) {
                TestApp.Recorder rec = ctx.getBean(TestApp.Recorder.class);
                await().atMost(WAIT).until(() -> rec.names.contains("a.csv"));
            }
        }
    }

    /** The auto-configuration alone, without servers: it makes its beans but connects to nothing. */
    static ApplicationContextRunner autoConfiguration() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(FtpcoordAutoConfiguration.class))
                .withPropertyValues("ftpcoord.host=127.0.0.1", "ftpcoord.port=2121", "ftpcoord.path=/in",
                        "ftpcoord.coordination.coordination-group=g",
                        "ftpcoord.coordination.database-config.type=postgresql",
                        "ftpcoord.coordination.database-config.user=app",
                        "ftpcoord.coordination.database-config.password=s3cret-db-password",
                        "ftpcoord.coordination.database-config.database=coord");
    }

    static FtpcoordPropertyException startupFailure(org.springframework.boot.test.context.assertj.AssertableApplicationContext ctx) {
        assertThat(ctx).hasFailed();
        FtpcoordPropertyException e = find(ctx.getStartupFailure(), FtpcoordPropertyException.class);
        assertThat(e).as("an FtpcoordPropertyException in %s", ctx.getStartupFailure()).isNotNull();
        assertThat(e.getMessage()).doesNotContain("s3cret-db-password");
        FailureAnalysis report = new FtpcoordFailureAnalyzer().analyze(ctx.getStartupFailure());
        assertThat(report.getDescription()).contains(e.getProperty());
        assertThat(report.getAction()).startsWith("Fix: ");
        return e;
    }

    /**
     * member-id=${HOSTNAME} where HOSTNAME is a shell variable that was not exported: Boot binds
     * the literal text; the starter refuses it, naming the property and the fix. The same for a
     * password whose variable is missing, without quoting any password.
     */
    @Test
    void anUnresolvedPlaceholderFailsTheStartNamingThePropertyAndTheVariable() {
        String unset = "FTPCOORD_TEST_NOT_EXPORTED_" + Services.randomName("v").toUpperCase(java.util.Locale.ROOT);
        assertThat(System.getenv(unset)).isNull();
        autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=${" + unset + "}").run(ctx -> {
            FtpcoordPropertyException e = startupFailure(ctx);
            assertThat(e.getProperty()).isEqualTo("ftpcoord.coordination.member-id");
            assertThat(e.getProblem()).contains("'${" + unset + "}' holds the placeholder ${" + unset + "}, which nothing resolved");
            assertThat(e.getFix()).contains("export " + unset).contains("set ftpcoord.coordination.member-id to the value itself");
        });
        if (System.getenv("HOSTNAME") == null) {
            autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=${HOSTNAME}").run(ctx ->
                    assertThat(startupFailure(ctx).getFix()).contains("export HOSTNAME").contains("not exported"));
        }
        autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=m",
                "ftpcoord.coordination.database-config.password=pre${" + unset + "}post").run(ctx -> {
            FtpcoordPropertyException e = startupFailure(ctx);
            assertThat(e.getProperty()).isEqualTo("ftpcoord.coordination.database-config.password");
            assertThat(e.getMessage()).doesNotContain("pre").doesNotContain("post");
        });
        // A placeholder that resolves (here from a property) is the value.
        autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=${NODE_NAME}", "NODE_NAME=node-7")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(io.github.ftpcoord.ListenerConfig.class).memberId()).isEqualTo("node-7");
                });
    }

    /**
     * Boot ignores a property nothing binds; the starter refuses an unknown ftpcoord.* name,
     * with the close match when there is one. Relaxed forms of known names pass; environment
     * variables (FTPCOORD_TEST_* of this very run among them) are not checked.
     */
    @Test
    void anUnknownPropertyFailsTheStartNamingItAndTheCloseMatch() {
        autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=m", "ftpcoord.polling-intervall=5").run(ctx -> {
            FtpcoordPropertyException e = startupFailure(ctx);
            assertThat(e.getProperty()).isEqualTo("ftpcoord.polling-intervall");
            assertThat(e.getProblem()).startsWith("no such ftpcoord property");
            assertThat(e.getFix()).isEqualTo("did you mean ftpcoord.polling-interval? Rename the property");
        });
        autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=m", "ftpcoord.coordination.databaseConfig.hots=db").run(ctx ->
                assertThat(startupFailure(ctx).getFix()).startsWith("did you mean ftpcoord.coordination.database-config.host?"));
        // Under a list of settings (services, file-dependency-conditions), at the index given.
        autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=m", "ftpcoord.services[0].path=/a",
                "ftpcoord.services[1].path=/b", "ftpcoord.services[1].methods.on-file-json.after-proces.move-to=/done").run(ctx -> {
                    FtpcoordPropertyException e = startupFailure(ctx);
                    assertThat(e.getProperty()).isEqualTo("ftpcoord.services[1].methods.on-file-json.after-proces.move-to");
                    assertThat(e.getFix()).isEqualTo("did you mean ftpcoord.services[1].methods.on-file-json.after-process.move-to? Rename the property");
                });
        autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=m", "ftpcoord.services[0].path=/a",
                "ftpcoord.services[0].file-dependency-conditions[3].target-patern=x").run(ctx ->
                assertThat(startupFailure(ctx).getFix())
                        .startsWith("did you mean ftpcoord.services[0].file-dependency-conditions[3].target-pattern?"));
        autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=m", "ftpcoord.colour=blue").run(ctx -> {
            FtpcoordPropertyException e = startupFailure(ctx);
            assertThat(e.getProperty()).isEqualTo("ftpcoord.colour");
            assertThat(e.getFix()).contains("docs/spring.md");
        });
        autoConfiguration().withPropertyValues("ftpcoord.coordination.memberId=m", "ftpcoord.fileNamePattern=.*\\.csv",
                "ftpcoord.after-process.move-to=/done", "ftpcoord.file-age-filter.min-age=2s", "ftpcoord.library.path=/nowhere",
                "ftpcoord.file-dependency-conditions[0].targetPattern=a", "ftpcoord.file-dependency-conditions[0].required-files=b")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(io.github.ftpcoord.ListenerConfig.class).memberId()).isEqualTo("m");
                });
        assertThat(System.getenv().keySet()).as("this run's environment").anyMatch(k -> k.startsWith("FTPCOORD_"));
    }

    static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    static String chain(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c).append('\n');
        }
        return b.toString();
    }
}
