package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** ListenerStatus reads the status JSON of ftpcoord_status (core/listener.Status). */
class ListenerStatusTest {
    @Test
    void readsPollStuckAndWork() {
        ListenerStatus s = ListenerStatus.fromJson(Json.object(Json.read(
                "{\"coordinated\": true, \"role\": \"active\", \"holder\": \"a\", \"term\": 7, \"healthy\": true,"
                        + " \"ledger\": {\"DONE\": 3}, \"work\": {\"able\": true},"
                        + " \"poll\": {\"running\": true, \"since\": \"2026-12-06T07:00:00Z\", \"stuck\": true}}")));
        assertTrue(s.pollStuck(), "poll.stuck");
        assertTrue(s.ableToWork());
        assertEquals(3, s.count("DONE"));
        assertEquals(7, s.term());
        ListenerStatus idle = ListenerStatus.fromJson(Json.object(Json.read(
                "{\"coordinated\": false, \"healthy\": true, \"poll\": {\"running\": false, \"stuck\": false}}")));
        assertFalse(idle.pollStuck(), "poll.stuck false");
        assertFalse(ListenerStatus.fromJson(Json.object(Json.read("{\"healthy\": true}"))).pollStuck(), "no poll object");
    }
}
