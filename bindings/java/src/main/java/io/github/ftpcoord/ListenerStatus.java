package io.github.ftpcoord;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A member's state: whether it is coordinated, its role ("active" or
 * "standby"), the group's token holder and term, its last heartbeat (null
 * before the first), whether it is healthy, the ledger's file counts by
 * state (e.g. DONE, FAILED, REJECTED), and whether it can do the work: {@code
 * ableToWork} is false once its polls have failed to connect or log in to the
 * file server for {@code stepAsideAfter} ({@code workReason} says why, never
 * with a password); with coordination it then gave the token up and does not
 * compete for it before {@code asideUntil} (null otherwise). {@code pollStuck}
 * is true while the running poll has made no progress for twice
 * processingTimeout (the status JSON's {@code poll.stuck}; the command's
 * /readyz answers 503 then). {@code backlog} is the group's backlog read from
 * the ledger (null without coordination); {@code notReadyReason} is why the
 * member is not ready ("stopping", "unable_to_work", "stuck"), null while it
 * is ready.
 */
public record ListenerStatus(
        boolean coordinated,
        String role,
        String holder,
        long term,
        Instant lastHeartbeat,
        boolean healthy,
        Map<String, Long> ledger,
        boolean ableToWork,
        String workReason,
        Instant asideUntil,
        boolean pollStuck,
        Backlog backlog,
        String notReadyReason) {

    public ListenerStatus {
        ledger = Map.copyOf(ledger);
    }

    /** A status without a backlog, ready and not stuck (as statuses were before they had them). */
    public ListenerStatus(boolean coordinated, String role, String holder, long term, Instant lastHeartbeat, boolean healthy,
            Map<String, Long> ledger, boolean ableToWork, String workReason, Instant asideUntil) {
        this(coordinated, role, holder, term, lastHeartbeat, healthy, ledger, ableToWork, workReason, asideUntil, false, null, null);
    }

    /**
     * The group's file versions in one ledger state: how many, and the age of the oldest since
     * its first listing (database clock; 0 when there is none).
     */
    public record StateBacklog(long files, double oldestSeconds) {
        static StateBacklog fromJson(Object v) {
            Map<String, Object> m = Json.object(v);
            return new StateBacklog(Json.num(m, "files"), m.get("oldestSeconds") instanceof Number n ? n.doubleValue() : 0);
        }
    }

    /**
     * The group's backlog (docs/metrics.md): unfinished versions by state, the failed attempts
     * among them ({@code retries}); this member's supersessions and the count and total seconds
     * of the time from a version's first listing to its commit, for the versions it committed.
     */
    public record Backlog(
            StateBacklog pending,
            StateBacklog inProgress,
            StateBacklog failed,
            StateBacklog rejected,
            long retries,
            long supersessions,
            long listedToCommitCount,
            double listedToCommitSeconds) {
        static Backlog fromJson(Object v) {
            if (!(v instanceof Map<?, ?>)) {
                return null;
            }
            Map<String, Object> m = Json.object(v);
            Map<String, Object> h = Json.object(m.get("listedToCommit"));
            return new Backlog(
                    StateBacklog.fromJson(m.get("pending")),
                    StateBacklog.fromJson(m.get("inProgress")),
                    StateBacklog.fromJson(m.get("failed")),
                    StateBacklog.fromJson(m.get("rejected")),
                    Json.num(m, "retries"),
                    Json.num(m, "supersessions"),
                    Json.num(h, "count"),
                    h.get("sumSeconds") instanceof Number n ? n.doubleValue() : 0);
        }
    }

    /** The number of files in a ledger state, 0 when there are none. */
    public long count(String state) {
        return ledger.getOrDefault(state, 0L);
    }

    static ListenerStatus fromJson(Map<String, Object> m) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : Json.object(m.get("ledger")).entrySet()) {
            if (e.getValue() instanceof Number n) {
                counts.put(e.getKey(), n.longValue());
            }
        }
        Instant last = instant(Json.str(m, "lastHeartbeat"));
        Map<String, Object> work = Json.object(m.get("work"));
        Map<String, Object> readiness = Json.object(m.get("readiness"));
        return new ListenerStatus(
                Json.bool(m, "coordinated"),
                Json.str(m, "role"),
                Json.str(m, "holder"),
                Json.num(m, "term"),
                last,
                Json.bool(m, "healthy"),
                counts,
                !work.containsKey("able") || Json.bool(work, "able"),
                Json.str(work, "reason"),
                instant(Json.str(work, "asideUntil")),
                Json.bool(Json.object(m.get("poll")), "stuck"),
                Backlog.fromJson(m.get("backlog")),
                Json.bool(readiness, "ready") || readiness.isEmpty() ? null : Json.str(readiness, "reason"));
    }

    private static Instant instant(String s) {
        return s == null || s.isEmpty() ? null : OffsetDateTime.parse(s).toInstant();
    }
}
