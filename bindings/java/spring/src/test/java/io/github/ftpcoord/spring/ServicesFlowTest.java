package io.github.ftpcoord.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.ftpcoord.ListenerConfig;
import io.github.ftpcoord.ServiceConfig;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.Pollers;
import org.springframework.integration.file.FileHeaders;
import org.springframework.messaging.MessageHandler;

/**
 * A configuration with services (ListenerConfig.fromJson, the JSON the command and the C ABI
 * take) through the inbound adapter: each service's files, under its own path and pattern, reach
 * the flow once; a service's after-action (services[].methods.onFile) runs once its message is
 * handled.
 */
class ServicesFlowTest {
    @Test
    void servicesReachTheFlow() throws Exception {
        try (Services.RemoteDir dir = Services.ftpDir()) {
            for (String d : List.of("in", "out", "done")) {
                Files.createDirectories(dir.local().resolve(d));
                Files.setPosixFilePermissions(dir.local().resolve(d), PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            dir.write("in/a.csv", "a");
            dir.write("in/skip.txt", "not this service's");
            dir.write("out/b.xml", "b");
            String r = dir.remote();
            String addr = Services.env("FTPCOORD_TEST_PUREFTPD_ADDR", "127.0.0.1:2121");
            String json = "{\"protocol\": \"FTP\", \"host\": \"" + Services.host(addr) + "\", \"port\": " + Services.port(addr)
                    + ", \"pollingInterval\": 0.2, \"auth\": {\"credentials\": {\"username\": \""
                    + Services.env("FTPCOORD_TEST_PUREFTPD_USER", "tester") + "\", \"password\": \""
                    + Services.env("FTPCOORD_TEST_PUREFTPD_PASSWORD", "secret") + "\"}},"
                    + " \"services\": [{\"path\": \"" + r + "/in\", \"fileNamePattern\": \".*\\\\.csv\"},"
                    + " {\"name\": \"out\", \"path\": \"" + r + "/out\", \"methods\": {\"onFile\": {\"afterProcess\": {\"moveTo\": \"" + r + "/done\"}}}}]}";
            Set<String> seen = ConcurrentHashMap.newKeySet();
            FtpcoordMessageSourceSpec spec = Ftpcoord.inboundAdapter(ListenerConfig.fromJson(json));
            AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
            ctx.register(FlowTest.Base.class);
            ctx.registerBean("servicesFlow", IntegrationFlow.class, () -> IntegrationFlow
                    .from(spec, e -> e.poller(Pollers.fixedDelay(Duration.ofMillis(20))))
                    .handle((MessageHandler) m -> seen.add(m.getHeaders().get(FtpcoordHeaders.PATH, String.class)))
                    .get());
            ctx.refresh();
            try {
                await().atMost(FlowTest.WAIT).until(() -> Files.exists(dir.local().resolve("done/b.xml")));
                await().atMost(FlowTest.WAIT).until(() -> seen.size() == 2);
            } finally {
                ctx.close();
            }
            assertThat(seen).containsExactlyInAnyOrder(r + "/in/a.csv", r + "/out/b.xml");
            assertThat(dir.local().resolve("in/a.csv")).exists(); // the first service gives no after-action
        }
    }

    /**
     * With PayloadType.CONTENT, a file's after-action is that of the typed method its content kind
     * stands for (services[].methods.onFileJson for a .json file), as Ballerina's @ftp:FunctionConfig
     * on onFileJson; other files take onFile's. The message names its service (ftpcoord_service).
     */
    @Test
    void contentPayloadsTakeTheirTypedMethodsAfterActions() throws Exception {
        try (Services.RemoteDir dir = Services.ftpDir()) {
            for (String d : List.of("in", "json", "other")) {
                Files.createDirectories(dir.local().resolve(d));
                Files.setPosixFilePermissions(dir.local().resolve(d), PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            dir.write("in/a.json", "{\"id\": 1}");
            dir.write("in/b.bin", "b");
            String r = dir.remote();
            ListenerConfig config = ListenerConfig.builder().protocol(ListenerConfig.Protocol.FTP)
                    .host(Services.host(Services.env("FTPCOORD_TEST_PUREFTPD_ADDR", "127.0.0.1:2121")))
                    .port(Services.port(Services.env("FTPCOORD_TEST_PUREFTPD_ADDR", "127.0.0.1:2121")))
                    .credentials(Services.env("FTPCOORD_TEST_PUREFTPD_USER", "tester"), Services.env("FTPCOORD_TEST_PUREFTPD_PASSWORD", "secret"))
                    .pollingInterval(0.2)
                    .service(ServiceConfig.builder(r + "/in").name("typed")
                            .method("onFileJson", ListenerConfig.PostAction.moveTo(r + "/json"), null)
                            .method("onFile", ListenerConfig.PostAction.moveTo(r + "/other"), null).build())
                    .build();
            Map<String, String> seen = new ConcurrentHashMap<>();
            FtpcoordMessageSourceSpec spec = Ftpcoord.inboundAdapter(config).payloadType(PayloadType.CONTENT);
            AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
            ctx.register(FlowTest.Base.class);
            ctx.registerBean("typedFlow", IntegrationFlow.class, () -> IntegrationFlow
                    .from(spec, e -> e.poller(Pollers.fixedDelay(Duration.ofMillis(20))))
                    .handle((MessageHandler) m -> seen.put(m.getHeaders().get(FileHeaders.FILENAME, String.class),
                            m.getHeaders().get(FtpcoordHeaders.SERVICE) + "/" + m.getHeaders().get(FtpcoordHeaders.CONTENT_KIND)))
                    .get());
            ctx.refresh();
            try {
                await().atMost(FlowTest.WAIT).until(() -> Files.exists(dir.local().resolve("json/a.json"))
                        && Files.exists(dir.local().resolve("other/b.bin")));
            } finally {
                ctx.close();
            }
            assertThat(seen).containsExactlyInAnyOrderEntriesOf(Map.of("a.json", "typed/JSON", "b.bin", "typed/FILE"));
            assertThat(dir.local().resolve("in/a.json")).doesNotExist();
            assertThat(dir.local().resolve("other/a.json")).doesNotExist();
        }
    }
}
