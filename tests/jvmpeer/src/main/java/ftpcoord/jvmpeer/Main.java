package ftpcoord.jvmpeer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.SimpleTimeZone;
import java.util.TimeZone;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One ballerina/task warm-backup node, as the task module's native code runs
 * it (TokenAcquisition, HealthCheckScheduler, the task job), written anew for
 * the interop tests: the same statements, each unit of work on a fresh
 * DriverManager connection with the bare JDBC URL (no connection
 * properties), autocommit off then commit, the JVM's default time zone, the
 * same stale rule. What differs is for tests only: periods in milliseconds
 * (Ballerina takes whole seconds), and the state printed on stdout.
 *
 * <p>Arguments are key=value: dialect (postgresql|mysql), host, port,
 * database, user, password, task, group, liveness (s), heartbeatMs,
 * pollMs, and optionally dst=stdOffsetSeconds,springEpochMs,fallEpochMs,ID
 * to make the default zone one whose clocks go forward at springEpochMs and
 * back at fallEpochMs (a SimpleTimeZone named ID: PostgreSQL's driver sends
 * the ID as the session TimeZone, so ID must be the same rule in POSIX form).
 *
 * <p>Lines printed: "started active=B", then "tick N active=B" after each
 * election tick, "dead MESSAGE" when an SQL error ends the ticking (as it
 * unschedules Ballerina's job), "heartbeat-error MESSAGE" (swallowed, as
 * Ballerina does, but shown). It runs until killed or until stdin closes.
 */
public final class Main {
    static final String HAS_ACTIVE_TOKEN = "SELECT task_id FROM token_holder WHERE task_id = ? AND group_id = ?";
    static final String CURRENT_TOKEN = "SELECT task_id FROM token_holder WHERE group_id = ?";
    static final String CURRENT_TIME = "SELECT CURRENT_TIMESTAMP";
    static final String HEALTH_CHECK = "SELECT last_heartbeat FROM health_check WHERE task_id = ? AND group_id = ? "
            + "ORDER BY last_heartbeat DESC LIMIT 1";
    static final String PG_UPSERT_TOKEN = "INSERT INTO token_holder(task_id, group_id, term) VALUES (?, ?, 1) "
            + "ON CONFLICT (group_id) DO UPDATE SET task_id = EXCLUDED.task_id, term = token_holder.term + 1";
    static final String MY_UPSERT_TOKEN = "INSERT INTO token_holder(task_id, group_id, term) VALUES (?, ?, 1) "
            + "ON DUPLICATE KEY UPDATE task_id = VALUES(task_id), term = term + 1";
    static final String PG_HEARTBEAT = "INSERT INTO health_check(task_id, group_id, last_heartbeat) "
            + "VALUES (?, ?, CURRENT_TIMESTAMP) "
            + "ON CONFLICT (task_id, group_id) DO UPDATE SET last_heartbeat = EXCLUDED.last_heartbeat";
    static final String MY_HEARTBEAT = "INSERT INTO health_check(task_id, group_id, last_heartbeat) "
            + "VALUES (?, ?, CURRENT_TIMESTAMP) ON DUPLICATE KEY UPDATE last_heartbeat = CURRENT_TIMESTAMP";

    private final boolean mysql;
    private final String url;
    private final String user;
    private final String password;
    private final String task;
    private final String group;
    private final int liveness;
    private boolean startedActive;
    private int ticks;
    private volatile boolean dead;

    Main(Map<String, String> a) {
        mysql = "mysql".equals(a.get("dialect"));
        url = String.format(mysql ? "jdbc:mysql://%s:%s/%s" : "jdbc:postgresql://%s:%s/%s",
                a.get("host"), a.get("port"), a.get("database"));
        user = a.get("user");
        password = a.get("password");
        task = a.get("task");
        group = a.get("group");
        liveness = Integer.parseInt(a.get("liveness"));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int i = arg.indexOf('=');
            a.put(arg.substring(0, i), arg.substring(i + 1));
        }
        if (a.containsKey("dst")) {
            TimeZone.setDefault(dstZone(a.get("dst")));
        }
        Main node = new Main(a);
        node.run(Long.parseLong(a.get("heartbeatMs")), Long.parseLong(a.get("pollMs")));
    }

    /** A zone std seconds east of UTC, one hour ahead between two instants of one year. */
    static TimeZone dstZone(String spec) {
        String[] p = spec.split(",", 4);
        int std = Integer.parseInt(p[0]) * 1000;
        ZonedDateTime spring = Instant.ofEpochMilli(Long.parseLong(p[1])).atZone(ZoneOffset.UTC);
        ZonedDateTime fall = Instant.ofEpochMilli(Long.parseLong(p[2])).atZone(ZoneOffset.UTC);
        return new SimpleTimeZone(std, p[3],
                spring.getMonthValue() - 1, spring.getDayOfMonth(), 0, msOfDay(spring), SimpleTimeZone.UTC_TIME,
                fall.getMonthValue() - 1, fall.getDayOfMonth(), 0, msOfDay(fall), SimpleTimeZone.UTC_TIME,
                3_600_000);
    }

    static int msOfDay(ZonedDateTime t) {
        return (int) (t.toLocalTime().toNanoOfDay() / 1_000_000);
    }

    void run(long heartbeatMs, long pollMs) throws Exception {
        // The listener's start: acquire (or not) the token once, then start
        // the heartbeat at once, then the job on each trigger.
        boolean active;
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try {
                active = attemptTokenAcquisition(c, false);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
        startedActive = active;
        emit("started active=" + active);
        // As HealthCheckScheduler: a fixed-rate schedule that hands each
        // heartbeat to a thread of its own (Ballerina's are virtual threads,
        // Java 21), so that a slow one does not delay the next.
        ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
        ExecutorService beaters = Executors.newCachedThreadPool();
        heartbeats.scheduleAtFixedRate(() -> beaters.submit(this::heartbeat), 0, heartbeatMs, TimeUnit.MILLISECONDS);
        ScheduledExecutorService trigger = Executors.newSingleThreadScheduledExecutor();
        trigger.scheduleAtFixedRate(this::tick, pollMs, pollMs, TimeUnit.MILLISECONDS);
        // Until the test closes stdin or kills the process.
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (in.readLine() != null) {
            // nothing to read: stdin only tells that the test is still there
        }
        Runtime.getRuntime().halt(0); // a crash: nothing more is written
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /** HealthCheckScheduler's task: errors are swallowed. */
    void heartbeat() {
        Connection c;
        try {
            c = connect();
        } catch (SQLException e) {
            emit("heartbeat-error " + oneLine(e));
            return;
        }
        try (c) {
            c.setAutoCommit(false);
            try (PreparedStatement s = c.prepareStatement(mysql ? MY_HEARTBEAT : PG_HEARTBEAT)) {
                s.setString(1, task);
                s.setString(2, group);
                s.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                emit("heartbeat-error " + oneLine(e));
            }
        } catch (SQLException ignored) {
            // closing or rolling back failed: nothing to do
        }
    }

    /** The task job: a node that started active only checks it still holds the token. */
    void tick() {
        if (dead) {
            return;
        }
        Connection c;
        try {
            c = connect();
        } catch (SQLException e) {
            return; // cannot connect: the tick is skipped
        }
        boolean active;
        try (c) {
            c.setAutoCommit(false);
            try {
                active = startedActive ? hasActiveToken(c) : attemptTokenAcquisition(c, false);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                dead = true;
                emit("dead " + oneLine(e));
                return;
            }
        } catch (SQLException e) {
            dead = true;
            emit("dead " + oneLine(e));
            return;
        }
        ticks++;
        emit("tick " + ticks + " active=" + active);
    }

    boolean hasActiveToken(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(HAS_ACTIVE_TOKEN)) {
            s.setString(1, task);
            s.setString(2, group);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** TokenAcquisition.attemptTokenAcquisition, rule for rule. */
    boolean attemptTokenAcquisition(Connection c, boolean hasToken) throws SQLException {
        String holder;
        try (PreparedStatement s = c.prepareStatement(CURRENT_TOKEN)) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    upsertToken(c);
                    return true;
                }
                holder = r.getString("task_id");
            }
        }
        if (holder.equals(task)) {
            return true;
        }
        Timestamp now;
        try (PreparedStatement s = c.prepareStatement(CURRENT_TIME); ResultSet r = s.executeQuery()) {
            now = r.next() ? r.getTimestamp(1) : Timestamp.from(Instant.now());
        }
        try (PreparedStatement s = c.prepareStatement(HEALTH_CHECK)) {
            s.setString(1, holder);
            s.setString(2, group);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    upsertToken(c);
                    return true;
                }
                Timestamp last = r.getTimestamp("last_heartbeat");
                long staleSeconds = (now.getTime() - last.getTime()) / 1000;
                if (staleSeconds > liveness) {
                    upsertToken(c);
                    return true;
                }
            }
        }
        return hasToken;
    }

    void upsertToken(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(mysql ? MY_UPSERT_TOKEN : PG_UPSERT_TOKEN)) {
            s.setString(1, task);
            s.setString(2, group);
            s.executeUpdate();
        }
    }

    static synchronized void emit(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static String oneLine(Exception e) {
        return String.valueOf(e.getMessage()).replace('\n', ' ');
    }
}
