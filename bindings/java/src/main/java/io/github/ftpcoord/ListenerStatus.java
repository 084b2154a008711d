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
 * /readyz answers 503 then).
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
        boolean pollStuck) {

    public ListenerStatus {
        ledger = Map.copyOf(ledger);
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
                Json.bool(Json.object(m.get("poll")), "stuck"));
    }

    private static Instant instant(String s) {
        return s == null || s.isEmpty() ? null : OffsetDateTime.parse(s).toInstant();
    }
}
