package io.github.ftpcoord;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A member's state: whether it is coordinated, its role ("active" or
 * "standby"), the group's token holder and term, its last heartbeat (null
 * before the first), whether it is healthy, and the ledger's file counts by
 * state (e.g. DONE, FAILED, REJECTED).
 */
public record ListenerStatus(
        boolean coordinated,
        String role,
        String holder,
        long term,
        Instant lastHeartbeat,
        boolean healthy,
        Map<String, Long> ledger) {

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
        String hb = Json.str(m, "lastHeartbeat");
        Instant last = hb == null || hb.isEmpty() ? null : OffsetDateTime.parse(hb).toInstant();
        return new ListenerStatus(
                Json.bool(m, "coordinated"),
                Json.str(m, "role"),
                Json.str(m, "holder"),
                Json.num(m, "term"),
                last,
                Json.bool(m, "healthy"),
                counts);
    }
}
