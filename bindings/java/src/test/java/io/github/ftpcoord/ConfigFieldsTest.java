package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The builder carries every field of the Go struct: config-fields.txt is written from
 * core/listener.ListenerConfig (cmd/ftpcoord's TestJavaConfigFieldsAreTheGoStruct), and a builder with
 * every method called writes exactly those JSON paths. A field added in Go fails here until the
 * builder has it (and this test calls it).
 */
class ConfigFieldsTest {
    /** The JSON paths of config-fields.txt. */
    static Set<String> goFields() throws IOException {
        try (InputStream in = ConfigFieldsTest.class.getResourceAsStream("/config-fields.txt")) {
            assertTrue(in != null, "config-fields.txt is not on the test class path");
            Set<String> out = new TreeSet<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!l.isBlank() && !l.startsWith("#")) {
                    out.add(l.trim());
                }
            }
            return out;
        }
    }

    /**
     * The dotted paths of the values in a JSON tree (list elements as name[]; the keys of
     * services[].methods, a map by method name, as *, as config-fields.txt writes them).
     */
    static Set<String> leafPaths(Object v, String prefix, Set<String> out) {
        if (v instanceof Map<?, ?> m) {
            boolean byName = prefix.equals("services[].methods.");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                leafPaths(e.getValue(), prefix + (byName ? "*" : e.getKey()) + ".", out);
            }
        } else if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?>) {
            String list = prefix.substring(0, prefix.length() - 1) + "[].";
            for (Object o : l) {
                leafPaths(o, list, out);
            }
        } else {
            out.add(prefix.substring(0, prefix.length() - 1));
        }
        return out;
    }

    /** Every builder method, once (credentials and privateKey: in their password-file form). */
    static ListenerConfig everyField() {
        return ListenerConfig.builder()
                .protocol(ListenerConfig.Protocol.FTPS).host("127.0.0.1").port(2121)
                .credentialsFile("u", "/run/secrets/ftp").privateKeyFile("/k/id", "/run/secrets/passphrase")
                .secureSocket("/ca.pem", "EXPLICIT").clientCertificate("/client.p12", "changeit")
                .preferredMethods("PUBLICKEY", "PASSWORD")
                .path("/in").fileNamePattern(".*\\.csv").pollingInterval(5).fileAgeFilter(1, 86400)
                .fileDependencyCondition(new ListenerConfig.FileDependencyCondition("inv-(\\d+)\\.csv",
                        List.of("inv-$1\\.done"), "EXACT_COUNT", 1))
                .stableListings(2).settleTime(1).connectTimeout(10)
                .retryConfig(new ListenerConfig.RetryConfig(3, 1, 2, 30))
                .serverTimeZone("Europe/Berlin").activeMode(true)
                .sftpAlgorithms(new ListenerConfig.SftpAlgorithms(List.of("curve25519-sha256"), List.of("aes128-ctr"),
                        List.of("hmac-sha2-256"), List.of("ssh-ed25519")))
                .sftpSshKnownHosts("/k/known_hosts").sftpTrustOnFirstUse(true).insecureIgnoreHostKey(true)
                .coordination(ListenerConfig.CoordinationConfig.builder()
                        .databaseConfig(ListenerConfig.DatabaseConfig.postgresql("127.0.0.1", 5432, "u", "p", "d")
                                .withSsl("VERIFY-FULL", "/db-ca.pem"))
                        .memberId("m").coordinationGroup("g").livenessCheckInterval(30).heartbeatFrequency(1)
                        .sessionTimeZone("UTC").checkPeriod(2).crashSignal(false).build())
                .recursive(true).maxDepth(3).includeHidden(true).include("*.csv").exclude("tmp-*")
                .retention(86400).insecureSkipVerify(true).maxConnections(4).stagingDir("/var/spool/ftpcoord")
                .maxListingEntries(1000).maxListingDirectories(100)
                .mode(ListenerConfig.Mode.SHARED).versionKey(ListenerConfig.VersionKey.PATH_MTIME)
                .maxFilesPerPoll(100).workers(2).processingTimeout(300).retryTimeout(60).maxTries(3)
                .afterProcess(ListenerConfig.PostAction.moveTo("/done")).afterError(ListenerConfig.PostAction.moveTo("/bad", false))
                .stepAsideAfter(20).socketConfig(120.0, 60.0)
                .proxy(new ListenerConfig.Proxy("proxy.internal", 1080, "SOCKS5", "pu", "proxysecret"))
                .service(ServiceConfig.builder("/in/orders").name("orders").fileNamePattern(".*\\.json").fileAgeFilter(2, 0)
                        .fileDependencyCondition(new ListenerConfig.FileDependencyCondition("o-(\\d+)\\.json",
                                List.of("o-$1\\.ok"), "EXACT_COUNT", 2))
                        .afterProcess(ListenerConfig.PostAction.moveTo("/done/orders")).afterError(ListenerConfig.PostAction.moveTo("/bad", false))
                        .method("onFileJson", ListenerConfig.PostAction.moveTo("/done/json"), ListenerConfig.PostAction.moveTo("/bad/json", false))
                        .build())
                .build();
    }

    @Test
    void theBuilderWritesEveryFieldOfTheGoStruct() throws IOException {
        Set<String> want = goFields();
        assertTrue(want.size() > 60, "config-fields.txt lists " + want.size() + " fields");
        Set<String> got = leafPaths(Json.read(everyField().toJson()), "", new TreeSet<>());
        // A password and its file exclude each other: the other form, in a second configuration.
        leafPaths(Json.read(ListenerConfig.builder().credentials("u", "p").privateKey("/k/id", "pp").build().toJson()), "", got);
        Set<String> missing = new TreeSet<>(want);
        missing.removeAll(got);
        Set<String> unknown = new TreeSet<>(got);
        unknown.removeAll(want);
        assertEquals(Set.of(), missing, "Go fields the Java builder does not write: give ListenerConfig.Builder a method for each");
        assertEquals(Set.of(), unknown, "fields the Java builder writes that the Go struct does not have");
    }

    /**
     * The library decodes what the builder writes: no field unknown to it, no value of another type
     * (its decoder's errors: "unknown field", "want ..., got ..."). The configuration may still be
     * refused for its values (files that do not exist here, fields that exclude each other).
     */
    @Test
    void theLibraryDecodesEveryFieldTheBuilderWrites() {
        for (ListenerConfig c : List.of(everyField(),
                ListenerConfig.builder().credentials("u", "p").privateKey("/k/id", "pp").build())) {
            try {
                new FtpListener(c).close();
            } catch (FtpConfigException e) {
                String m = String.valueOf(e.getMessage());
                assertFalse(m.contains("unknown field") || m.matches("(?s).*want .*, got .*"),
                        "the library does not read what the builder wrote: " + m);
            }
        }
    }

    @Test
    void newFieldsAreWrittenAsGoReadsThem() {
        Map<String, Object> m = Json.object(Json.read(everyField().toJson()));
        assertEquals("path+mtime", m.get("versionKey"));
        assertEquals(List.of("*.csv"), m.get("include"));
        assertEquals(2L, m.get("stableListings"));
        Map<String, Object> db = Json.object(Json.object(m.get("coordination")).get("databaseConfig"));
        assertEquals(Map.of("ssl", Map.of("mode", "VERIFY-FULL", "rootcert", "/db-ca.pem")), db.get("options"));
        assertEquals(false, Json.object(m.get("coordination")).get("crashSignal"));
        assertEquals("/run/secrets/ftp",
                Json.str(Json.object(Json.object(m.get("auth")).get("credentials")), "passwordFile"));
        String shown = everyField().toString();
        assertFalse(shown.contains("proxysecret"), shown);
        assertFalse(shown.contains("changeit"), shown);
        Map<String, Object> svc = Json.object(((List<?>) m.get("services")).get(0));
        assertEquals("orders", svc.get("name"));
        assertEquals(Map.of("afterProcess", Map.of("moveTo", "/done/json", "preserveSubDirs", true),
                "afterError", Map.of("moveTo", "/bad/json", "preserveSubDirs", false)),
                Json.object(svc.get("methods")).get("onFileJson"));
        assertEquals(Map.of("type", "sqlite", "database", "/var/lib/ftpcoord/coord.db"),
                ListenerConfig.DatabaseConfig.sqlite("/var/lib/ftpcoord/coord.db").toJson());
    }
}
