package io.github.ftpcoord;

import static io.github.ftpcoord.TestServices.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** Typed content methods through a real listener on pure-ftpd, routed by extension as Ballerina routes. */
class TypedContentTest {
    public record Employee(String name, int age) {}

    public record Config(String env, int maxRetries) {}

    @Test
    void filesAreRoutedByExtensionToTheTypedMethods() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            dir.write("a.txt", "hello 🌵");
            dir.write("b.LOG", "line");
            dir.write("c.json", "{\"env\":\"prod\",\"maxRetries\":3}");
            dir.write("d.xml", "<order id=\"7\"/>");
            dir.write("e.csv", "name,age\r\nAlice,25\r\n\"Bob, Jr.\",35\r\n");
            dir.write("f.bin", "raw");
            dir.write("noext", "raw too");
            Map<String, Object> got = new ConcurrentHashMap<>();
            Service svc = new Service() {
                @Override
                public void onFileText(String content, FileInfo file, Caller caller) {
                    got.put(file.name(), content);
                }

                // Bound to a record by the declared type; the Caller left out, as Ballerina allows.
                public void onFileJson(Config content, FileInfo file) {
                    got.put(file.name(), content);
                }

                @Override
                public void onFileXml(Document content, FileInfo file, Caller caller) {
                    got.put(file.name(), content.getDocumentElement().getAttribute("id"));
                }

                public void onFileCsv(List<Employee> rows, FileInfo file, Caller caller) {
                    got.put(file.name(), rows);
                }

                @Override
                public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
                    got.put(file.name(), new String(content.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                }
            };
            try (FtpListener l = new FtpListener(TestServices.ftp(dir).build())) {
                l.attach(svc);
                l.pollOnce();
                await(Duration.ofSeconds(20), "seven files", () -> got.size() == 7);
            }
            assertEquals("hello 🌵", got.get("a.txt"));
            assertEquals("line", got.get("b.LOG"));
            assertEquals(new Config("prod", 3), got.get("c.json"));
            assertEquals("7", got.get("d.xml"));
            assertEquals(List.of(new Employee("Alice", 25), new Employee("Bob, Jr.", 35)), got.get("e.csv"));
            assertEquals("raw", got.get("f.bin"));
            assertEquals("raw too", got.get("noext"));
        }
    }

    static final class Errors {
        final List<String> messages = new CopyOnWriteArrayList<>();
    }

    @Test
    void badContentAndUnroutedFilesAreRejectedDurably() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            dir.write("bad.json", "{\"env\": ");
            dir.write("wrong.json", "{\"env\":\"x\"}");
            dir.write("other.bin", "no method takes it");
            dir.write("good.json", "{\"env\":\"ok\",\"maxRetries\":1}");
            Errors errors = new Errors();
            List<String> processed = new CopyOnWriteArrayList<>();
            Service svc = new Service() {
                public void onFileJson(Config content, FileInfo file, Caller caller) {
                    processed.add(file.name());
                }

                @Override
                public void onError(FtpException error) {
                    errors.messages.add(error.getMessage());
                }
            };
            ListenerConfig cfg = TestServices.ftp(dir).pollingInterval(0.2).retryTimeout(0.05).maxTries(5)
                    .afterError(ListenerConfig.PostAction.moveTo(dir.remote() + "/failed"))
                    .coordination(TestServices.coordination(db, "java-typed", TestServices.randomName("g-"))).build();
            Files.createDirectories(dir.local().resolve("failed"));
            Files.setPosixFilePermissions(dir.local().resolve("failed"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            try (FtpListener l = new FtpListener(cfg)) {
                l.attach(svc);
                l.start();
                // Not retried: the same bytes would fail the same way.
                await(Duration.ofSeconds(30), "3 REJECTED and 1 DONE",
                        () -> l.status().count("REJECTED") == 3 && l.status().count("DONE") == 1);
                await(Duration.ofSeconds(10), "onError told of the three", () -> errors.messages.size() >= 3);
                await(Duration.ofSeconds(10), "afterError moved the bad file", () -> Files.exists(dir.local().resolve("failed/bad.json")));
            }
            assertEquals(List.of("good.json"), processed);
            String all = String.join("\n", errors.messages);
            assertTrue(all.contains("bad.json") && all.contains("is not JSON"), all);
            assertTrue(all.contains("wrong.json") && all.contains("maxRetries: is missing"), all);
            assertTrue(all.contains("other.bin") && all.contains("no method of the service takes"), all);
            assertFalse(Files.exists(dir.local().resolve("bad.json")));
        }
    }

    @Test
    void csvStreamsWithFailSafeFromTheConfiguration() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            StringBuilder csv = new StringBuilder("name,age\n");
            for (int i = 0; i < 5000; i++) {
                csv.append("p").append(i).append(',').append(i % 100 == 7 ? "x" : Integer.toString(i)).append('\n');
            }
            csv.append("\"broken,1\n");
            dir.write("big.csv", csv.toString());
            List<Integer> counts = new CopyOnWriteArrayList<>();
            Service svc = new Service() {
                public void onFileCsv(Stream<Employee> rows, FileInfo file) {
                    counts.add((int) rows.count());
                }
            };
            String json = TestServices.ftp(dir).build().toJson();
            ListenerConfig cfg = ListenerConfig.fromJson(json.substring(0, json.length() - 1)
                    + ",\"csvFailSafe\":{\"contentType\":\"RAW_AND_METADATA\"}}");
            try (FtpListener l = new FtpListener(cfg)) {
                l.attach(svc);
                l.pollOnce();
                await(Duration.ofSeconds(20), "the CSV file", () -> !counts.isEmpty());
            }
            assertEquals(5000 - 50, counts.get(0), "50 rows with a bad age and the broken last record skipped");
        }
    }

    @Test
    void aServiceWithTwoBindingsForOneKindIsRefusedAtAttach() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); FtpListener l = new FtpListener(TestServices.ftp(dir).build())) {
            Service two = new Service() {
                @Override
                public void onFileJson(Object content, FileInfo file, Caller caller) {}

                public void onFileJson(Config content, FileInfo file) {}
            };
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.attach(two));
            assertTrue(e.getMessage().contains("2 onFileJson methods"), e.getMessage());
            Service wrong = new Service() {
                public void onFileText(byte[] content, FileInfo file) {}
            };
            IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> l.attach(wrong));
            assertTrue(w.getMessage().contains("onFileText takes a String"), w.getMessage());
        }
    }
}
