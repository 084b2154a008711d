package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configuration: Ballerina's field names in the JSON, and bad values refused with the field named. */
class ConfigTest {
    @Test
    void builderWritesBallerinaFieldNames() {
        ListenerConfig c = ListenerConfig.builder()
                .protocol(ListenerConfig.Protocol.SFTP).host("127.0.0.1").port(2222)
                .credentials("alice", "pa\"ss").privateKey("/k/id", null).sftpSshKnownHosts("/k/known_hosts")
                .path("/in").fileNamePattern(".*\\.csv").pollingInterval(1.5).fileAgeFilter(2, 0).settleTime(0)
                .connectTimeout(10).retryConfig(new ListenerConfig.RetryConfig(3, 1, 2, 30))
                .coordination(ListenerConfig.CoordinationConfig.builder()
                        .databaseConfig(ListenerConfig.DatabaseConfig.postgresql("127.0.0.1", 5432, "u", "dbsecret", "d"))
                        .memberId("m1").coordinationGroup("g").livenessCheckInterval(30).heartbeatFrequency(1).build())
                .mode(ListenerConfig.Mode.SHARED).workers(4).maxTries(5).retryTimeout(0.5).processingTimeout(60)
                .afterProcess(ListenerConfig.PostAction.moveTo("/done", true)).afterError(ListenerConfig.PostAction.DELETE)
                .build();
        Map<String, Object> m = Json.object(Json.read(c.toJson()));
        assertEquals("SFTP", m.get("protocol"));
        assertEquals(2222L, m.get("port"));
        assertEquals("alice", Json.str(Json.object(Json.object(m.get("auth")).get("credentials")), "username"));
        assertEquals("pa\"ss", Json.str(Json.object(Json.object(m.get("auth")).get("credentials")), "password"));
        assertEquals(".*\\.csv", m.get("fileNamePattern"));
        assertEquals(1.5, m.get("pollingInterval"));
        assertInstanceOf(Number.class, m.get("settleTime"), "settleTime 0 (the guard off) is written, not left to the default");
        assertEquals(0.0, ((Number) m.get("settleTime")).doubleValue(), "settleTime");
        Map<String, Object> coord = Json.object(m.get("coordination"));
        assertEquals("m1", coord.get("memberId"));
        assertEquals("g", coord.get("coordinationGroup"));
        assertEquals("postgresql", Json.object(coord.get("databaseConfig")).get("type"));
        assertEquals("shared", m.get("mode"));
        assertEquals("DELETE", m.get("afterError"));
        assertEquals(Map.of("moveTo", "/done", "preserveSubDirs", true), m.get("afterProcess"));
        assertEquals(4, c.workers());
        // toString never shows a password.
        assertFalse(c.toString().contains("pa\"ss") || c.toString().contains("pa\\\"ss"), c.toString());
        assertFalse(c.toString().contains("dbsecret"), c.toString());
    }

    @Test
    void moveKeepsSubdirectoriesByDefaultAsBallerina() {
        ListenerConfig c = ListenerConfig.builder().afterProcess(ListenerConfig.PostAction.moveTo("/done")).build();
        Map<String, Object> m = Json.object(Json.read(c.toJson()));
        assertEquals(Map.of("moveTo", "/done", "preserveSubDirs", true), m.get("afterProcess"));
    }

    @Test
    void jsonKeepsEmojiAndEscapes() {
        String s = "emoji-📦 \"q\" \\ \n tab\t ctl\u0001 é";
        assertEquals(s, Json.read(Json.write(s)));
        assertEquals(List.of(1L, 2.5, true, "x"), Json.read("[1, 2.5, true, \"x\"]"));
        assertEquals("📦", Json.read("\"\\ud83d\\udce6\""));
    }

    @Test
    void badValuesAreRefusedInJavaNamingTheField() {
        FtpConfigException e = assertThrows(FtpConfigException.class, () -> ListenerConfig.builder().port(70000).build());
        assertEquals("port", e.field());
        assertTrue(e.getMessage().contains("70000"), e.getMessage());
        e = assertThrows(FtpConfigException.class, () -> ListenerConfig.builder().fileNamePattern("([").build());
        assertEquals("fileNamePattern", e.field());
        e = assertThrows(FtpConfigException.class, () -> ListenerConfig.CoordinationConfig.builder()
                .databaseConfig(ListenerConfig.DatabaseConfig.postgresql("h", 5432, "u", "p", "d")).coordinationGroup("g").build());
        assertEquals("coordination.memberId", e.field());
        e = assertThrows(FtpConfigException.class, () -> ListenerConfig.builder().retryTimeout(-1).build());
        assertEquals("retryTimeout", e.field());
        e = assertThrows(FtpConfigException.class, () -> ListenerConfig.builder().settleTime(-1).build());
        assertEquals("settleTime", e.field());
    }

    @Test
    void badValuesAreRefusedByTheLibraryNamingTheField() {
        // The library checks what the builder cannot: a relative path...
        FtpConfigException e = assertThrows(FtpConfigException.class,
                () -> new FtpListener(ListenerConfig.builder().path("relative/dir").build()));
        assertEquals("path", e.field());
        assertTrue(e.getMessage().contains("absolute"), e.getMessage());
        // ... SFTP without a known_hosts file ...
        e = assertThrows(FtpConfigException.class, () -> new FtpListener(ListenerConfig.builder()
                .protocol(ListenerConfig.Protocol.SFTP).credentials("root", null).privateKey("/k", null).build()));
        assertEquals("sftpSshKnownHosts", e.field());
        // ... and a misspelt field in JSON.
        e = assertThrows(FtpConfigException.class, () -> new FtpListener(ListenerConfig.fromJson("{\"protocl\": \"FTP\"}")));
        assertEquals("protocl", e.field());
        e = assertThrows(FtpConfigException.class, () -> new FtpListener(ListenerConfig.fromJson("{\"protocol\": \"GOPHER\"}")));
        assertEquals("protocol", e.field());
        assertInstanceOf(FtpException.class, e);
    }
}
