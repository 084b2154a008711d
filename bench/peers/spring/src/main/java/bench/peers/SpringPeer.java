package bench.peers;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.Closeable;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import javax.sql.DataSource;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPFile;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.StaticMessageHeaderAccessor;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.PollerSpec;
import org.springframework.integration.dsl.Pollers;
import org.springframework.integration.file.FileHeaders;
import org.springframework.integration.file.remote.session.CachingSessionFactory;
import org.springframework.integration.ftp.dsl.Ftp;
import org.springframework.integration.ftp.filters.FtpPersistentAcceptOnceFileListFilter;
import org.springframework.integration.ftp.session.DefaultFtpSessionFactory;
import org.springframework.integration.ftp.session.FtpRemoteFileTemplate;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.integration.jdbc.metadata.JdbcMetadataStore;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.messaging.Message;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * One instance of the Spring Integration peer of bench/peers: the FTP streaming
 * inbound channel adapter (maxFetchSize 1) with an FtpPersistentAcceptOnceFileListFilter
 * over a JdbcMetadataStore in PostgreSQL, polled in a transaction of a
 * DataSourceTransactionManager on the same DataSource: the filter's entry for a
 * file commits with the flow that processed it, so a SIGKILL before the commit
 * leaves the file to the next leader (at-least-once). The adapter is in the role
 * "peers", which a LockRegistryLeaderInitiator over a JdbcLockRegistry grants to
 * one instance at a time. PEER_CONCURRENCY above 1 gives the poller a task
 * executor of that many threads (each poll its own transaction) and the session
 * cache as many sessions. The handler reads the whole stream, appends "name
 * instance epochNanos bytes" to the shared log with one O_APPEND write and closes
 * the session; leadership granted (the takeover) appends "!leader instance
 * epochNanos". Settings come from PEER_* variables (see CamelPeer).
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

    static final int CONCURRENCY = (int) envLong("PEER_CONCURRENCY", 1);
    static final FileOutputStream LOG;

    static {
        try {
            LOG = new FileOutputStream(env("PEER_LOG"), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void logLine(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        try {
            synchronized (LOG) {
                LOG.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long nanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Bean
    public HikariDataSource dataSource() {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(env("PEER_JDBC_URL"));
        hc.setUsername(env("PEER_JDBC_USER"));
        hc.setPassword(env("PEER_JDBC_PASSWORD"));
        hc.setMaximumPoolSize(Math.max(4, CONCURRENCY + 2));
        hc.setPoolName("spring-" + env("PEER_INSTANCE"));
        return new HikariDataSource(hc);
    }

    @Bean
    public CachingSessionFactory<FTPFile> sessionFactory() {
        DefaultFtpSessionFactory sf = new DefaultFtpSessionFactory();
        sf.setHost(env("PEER_FTP_HOST"));
        sf.setPort(Integer.parseInt(env("PEER_FTP_PORT")));
        sf.setUsername(env("PEER_FTP_USER"));
        sf.setPassword(env("PEER_FTP_PASSWORD"));
        sf.setClientMode(FTPClient.PASSIVE_LOCAL_DATA_CONNECTION_MODE);
        sf.setFileType(org.apache.commons.net.ftp.FTP.BINARY_FILE_TYPE);
        return new CachingSessionFactory<>(sf, CONCURRENCY);
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
        String instance = env("PEER_INSTANCE");
        LockRegistryLeaderInitiator li = new LockRegistryLeaderInitiator(registry,
                new DefaultCandidate(instance, "peers") {
                    @Override
                    public void onGranted(Context ctx) {
                        logLine("!leader " + instance + " " + nanos() + "\n");
                        super.onGranted(ctx);
                    }
                });
        li.setHeartBeatMillis(envLong("PEER_HEARTBEAT_MS", 1000));
        return li;
    }

    @Bean
    public IntegrationFlow ftpFlow(CachingSessionFactory<FTPFile> sf, JdbcMetadataStore store,
            DataSourceTransactionManager tx) {
        String instance = env("PEER_INSTANCE");
        PollerSpec poller = Pollers.fixedDelay(Duration.ofMillis(envLong("PEER_POLL_MS", 1000)))
                .maxMessagesPerPoll(-1)
                .transactional(tx);
        if (CONCURRENCY > 1) {
            ThreadPoolTaskExecutor ex = new ThreadPoolTaskExecutor();
            ex.setCorePoolSize(CONCURRENCY);
            ex.setMaxPoolSize(CONCURRENCY);
            ex.setQueueCapacity(0);
            ex.setThreadNamePrefix("poll-");
            ex.initialize();
            poller = poller.taskExecutor(ex);
        }
        PollerSpec p = poller;
        return IntegrationFlow
                .from(Ftp.inboundStreamingAdapter(new FtpRemoteFileTemplate(sf))
                        .remoteDirectory(env("PEER_FTP_DIR"))
                        .filter(new FtpPersistentAcceptOnceFileListFilter(store, "peers:"))
                        .maxFetchSize(1),
                        e -> e.poller(p).role("peers").autoStartup(false))
                .handle((Message<?> m) -> {
                    String name = m.getHeaders().get(FileHeaders.REMOTE_FILE, String.class);
                    try (InputStream in = (InputStream) m.getPayload()) {
                        byte[] body = in.readAllBytes();
                        logLine(name + " " + instance + " " + nanos() + " " + body.length + "\n");
                    } catch (IOException ex) {
                        throw new UncheckedIOException(ex);
                    } finally {
                        Closeable session = StaticMessageHeaderAccessor.getCloseableResource(m);
                        if (session != null) {
                            try {
                                session.close();
                            } catch (IOException ex) {
                                throw new UncheckedIOException(ex);
                            }
                        }
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
