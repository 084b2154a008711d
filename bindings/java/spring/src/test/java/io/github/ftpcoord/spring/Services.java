package io.github.ftpcoord.spring;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.ftpcoord.ListenerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real servers of tests/services (PostgreSQL, OpenSSH, pure-ftpd) from the FTPCOORD_TEST_*
 * environment (run-tests.sh sets it), with a directory and a database of its own per test.
 */
public final class Services {
    private Services() {}

    static final SecureRandom RANDOM = new SecureRandom();

    /** The repository's root (the tests run in bindings/java/spring). */
    public static final Path REPO = Path.of("").toAbsolutePath().resolve("../../..").normalize();

    public static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? def : v;
    }

    public static String randomName(String prefix) {
        byte[] b = new byte[5];
        RANDOM.nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    static String host(String addr) {
        return addr.substring(0, addr.lastIndexOf(':'));
    }

    static int port(String addr) {
        return Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
    }

    /** A directory of its own on a server whose root is a local directory. */
    public record RemoteDir(Path local, String remote) implements AutoCloseable {
        /** Writes a file under a hidden name, then renames it: the listener never sees half a file. */
        public Path write(String name, String content) throws IOException {
            Path p = local.resolve(name);
            Path tmp = local.resolve("." + randomName("tmp-"));
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return p;
        }

        @Override
        public void close() throws IOException {
            try (Stream<Path> s = Files.walk(local)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static RemoteDir dirUnder(String root, boolean remoteIsLocalPath) throws IOException {
        String name = randomName("spring-");
        Path local = Path.of(root).resolve(name);
        Files.createDirectories(local);
        Files.setPosixFilePermissions(local, PosixFilePermissions.fromString("rwxrwxrwx"));
        return new RemoteDir(local, remoteIsLocalPath ? local.toString() : "/" + name);
    }

    // ---- OpenSSH (fast logins: most tests use it) ----

    public static RemoteDir sftpDir() throws IOException {
        return dirUnder(env("FTPCOORD_TEST_SFTP_ROOT", "/tmp/ftpcoord-services/sshd/root"), true);
    }

    static String sftpAddr() {
        return env("FTPCOORD_TEST_SFTP_ADDR", "127.0.0.1:2222");
    }

    public static ListenerConfig.Builder sftp(RemoteDir dir) {
        return ListenerConfig.builder()
                .protocol(ListenerConfig.Protocol.SFTP)
                .host(host(sftpAddr()))
                .port(port(sftpAddr()))
                .credentials(env("FTPCOORD_TEST_SFTP_USER", "root"), null)
                .privateKey(env("FTPCOORD_TEST_SFTP_KEY", "/tmp/ftpcoord-services/sshd/clientkey"), null)
                .sftpSshKnownHosts(env("FTPCOORD_TEST_SFTP_KNOWN_HOSTS", "/tmp/ftpcoord-services/sshd/known_hosts"))
                .path(dir.remote())
                .pollingInterval(0.2);
    }

    /** The ftpcoord.* properties of an SFTP listener on dir, with Ballerina's names. */
    public static Map<String, Object> sftpProperties(RemoteDir dir) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("ftpcoord.protocol", "sftp");
        p.put("ftpcoord.host", host(sftpAddr()));
        p.put("ftpcoord.port", port(sftpAddr()));
        p.put("ftpcoord.auth.credentials.username", env("FTPCOORD_TEST_SFTP_USER", "root"));
        p.put("ftpcoord.auth.private-key.path", env("FTPCOORD_TEST_SFTP_KEY", "/tmp/ftpcoord-services/sshd/clientkey"));
        p.put("ftpcoord.sftp-ssh-known-hosts", env("FTPCOORD_TEST_SFTP_KNOWN_HOSTS", "/tmp/ftpcoord-services/sshd/known_hosts"));
        p.put("ftpcoord.path", dir.remote());
        p.put("ftpcoord.polling-interval", "200ms");
        return p;
    }

    // ---- pure-ftpd ----

    public static RemoteDir ftpDir() throws IOException {
        return dirUnder(env("FTPCOORD_TEST_PUREFTPD_ROOT", "/tmp/ftpcoord-services/pureftpd/root"), false);
    }

    public static Map<String, Object> ftpProperties(RemoteDir dir) {
        String addr = env("FTPCOORD_TEST_PUREFTPD_ADDR", "127.0.0.1:2121");
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("ftpcoord.protocol", "FTP");
        p.put("ftpcoord.host", host(addr));
        p.put("ftpcoord.port", port(addr));
        p.put("ftpcoord.auth.credentials.username", env("FTPCOORD_TEST_PUREFTPD_USER", "tester"));
        p.put("ftpcoord.auth.credentials.password", env("FTPCOORD_TEST_PUREFTPD_PASSWORD", "secret"));
        p.put("ftpcoord.path", dir.remote());
        p.put("ftpcoord.polling-interval", "200ms");
        return p;
    }

    // ---- PostgreSQL ----

    /** A fresh database (with the schema unless bare); close drops it. */
    public record Database(ListenerConfig.DatabaseConfig config, String adminUrl) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            psql(adminUrl, "-c", "DROP DATABASE IF EXISTS " + config.database() + " WITH (FORCE)");
        }

        /** Runs one query and returns its rows, fields separated by '|'. */
        public String query(String sql) throws IOException {
            String url = adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + config.database();
            return psql(url, "-tA", "-c", sql).strip();
        }

        /** The coordination properties of a member of group in this database. */
        public Map<String, Object> properties(String member, String group) {
            return coordinationProperties("postgresql", config, member, group);
        }

        public ListenerConfig.CoordinationConfig coordination(String member, String group) {
            return ListenerConfig.CoordinationConfig.builder()
                    .databaseConfig(config)
                    .memberId(member)
                    .coordinationGroup(group)
                    .livenessCheckInterval(2)
                    .heartbeatFrequency(0.25)
                    .build();
        }
    }

    /** A fresh MariaDB database with the MySQL schema applied; close drops it. */
    public record MariaDb(ListenerConfig.DatabaseConfig config) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            mariadb(config, null, null, "-e", "DROP DATABASE IF EXISTS " + config.database());
        }

        public Map<String, Object> properties(String member, String group) {
            return coordinationProperties("mysql", config, member, group);
        }
    }

    /** Boot's ftpcoord.coordination.* properties of a member of group in a database of type. */
    static Map<String, Object> coordinationProperties(String type, ListenerConfig.DatabaseConfig config, String member, String group) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("ftpcoord.coordination.member-id", member);
        p.put("ftpcoord.coordination.coordination-group", group);
        p.put("ftpcoord.coordination.liveness-check-interval", "2");
        p.put("ftpcoord.coordination.heartbeat-frequency", "250ms");
        p.put("ftpcoord.coordination.database-config.type", type);
        p.put("ftpcoord.coordination.database-config.host", config.host());
        p.put("ftpcoord.coordination.database-config.port", config.port());
        p.put("ftpcoord.coordination.database-config.user", config.user());
        p.put("ftpcoord.coordination.database-config.password", config.password());
        p.put("ftpcoord.coordination.database-config.database", config.database());
        return p;
    }

    public static MariaDb mariadb() throws IOException {
        URI u = URI.create(env("FTPCOORD_TEST_MYSQL_URL", "mysql://ftpcoord:ftpcoord-test@127.0.0.1:33306/mysql"));
        String[] userInfo = u.getUserInfo().split(":", 2);
        String name = randomName("ftpc_spring_");
        ListenerConfig.DatabaseConfig c = ListenerConfig.DatabaseConfig.mysql(u.getHost(), u.getPort(), userInfo[0],
                userInfo.length > 1 ? userInfo[1] : null, name);
        mariadb(c, null, null, "-e", "CREATE DATABASE " + name);
        mariadb(c, name, REPO.resolve("schema/mysql.sql"));
        return new MariaDb(c);
    }

    static void mariadb(ListenerConfig.DatabaseConfig c, String database, Path input, String... args) throws IOException {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("mariadb", "--protocol=TCP",
                "-h", c.host(), "-P", String.valueOf(c.port()), "-u", c.user()));
        cmd.addAll(java.util.List.of(args));
        if (database != null) {
            cmd.add(database);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (c.password() != null) {
            pb.environment().put("MYSQL_PWD", c.password()); // not on the command line
        }
        if (input != null) {
            pb.redirectInput(input.toFile());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("mariadb " + String.join(" ", args) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for mariadb", e);
        }
    }

    public static Database postgres() throws IOException {
        return postgres(true);
    }

    public static Database postgres(boolean withSchema) throws IOException {
        String admin = env("FTPCOORD_TEST_POSTGRES_URL", "postgres://ftpcoord:ftpcoord-test@127.0.0.1:55432/postgres");
        URI u = URI.create(admin);
        String[] userInfo = u.getUserInfo().split(":", 2);
        String name = randomName("ftpc_spring_");
        psql(admin, "-c", "CREATE DATABASE " + name);
        String dbUrl = admin.substring(0, admin.lastIndexOf('/') + 1) + name;
        if (withSchema) {
            psql(dbUrl, "-f", REPO.resolve("schema/postgres.sql").toString());
        }
        return new Database(ListenerConfig.DatabaseConfig.postgresql(u.getHost(), u.getPort(), userInfo[0],
                userInfo.length > 1 ? userInfo[1] : null, name), admin);
    }

    static String psql(String url, String... args) throws IOException {
        String[] cmd = new String[args.length + 4];
        cmd[0] = "psql";
        cmd[1] = "-q";
        cmd[2] = "-v";
        cmd[3] = "ON_ERROR_STOP=1";
        System.arraycopy(args, 0, cmd, 4, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        URI u = URI.create(url);
        String[] userInfo = u.getUserInfo().split(":", 2);
        pb.environment().put("PGHOST", u.getHost());
        pb.environment().put("PGPORT", String.valueOf(u.getPort()));
        pb.environment().put("PGUSER", userInfo[0]);
        if (userInfo.length > 1) {
            pb.environment().put("PGPASSWORD", userInfo[1]);
        }
        pb.environment().put("PGDATABASE", u.getPath().substring(1));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("psql " + String.join(" ", args) + " failed: " + out);
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for psql", e);
        }
    }
}
