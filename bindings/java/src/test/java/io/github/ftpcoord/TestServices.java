package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The real test servers of tests/services (PostgreSQL, pure-ftpd, OpenSSH), from
 * the FTPCOORD_TEST_* environment that `eval "$(bash tests/services/start.sh)"`
 * sets (defaults: the throwaway instances on loopback). Every test makes its own
 * directory and database with a random name: other engineers' tests share the
 * servers.
 */
final class TestServices {
    private TestServices() {}

    static final SecureRandom RANDOM = new SecureRandom();

    /** The repository's root (the tests run in bindings/java). */
    static final Path REPO = Path.of("").toAbsolutePath().resolve("../..").normalize();

    static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? def : v;
    }

    static String randomName(String prefix) {
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
    record RemoteDir(Path local, String remote) implements AutoCloseable {
        Path write(String name, String content) throws IOException {
            Path p = local.resolve(name);
            // Write under a hidden name, then rename: the listener never sees a half-written file.
            Path tmp = local.resolve("." + randomName("tmp-"));
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, p);
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
        String name = randomName("java-");
        Path local = Path.of(root).resolve(name);
        Files.createDirectories(local);
        Files.setPosixFilePermissions(local, PosixFilePermissions.fromString("rwxrwxrwx"));
        return new RemoteDir(local, remoteIsLocalPath ? local.toString() : "/" + name);
    }

    // ---- pure-ftpd ----

    static String ftpAddr() {
        return env("FTPCOORD_TEST_PUREFTPD_ADDR", "127.0.0.1:2121");
    }

    static RemoteDir ftpDir() throws IOException {
        return dirUnder(env("FTPCOORD_TEST_PUREFTPD_ROOT", "/tmp/ftpcoord-services/pureftpd/root"), false);
    }

    /** A builder for an FTP listener on pure-ftpd watching dir. */
    static ListenerConfig.Builder ftp(RemoteDir dir) {
        return ListenerConfig.builder()
                .protocol(ListenerConfig.Protocol.FTP)
                .host(host(ftpAddr()))
                .port(port(ftpAddr()))
                .credentials(env("FTPCOORD_TEST_PUREFTPD_USER", "tester"), env("FTPCOORD_TEST_PUREFTPD_PASSWORD", "secret"))
                .path(dir.remote())
                .pollingInterval(3600);
    }

    // ---- OpenSSH ----

    static RemoteDir sftpDir() throws IOException {
        return dirUnder(env("FTPCOORD_TEST_SFTP_ROOT", "/tmp/ftpcoord-services/sshd/root"), true);
    }

    static ListenerConfig.Builder sftp(RemoteDir dir) {
        String addr = env("FTPCOORD_TEST_SFTP_ADDR", "127.0.0.1:2222");
        return ListenerConfig.builder()
                .protocol(ListenerConfig.Protocol.SFTP)
                .host(host(addr))
                .port(port(addr))
                .credentials(env("FTPCOORD_TEST_SFTP_USER", "root"), null)
                .privateKey(env("FTPCOORD_TEST_SFTP_KEY", "/tmp/ftpcoord-services/sshd/clientkey"), null)
                .sftpSshKnownHosts(env("FTPCOORD_TEST_SFTP_KNOWN_HOSTS", "/tmp/ftpcoord-services/sshd/known_hosts"))
                .path(dir.remote())
                .pollingInterval(3600);
    }

    // ---- PostgreSQL ----

    /** A fresh database with the schema applied; close drops it. */
    record Database(ListenerConfig.DatabaseConfig config, String adminUrl) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            psql(adminUrl, "-c", "DROP DATABASE IF EXISTS " + config.database() + " WITH (FORCE)");
        }
    }

    static Database postgres() throws Exception {
        String admin = env("FTPCOORD_TEST_POSTGRES_URL", "postgres://ftpcoord:ftpcoord-test@127.0.0.1:55432/postgres");
        URI u = URI.create(admin);
        String[] userInfo = u.getUserInfo().split(":", 2);
        String name = randomName("ftpc_java_");
        psql(admin, "-c", "CREATE DATABASE " + name);
        String dbUrl = admin.substring(0, admin.lastIndexOf('/') + 1) + name;
        psql(dbUrl, "-f", REPO.resolve("schema/postgres.sql").toString());
        return new Database(ListenerConfig.DatabaseConfig.postgresql(u.getHost(), u.getPort(), userInfo[0],
                userInfo.length > 1 ? userInfo[1] : null, name), admin);
    }

    static void psql(String url, String... args) throws IOException {
        String[] cmd = new String[args.length + 4];
        cmd[0] = "psql";
        cmd[1] = "-q";
        cmd[2] = "-v";
        cmd[3] = "ON_ERROR_STOP=1";
        System.arraycopy(args, 0, cmd, 4, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        // The settings go through the environment, not the command line (the password).
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
                fail("psql " + args[0] + " " + args[1] + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for psql", e);
        }
    }

    static ListenerConfig.CoordinationConfig coordination(Database db, String member, String group) {
        return ListenerConfig.CoordinationConfig.builder()
                .databaseConfig(db.config())
                .memberId(member)
                .coordinationGroup(group)
                .livenessCheckInterval(2)
                .heartbeatFrequency(0.25)
                .build();
    }

    // ---- waiting ----

    /** Waits for a condition, checking every 20 ms; fails with what after the timeout. */
    static void await(Duration timeout, String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
