package io.github.ftpcoord.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ftpcoord.ContentBindingException;
import io.github.ftpcoord.ListenerConfig;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.Pollers;
import org.springframework.integration.file.FileHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHandler;
import org.springframework.messaging.MessagingException;
import org.w3c.dom.Document;

/** PayloadType.CONTENT: typed payloads by extension, as Ballerina routes them, on OpenSSH and PostgreSQL. */
class ContentPayloadTest {
    public record Order(String id, int qty) {}

    public record Employee(String name, int age) {}

    @Test
    void payloadsAreTypedByExtensionAndBadContentIsRejected() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            dir.write("a.md", "# title");
            dir.write("b.json", "{\"id\":\"o-1\",\"qty\":2,\"note\":\"ignored\"}");
            dir.write("c.xml", "<a><b>x</b></a>");
            dir.write("d.csv", "name,age\nAlice,25\n");
            dir.write("e.bin", "bytes");
            dir.write("bad.json", "{\"id\":\"o-2\"}");
            Map<String, Object> payloads = new ConcurrentHashMap<>();
            Map<String, String> kinds = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            ListenerConfig config = Services.sftp(dir).retryTimeout(0.05)
                    .coordination(db.coordination("member-c", Services.randomName("g-"))).build();
            FtpcoordMessageSourceSpec spec = Ftpcoord.inboundAdapter(config).payloadType(PayloadType.CONTENT);
            FtpcoordMessageSource source = spec.getObject();
            source.setJsonType(Order.class);
            source.setCsvType(Employee.class);
            AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
            ctx.register(FlowTest.Base.class);
            ctx.registerBean("contentFlow", IntegrationFlow.class, () -> IntegrationFlow
                    .from(spec, e -> e.poller(Pollers.fixedDelay(Duration.ofMillis(20)).errorHandler(errors::add)))
                    .handle((MessageHandler) m -> {
                        String name = m.getHeaders().get(FileHeaders.FILENAME, String.class);
                        kinds.put(name, m.getHeaders().get(FtpcoordHeaders.CONTENT_KIND, String.class));
                        payloads.put(name, read(m));
                    })
                    .get());
            ctx.refresh();
            try {
                await().atMost(FlowTest.WAIT).until(() -> payloads.size() == 5);
                await().atMost(FlowTest.WAIT).until(() -> source.status().count("DONE") == 5 && source.status().count("REJECTED") == 1);
            } finally {
                ctx.close();
            }
            assertThat(payloads).containsEntry("a.md", "# title").containsEntry("b.json", new Order("o-1", 2))
                    .containsEntry("c.xml", "x").containsEntry("d.csv", List.of(new Employee("Alice", 25)))
                    .containsEntry("e.bin", "bytes");
            assertThat(kinds).containsEntry("a.md", "TEXT").containsEntry("b.json", "JSON").containsEntry("c.xml", "XML")
                    .containsEntry("d.csv", "CSV").containsEntry("e.bin", "FILE");
            assertThat(errors).anySatisfy(t -> {
                assertThat(t).isInstanceOf(MessagingException.class);
                assertThat(t.getCause()).isInstanceOf(ContentBindingException.class);
                assertThat(((ContentBindingException) t.getCause()).filePath()).isEqualTo(dir.remote() + "/bad.json");
                assertThat(t.getCause().getMessage()).contains("qty").doesNotContain("o-2");
            });
        }
    }

    @Test
    void withoutABoundTypeJsonIsJacksonsTree() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir()) {
            dir.write("t.json", "[1, {\"a\": true}]");
            ConcurrentLinkedQueue<Object> got = new ConcurrentLinkedQueue<>();
            try (FlowTest.Flow f = FlowTest.flow(Services.sftp(dir).build(), PayloadType.CONTENT, m -> got.add(m.getPayload()))) {
                await().atMost(FlowTest.WAIT).until(() -> !got.isEmpty());
            }
            JsonNode n = (JsonNode) got.peek();
            assertThat(n.get(0).asInt()).isEqualTo(1);
            assertThat(n.get(1).get("a").asBoolean()).isTrue();
        }
    }

    @Test
    void bootPropertiesChooseTheBoundTypes() {
        BootTest.autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=m", "ftpcoord.payload-type=content",
                "ftpcoord.content-json-type=" + Order.class.getName(), "ftpcoord.content-csv-type=" + Employee.class.getName())
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    FtpcoordMessageSource s = ctx.getBean(FtpcoordMessageSource.class);
                    assertThat(s.getPayloadType()).isEqualTo(PayloadType.CONTENT);
                    assertThat(s.getJsonType()).isEqualTo(Order.class);
                    assertThat(s.getCsvType()).isEqualTo(Employee.class);
                });
        BootTest.autoConfiguration().withPropertyValues("ftpcoord.coordination.member-id=m", "ftpcoord.content-json-type=com.example.Missing")
                .run(ctx -> assertThat(ctx).hasFailed());
    }

    private static Object read(Message<?> m) {
        Object p = m.getPayload();
        try {
            if (p instanceof InputStream in) {
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p instanceof Document d ? d.getDocumentElement().getTextContent() : p;
    }
}
