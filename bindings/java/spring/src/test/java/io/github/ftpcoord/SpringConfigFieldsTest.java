package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ftpcoord.spring.boot.FtpcoordProperties;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * Spring's properties carry every field of the Go struct, under the Go JSON name in kebab-case
 * (ftpcoord.auth.credentials.password-file for auth.credentials.passwordFile): each field of
 * config-fields.txt (written from core/listener.ListenerConfig, see cmd/ftpcoord's
 * TestJavaConfigFieldsAreTheGoStruct) is set through its property name, and the listener
 * configuration the properties make writes exactly those fields. In package io.github.ftpcoord
 * to read that JSON.
 */
class SpringConfigFieldsTest {
    static final Path FIELDS = Path.of("").toAbsolutePath().resolve("../src/test/resources/config-fields.txt").normalize();

    /** A value for each field, as a property would give it. */
    static final Map<String, String> VALUES = Map.ofEntries(
            Map.entry("protocol", "FTPS"), Map.entry("host", "127.0.0.1"), Map.entry("port", "2121"),
            Map.entry("auth.credentials.username", "u"), Map.entry("auth.credentials.password", "p"),
            Map.entry("auth.credentials.passwordFile", "/run/secrets/ftp"),
            Map.entry("auth.privateKey.path", "/k/id"), Map.entry("auth.privateKey.password", "pp"),
            Map.entry("auth.privateKey.passwordFile", "/run/secrets/passphrase"),
            Map.entry("auth.secureSocket.key.path", "/client.p12"), Map.entry("auth.secureSocket.key.password", "changeit"),
            Map.entry("auth.secureSocket.cert", "/ca.pem"), Map.entry("auth.secureSocket.mode", "EXPLICIT"),
            Map.entry("auth.preferredMethods", "PUBLICKEY,PASSWORD"),
            Map.entry("path", "/in"), Map.entry("fileNamePattern", ".*\\.csv"), Map.entry("pollingInterval", "5"),
            Map.entry("fileAgeFilter.minAge", "1"), Map.entry("fileAgeFilter.maxAge", "86400"),
            Map.entry("fileDependencyConditions[].targetPattern", "inv-(\\d+)\\.csv"),
            Map.entry("fileDependencyConditions[].requiredFiles", "inv-$1\\.done"),
            Map.entry("fileDependencyConditions[].matchingMode", "EXACT_COUNT"),
            Map.entry("fileDependencyConditions[].requiredFileCount", "1"),
            Map.entry("stableListings", "2"), Map.entry("settleTime", "1"), Map.entry("connectTimeout", "10"),
            Map.entry("retryConfig.count", "3"), Map.entry("retryConfig.interval", "1"),
            Map.entry("retryConfig.backOffFactor", "2"), Map.entry("retryConfig.maxWaitInterval", "30"),
            Map.entry("serverTimeZone", "Europe/Berlin"), Map.entry("activeMode", "true"),
            Map.entry("sftpAlgorithms.keyExchanges", "curve25519-sha256"), Map.entry("sftpAlgorithms.ciphers", "aes128-ctr"),
            Map.entry("sftpAlgorithms.macs", "hmac-sha2-256"), Map.entry("sftpAlgorithms.hostKeyAlgorithms", "ssh-ed25519"),
            Map.entry("sftpSshKnownHosts", "/k/known_hosts"),
            Map.entry("coordination.databaseConfig.type", "postgresql"),
            Map.entry("coordination.databaseConfig.host", "127.0.0.1"), Map.entry("coordination.databaseConfig.port", "5432"),
            Map.entry("coordination.databaseConfig.user", "u"), Map.entry("coordination.databaseConfig.password", "dbsecret"),
            Map.entry("coordination.databaseConfig.database", "d"),
            Map.entry("coordination.databaseConfig.options.ssl.mode", "VERIFY-FULL"),
            Map.entry("coordination.databaseConfig.options.ssl.rootcert", "/db-ca.pem"),
            Map.entry("coordination.livenessCheckInterval", "30"), Map.entry("coordination.memberId", "m"),
            Map.entry("coordination.coordinationGroup", "g"), Map.entry("coordination.heartbeatFrequency", "1"),
            Map.entry("coordination.sessionTimeZone", "UTC"), Map.entry("coordination.checkPeriod", "2"),
            Map.entry("coordination.crashSignal", "false"),
            Map.entry("recursive", "true"), Map.entry("maxDepth", "3"), Map.entry("includeHidden", "true"),
            Map.entry("include", "*.csv"), Map.entry("exclude", "tmp-*"), Map.entry("retention", "86400"),
            Map.entry("insecureSkipVerify", "true"), Map.entry("insecureIgnoreHostKey", "true"),
            Map.entry("maxConnections", "4"), Map.entry("stagingDir", "/var/spool/ftpcoord"),
            Map.entry("maxListingEntries", "1000"), Map.entry("maxListingDirectories", "100"),
            Map.entry("mode", "shared"), Map.entry("versionKey", "path+mtime"), Map.entry("maxFilesPerPoll", "100"),
            Map.entry("workers", "2"), Map.entry("processingTimeout", "300"), Map.entry("retryTimeout", "60"),
            Map.entry("maxTries", "3"), Map.entry("afterProcess.moveTo", "/done"),
            Map.entry("afterProcess.preserveSubDirs", "true"), Map.entry("afterError.moveTo", "/bad"),
            Map.entry("afterError.preserveSubDirs", "false"), Map.entry("stepAsideAfter", "20"),
            Map.entry("socketConfig.ftpDataTimeout", "120"), Map.entry("socketConfig.ftpSocketTimeout", "60"),
            Map.entry("proxy.host", "proxy.internal"), Map.entry("proxy.port", "1080"), Map.entry("proxy.type", "SOCKS5"),
            Map.entry("proxy.auth.username", "pu"), Map.entry("proxy.auth.password", "proxysecret"),
            Map.entry("sftpTrustOnFirstUse", "true"),
            Map.entry("services[].name", "orders"), Map.entry("services[].path", "/in/orders"),
            Map.entry("services[].fileNamePattern", ".*\\.json"),
            Map.entry("services[].fileAgeFilter.minAge", "2"), Map.entry("services[].fileAgeFilter.maxAge", "3600"),
            Map.entry("services[].fileDependencyConditions[].targetPattern", "o-(\\d+)\\.json"),
            Map.entry("services[].fileDependencyConditions[].requiredFiles", "o-$1\\.ok"),
            Map.entry("services[].fileDependencyConditions[].matchingMode", "ANY"),
            Map.entry("services[].fileDependencyConditions[].requiredFileCount", "1"),
            Map.entry("services[].afterProcess.moveTo", "/done/orders"),
            Map.entry("services[].afterProcess.preserveSubDirs", "true"),
            Map.entry("services[].afterError.moveTo", "/bad/orders"),
            Map.entry("services[].afterError.preserveSubDirs", "false"),
            Map.entry("services[].methods.*.afterProcess.moveTo", "/done/json"),
            Map.entry("services[].methods.*.afterProcess.preserveSubDirs", "false"),
            Map.entry("services[].methods.*.afterError.moveTo", "/bad/json"),
            Map.entry("services[].methods.*.afterError.preserveSubDirs", "true"));

    /** A password and its file exclude each other: the password forms are bound in a second run. */
    static final Set<String> SECOND_RUN = Set.of("auth.credentials.password", "auth.privateKey.password");

    /** The property of a Go JSON path: ftpcoord., kebab-case, a list's first element, method onFileJson for *. */
    static String property(String path) {
        return "ftpcoord." + path.replace("[]", "[0]").replace("*", "onFileJson").replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
    }

    static Set<String> bind(Map<String, String> properties) {
        FtpcoordProperties p = new FtpcoordProperties();
        new Binder(new MapConfigurationPropertySource(properties)).bind("ftpcoord", Bindable.ofInstance(p));
        Set<String> out = new TreeSet<>();
        leafPaths(Json.read(p.toListenerConfig().toJson()), "", out);
        return out;
    }

    static void leafPaths(Object v, String prefix, Set<String> out) {
        if (v instanceof Map<?, ?> m) {
            boolean byName = prefix.equals("services[].methods."); // a map by method name: * in config-fields.txt
            for (Map.Entry<?, ?> e : m.entrySet()) {
                leafPaths(e.getValue(), prefix + (byName ? "*" : e.getKey()) + ".", out);
            }
        } else if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?>) {
            for (Object o : l) {
                leafPaths(o, prefix.substring(0, prefix.length() - 1) + "[].", out);
            }
        } else {
            out.add(prefix.substring(0, prefix.length() - 1));
        }
    }

    @Test
    void everyGoFieldHasItsProperty() throws IOException {
        Set<String> want = new TreeSet<>();
        for (String l : Files.readAllLines(FIELDS, StandardCharsets.UTF_8)) {
            if (!l.isBlank() && !l.startsWith("#")) {
                want.add(l.trim());
            }
        }
        assertTrue(want.size() > 60, FIELDS + " lists " + want.size() + " fields");
        Set<String> noValue = new TreeSet<>(want);
        noValue.removeAll(VALUES.keySet());
        assertEquals(Set.of(), noValue, "Go fields without a value in this test: add one, and the property to FtpcoordProperties");
        Map<String, String> first = new LinkedHashMap<>();
        Map<String, String> second = new LinkedHashMap<>();
        for (String f : want) {
            (SECOND_RUN.contains(f) ? second : first).put(property(f), VALUES.get(f));
        }
        second.put(property("auth.credentials.username"), "u");
        second.put(property("auth.privateKey.path"), "/k/id");
        Set<String> got = bind(first);
        got.addAll(bind(second));
        Set<String> missing = new TreeSet<>(want);
        missing.removeAll(got);
        Set<String> unknown = new TreeSet<>(got);
        unknown.removeAll(want);
        assertEquals(Set.of(), missing, "Go fields that no ftpcoord.* property reaches: give FtpcoordProperties each (its name: the Go JSON path in kebab-case)");
        assertEquals(Set.of(), unknown, "fields the properties write that the Go struct does not have");
    }
}
