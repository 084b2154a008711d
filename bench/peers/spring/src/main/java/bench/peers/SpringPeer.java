package bench.peers;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.File;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import javax.sql.DataSource;
import org.apache.commons.net.ftp.FTPClient;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.Pollers;
import org.springframework.integration.file.remote.session.CachingSessionFactory;
import org.springframework.integration.ftp.dsl.Ftp;
import org.springframework.integration.ftp.filters.FtpPersistentAcceptOnceFileListFilter;
import org.springframework.integration.ftp.session.DefaultFtpSessionFactory;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.integration.jdbc.metadata.JdbcMetadataStore;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;
import org.springframework.messaging.Message;

/**
 * One instance of the Spring Integration peer of bench/peers: the FTP inbound
 * channel adapter (synchronizing to a local directory) with an
 * FtpPersistentAcceptOnceFileListFilter over a JdbcMetadataStore in PostgreSQL, in
 * the role "peers", which a LockRegistryLeaderInitiator over a JdbcLockRegistry
 * grants to one instance at a time. The handler reads the whole local copy,
 * appends "name instance epochNanos" to the shared log with one O_APPEND write and
 * deletes the copy. Settings come from PEER_* variables (see CamelPeer).
 */
@Configuration
@EnableIntegration
public class SpringPeer {
    static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException(name + " is not set");
        }
        return v;
    }

    static long envLong(String name, long dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : Long.parseLong(v);
    }

    @Bean
    public HikariDataSource dataSource() {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(env("PEER_JDBC_URL"));
        hc.setUsername(env("PEER_JDBC_USER"));
        hc.setPassword(env("PEER_JDBC_PASSWORD"));
        hc.setMaximumPoolSize(4);
        hc.setPoolName("spring-" + env("PEER_INSTANCE"));
        return new HikariDataSource(hc);
    }

    @Bean
    public CachingSessionFactory<org.apache.commons.net.ftp.FTPFile> sessionFactory() {
        DefaultFtpSessionFactory sf = new DefaultFtpSessionFactory();
        sf.setHost(env("PEER_FTP_HOST"));
        sf.setPort(Integer.parseInt(env("PEER_FTP_PORT")));
        sf.setUsername(env("PEER_FTP_USER"));
        sf.setPassword(env("PEER_FTP_PASSWORD"));
        sf.setClientMode(FTPClient.PASSIVE_LOCAL_DATA_CONNECTION_MODE);
        sf.setFileType(org.apache.commons.net.ftp.FTP.BINARY_FILE_TYPE);
        return new CachingSessionFactory<>(sf, 4);
    }

    @Bean
    public DataSourceTransactionManager transactionManager(DataSource ds) {
        return new DataSourceTransactionManager(ds);
    }

    @Bean
    public JdbcMetadataStore metadataStore(DataSource ds) {
        return new JdbcMetadataStore(ds);
    }

    @Bean
    public DefaultLockRepository lockRepository(DataSource ds) {
        return new DefaultLockRepository(ds);
    }

    @Bean
    public JdbcLockRegistry lockRegistry(DefaultLockRepository repo) {
        return new JdbcLockRegistry(repo, Duration.ofMillis(envLong("PEER_LOCK_TTL_MS", 3000)));
    }

    @Bean
    public LockRegistryLeaderInitiator leaderInitiator(JdbcLockRegistry registry) {
        LockRegistryLeaderInitiator li = new LockRegistryLeaderInitiator(registry,
                new DefaultCandidate(env("PEER_INSTANCE"), "peers"));
        li.setHeartBeatMillis(envLong("PEER_HEARTBEAT_MS", 1000));
        return li;
    }

    @Bean
    public IntegrationFlow ftpFlow(CachingSessionFactory<org.apache.commons.net.ftp.FTPFile> sf,
            JdbcMetadataStore store) throws Exception {
        String instance = env("PEER_INSTANCE");
        FileOutputStream log = new FileOutputStream(env("PEER_LOG"), true);
        File local = new File(env("PEER_LOCAL_DIR"));
        return IntegrationFlow
                .from(Ftp.inboundAdapter(sf)
                        .remoteDirectory(env("PEER_FTP_DIR"))
                        .filter(new FtpPersistentAcceptOnceFileListFilter(store, "peers:"))
                        .localDirectory(local)
                        .autoCreateLocalDirectory(true)
                        .preserveTimestamp(true)
                        .maxFetchSize((int) envLong("PEER_MAX_FETCH", -1)),
                        e -> e.poller(Pollers.fixedDelay(Duration.ofMillis(envLong("PEER_POLL_MS", 1000)))
                                .maxMessagesPerPoll(-1))
                                .role("peers")
                                .autoStartup(false))
                .handle((Message<?> m) -> {
                    File f = (File) m.getPayload();
                    try {
                        byte[] body = Files.readAllBytes(f.toPath());
                        Instant now = Instant.now();
                        byte[] line = (f.getName() + " " + instance + " "
                                + (now.getEpochSecond() * 1_000_000_000L + now.getNano()) + " " + body.length + "\n")
                                .getBytes(StandardCharsets.UTF_8);
                        synchronized (log) {
                            log.write(line);
                        }
                        Files.delete(f.toPath());
                    } catch (java.io.IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                })
                .get();
    }

    public static void main(String[] args) throws Exception {
        AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext(SpringPeer.class);
        ctx.registerShutdownHook();
        System.out.println("peer started " + env("PEER_INSTANCE"));
        Thread.currentThread().join();
    }
}
