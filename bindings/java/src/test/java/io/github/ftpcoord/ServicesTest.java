package io.github.ftpcoord;

import static io.github.ftpcoord.TestServices.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A configuration with services (ListenerConfig.fromJson, the JSON the command and the C ABI
 * take): one attached service gets every service's files, each through its own path and
 * filters; the after-action of the typed method that took a file applies
 * (services[].methods, Ballerina's @ftp:FunctionConfig), onFile's to the others.
 */
class ServicesTest {
    @Test
    void servicesAndPerMethodAfterActions() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            for (String d : List.of("in", "out", "done", "kept")) {
                Files.createDirectories(dir.local().resolve(d));
                Files.setPosixFilePermissions(dir.local().resolve(d), PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            dir.write("in/a.csv", "name\nAlice\n");
            dir.write("in/b.txt", "not csv: not this service's");
            dir.write("out/c.bin", "raw");
            String r = dir.remote();
            String json = "{\"protocol\": \"FTP\", \"host\": \"" + TestServices.host(TestServices.ftpAddr()) + "\", \"port\": "
                    + TestServices.port(TestServices.ftpAddr()) + ", \"pollingInterval\": 3600, \"settleTime\": 0,"
                    + " \"auth\": {\"credentials\": {\"username\": \"" + TestServices.env("FTPCOORD_TEST_PUREFTPD_USER", "tester")
                    + "\", \"password\": \"" + TestServices.env("FTPCOORD_TEST_PUREFTPD_PASSWORD", "secret") + "\"}},"
                    + " \"services\": ["
                    + "  {\"path\": \"" + r + "/in\", \"fileNamePattern\": \".*\\\\.csv\","
                    + "   \"methods\": {\"onFileCsv\": {\"afterProcess\": {\"moveTo\": \"" + r + "/done\"}}}},"
                    + "  {\"name\": \"out\", \"path\": \"" + r + "/out\","
                    + "   \"methods\": {\"onFileCsv\": {\"afterProcess\": \"DELETE\"}, \"onFile\": {\"afterProcess\": {\"moveTo\": \"" + r + "/kept\"}}}}"
                    + "]}";
            Map<String, String> got = new ConcurrentHashMap<>();
            Service svc = new Service() {
                @Override
                public void onFileCsv(String[][] rows, FileInfo file, Caller caller) {
                    got.put(file.path(), "csv " + rows.length);
                }

                @Override
                public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
                    got.put(file.path(), new String(content.readAllBytes(), StandardCharsets.UTF_8));
                }
            };
            try (FtpListener l = new FtpListener(ListenerConfig.fromJson(json))) {
                l.attach(svc);
                l.pollOnce();
                await(Duration.ofSeconds(20), "both services' files", () -> got.size() == 2);
                await(Duration.ofSeconds(20), "the after-actions", () -> Files.exists(dir.local().resolve("done/a.csv"))
                        && Files.exists(dir.local().resolve("kept/c.bin")));
            }
            assertEquals(Map.of(r + "/in/a.csv", "csv 1", r + "/out/c.bin", "raw"), got);
            assertTrue(Files.exists(dir.local().resolve("in/b.txt")), "another service's pattern: not reported, not moved");
        }
    }

    /** One Java service per configured service: each gets its own service's files, by name. */
    @Test
    void aServicePerConfiguredService() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            for (String d : List.of("csv", "any")) {
                Files.createDirectories(dir.local().resolve(d));
                Files.setPosixFilePermissions(dir.local().resolve(d), PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            dir.write("csv/a.csv", "name\nAlice\n");
            dir.write("any/b.txt", "text");
            String r = dir.remote();
            String json = "{\"protocol\": \"FTP\", \"host\": \"" + TestServices.host(TestServices.ftpAddr()) + "\", \"port\": "
                    + TestServices.port(TestServices.ftpAddr()) + ", \"pollingInterval\": 3600,"
                    + " \"auth\": {\"credentials\": {\"username\": \"" + TestServices.env("FTPCOORD_TEST_PUREFTPD_USER", "tester")
                    + "\", \"password\": \"" + TestServices.env("FTPCOORD_TEST_PUREFTPD_PASSWORD", "secret") + "\"}},"
                    + " \"services\": [{\"name\": \"csv\", \"path\": \"" + r + "/csv\"}, {\"path\": \"" + r + "/any\"}]}";
            Map<String, String> csv = new ConcurrentHashMap<>(), any = new ConcurrentHashMap<>();
            try (FtpListener l = new FtpListener(ListenerConfig.fromJson(json))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.attach("cvs", new Service() {
                    @Override
                    public void onFileDelete(String p, Caller c) {}
                }));
                assertTrue(e.getMessage().contains("no service named \"cvs\"; its services are \"csv\", \"\""), e.getMessage());
                l.attach("csv", new Service() {
                    @Override
                    public void onFileCsv(String[][] rows, FileInfo file, Caller caller) {
                        csv.put(file.path(), "rows " + rows.length);
                    }
                });
                IllegalStateException missing = assertThrows(IllegalStateException.class, l::pollOnce);
                assertTrue(missing.getMessage().contains("the services \"\" have none"), missing.getMessage());
                l.attach("", new Service() {
                    @Override
                    public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
                        any.put(file.path(), new String(content.readAllBytes(), StandardCharsets.UTF_8));
                    }
                });
                l.pollOnce();
                await(Duration.ofSeconds(20), "both services' files", () -> csv.size() + any.size() == 2);
            }
            assertEquals(Map.of(r + "/csv/a.csv", "rows 1"), csv);
            assertEquals(Map.of(r + "/any/b.txt", "text"), any);
        }
    }
}
