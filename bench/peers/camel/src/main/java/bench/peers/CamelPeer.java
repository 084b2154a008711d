package bench.peers;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.support.RoutePolicySupport;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;

/**
 * One instance of the Apache Camel peer of bench/peers: camel-ftp's consumer with
 * idempotent=true over a JdbcMessageIdRepository (camel-sql) in PostgreSQL, not
 * eager (the key is stored once the exchange completed: at-least-once across a
 * SIGKILL), no read lock (files arrive by rename), and a master route: a
 * ClusteredRoutePolicy over Camel's FileLockClusterService (camel-file), so one
 * instance consumes at a time. PEER_CONCURRENCY above 1 hands the exchanges to
 * a Threads EIP pool of that size (camel-ftp's consumer itself is one thread over
 * one connection). The handler reads the whole file and appends "name instance
 * epochNanos bytes" to the shared log with one O_APPEND write; the route's start
 * (the takeover) appends "!leader instance epochNanos". Settings come from PEER_*
 * variables.
 */
public final class CamelPeer {
    private CamelPeer() {}

    static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException(name + " is not set");
        }
        return v;
    }

    public static void main(String[] args) throws Exception {
        String instance = env("PEER_INSTANCE");
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(env("PEER_JDBC_URL"));
        hc.setUsername(env("PEER_JDBC_USER"));
        hc.setPassword(env("PEER_JDBC_PASSWORD"));
        hc.setMaximumPoolSize(Math.max(4, Integer.parseInt(System.getenv().getOrDefault("PEER_CONCURRENCY", "1")) + 2));
        hc.setPoolName("camel-" + instance);
        HikariDataSource ds = new HikariDataSource(hc);
        // Camel's JDBC idempotent repository: table CAMEL_MESSAGEPROCESSED, keyed by
        // processor name and message id; created when missing.
        JdbcMessageIdRepository repo = new JdbcMessageIdRepository(ds, "peers");

        FileLockClusterService cluster = new FileLockClusterService();
        cluster.setId("peers-" + instance);
        cluster.setRoot(env("PEER_CLUSTER_DIR"));
        long intervalMs = Long.parseLong(System.getenv().getOrDefault("PEER_LOCK_INTERVAL_MS", "1000"));
        cluster.setAcquireLockDelay(100, TimeUnit.MILLISECONDS);
        cluster.setAcquireLockInterval(intervalMs, TimeUnit.MILLISECONDS);
        cluster.setHeartbeatTimeoutMultiplier(Integer.parseInt(System.getenv().getOrDefault("PEER_HEARTBEAT_MULTIPLIER", "3")));

        String uri = "ftp://" + env("PEER_FTP_USER") + "@" + env("PEER_FTP_HOST") + ":" + env("PEER_FTP_PORT")
                + env("PEER_FTP_DIR")
                + "?password=RAW(" + env("PEER_FTP_PASSWORD") + ")"
                + "&passiveMode=true&binary=true"
                + "&noop=true&idempotent=true&idempotentRepository=#repo&idempotentEager=false"
                + "&readLock=none"
                + "&initialDelay=0&delay=" + System.getenv().getOrDefault("PEER_POLL_MS", "1000");
        FileOutputStream handlerLog = new FileOutputStream(env("PEER_LOG"), true);
        byte[] me = (" " + instance + " ").getBytes(StandardCharsets.UTF_8);

        CamelContext ctx = new DefaultCamelContext();
        ctx.getRegistry().bind("repo", repo);
        ctx.addService(cluster);
        ClusteredRoutePolicy policy = ClusteredRoutePolicy.forNamespace(cluster, "peers");
        policy.setInitialDelay(Duration.ZERO);
        int concurrency = Integer.parseInt(System.getenv().getOrDefault("PEER_CONCURRENCY", "1"));
        // The takeover signal: ClusteredRoutePolicy starts the route on the leader.
        RoutePolicySupport leaderLog = new RoutePolicySupport() {
            @Override
            public void onStart(Route route) {
                Instant now = Instant.now();
                byte[] line = ("!leader " + instance + " " + (now.getEpochSecond() * 1_000_000_000L + now.getNano()) + "\n")
                        .getBytes(StandardCharsets.UTF_8);
                try {
                    synchronized (handlerLog) {
                        handlerLog.write(line);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        ctx.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                var route = from(uri).routeId("peers-ftp").routePolicy(policy, leaderLog);
                org.apache.camel.model.ProcessorDefinition<?> flow = concurrency > 1 ? route.threads(concurrency, concurrency) : route;
                flow.process(ex -> {
                    byte[] body = ex.getIn().getBody(byte[].class);
                    if (body == null) {
                        throw new IOException("no content for " + ex.getIn().getHeader("CamelFileName"));
                    }
                    String name = ex.getIn().getHeader("CamelFileNameOnly", String.class);
                    Instant now = Instant.now();
                    byte[] line = (name + new String(me, StandardCharsets.UTF_8)
                            + (now.getEpochSecond() * 1_000_000_000L + now.getNano()) + " " + body.length + "\n")
                            .getBytes(StandardCharsets.UTF_8);
                    synchronized (handlerLog) {
                        handlerLog.write(line);
                    }
                });
            }
        });
        ctx.start();
        System.out.println("peer started " + instance);
        Thread.currentThread().join();
    }
}
