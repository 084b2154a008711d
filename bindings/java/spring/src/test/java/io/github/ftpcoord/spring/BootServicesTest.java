package io.github.ftpcoord.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * ftpcoord.services[n] from Spring Boot properties, on pure-ftpd with PostgreSQL: each service watches its own
 * path with its own file-name-pattern, its files reach the flow once with the ftpcoord_service
 * header naming it, and its after-action (service-level, or the method's) moves them.
 */
class BootServicesTest {
    @Test
    void servicesFromPropertiesReachTheFlowWithTheirAfterActions() throws Exception {
        try (Services.RemoteDir dir = Services.ftpDir(); Services.Database db = Services.postgres()) {
            for (String d : List.of("orders", "invoices", "misc", "done-orders", "done-invoices")) {
                Files.createDirectories(dir.local().resolve(d));
                Files.setPosixFilePermissions(dir.local().resolve(d), PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            dir.write("orders/o1.csv", "a,b");
            dir.write("orders/skip.txt", "not the orders service's");
            dir.write("invoices/i1.xml", "<i/>");
            dir.write("misc/m1.txt", "m");
            String r = dir.remote();
            Map<String, Object> p = new LinkedHashMap<>(Services.ftpProperties(dir));
            p.remove("ftpcoord.path"); // with services, each has its own
            p.putAll(db.properties("boot-services-1", Services.randomName("g-")));
            p.put("ftpcoord.services[0].name", "orders");
            p.put("ftpcoord.services[0].path", r + "/orders");
            p.put("ftpcoord.services[0].file-name-pattern", ".*\\.csv");
            p.put("ftpcoord.services[0].after-process.move-to", r + "/done-orders");
            p.put("ftpcoord.services[1].name", "invoices");
            p.put("ftpcoord.services[1].path", r + "/invoices");
            p.put("ftpcoord.services[1].file-age-filter.max-age", "1h");
            p.put("ftpcoord.services[1].methods.on-file.after-process.move-to", r + "/done-invoices");
            p.put("ftpcoord.services[1].methods.on-file.after-process.preserve-sub-dirs", "false");
            p.put("ftpcoord.services[2].path", r + "/misc"); // the service without a name
            try (ConfigurableApplicationContext ctx = TestApp.run(p)) {
                TestApp.Recorder rec = ctx.getBean(TestApp.Recorder.class);
                FtpcoordMessageSource source = ctx.getBean(FtpcoordMessageSource.class);
                await().atMost(BootTest.WAIT).until(() -> Files.exists(dir.local().resolve("done-orders/o1.csv"))
                        && Files.exists(dir.local().resolve("done-invoices/i1.xml")) && rec.services.size() >= 3
                        && source.status().count("DONE") == 3);
                assertThat(rec.services).containsExactlyInAnyOrder("o1.csv=orders", "i1.xml=invoices", "m1.txt=null");
                assertThat(rec.keys).hasSize(3).doesNotHaveDuplicates();
            }
            assertThat(dir.local().resolve("orders/o1.csv")).doesNotExist();
            assertThat(dir.local().resolve("invoices/i1.xml")).doesNotExist();
            assertThat(dir.local().resolve("orders/skip.txt")).exists(); // not the pattern of its service
            assertThat(dir.local().resolve("misc/m1.txt")).exists(); // its service gives no after-action
        }
    }
}
