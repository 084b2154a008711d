package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A member that cannot log in to the file server says so in its status and gives the token up. */
class WorkHealthTest {
    @Test
    void aWrongPasswordGivesTheTokenUpToAGoodStandby() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); TestServices.Database db = TestServices.postgres()) {
            String group = TestServices.randomName("g-");
            ListenerConfig bad = TestServices.ftp(dir)
                    .credentials(TestServices.env("FTPCOORD_TEST_PUREFTPD_USER", "tester"), "not-the-password")
                    .pollingInterval(0.2)
                    .stepAsideAfter(2)
                    .coordination(TestServices.coordination(db, "java-bad", group))
                    .build();
            ListenerConfig good = TestServices.ftp(dir)
                    .pollingInterval(0.2)
                    .stepAsideAfter(2)
                    .coordination(TestServices.coordination(db, "java-good", group))
                    .build();
            RecordingService badSvc = new RecordingService();
            RecordingService goodSvc = new RecordingService();
            try (FtpListener lb = new FtpListener(bad); FtpListener lg = new FtpListener(good)) {
                lb.attach(badSvc);
                lb.start();
                assertEquals("active", lb.status().role(), "the member started first holds the token");
                assertTrue(lb.status().ableToWork(), "unable before stepAsideAfter");
                lg.attach(goodSvc);
                lg.start();
                dir.write("in.csv", "1,2");
                TestServices.await(Duration.ofSeconds(30), "the good member active", () -> "active".equals(lg.status().role()));
                ListenerStatus st = lb.status();
                assertEquals("standby", st.role(), st.toString());
                assertFalse(st.ableToWork(), st.toString());
                assertTrue(st.workReason().contains("530"), st.workReason());
                assertFalse(st.toString().contains("not-the-password"), st.toString());
                assertNotNull(st.asideUntil(), st.toString());
                TestServices.await(Duration.ofSeconds(20), "the good member processes the file", () -> goodSvc.count() == 1);
                assertEquals(0, badSvc.count());
                assertTrue(lg.status().ableToWork());
            }
        }
    }

    @Test
    void stepAsideAfterOutOfRangeIsRefusedNamingTheField() {
        FtpConfigException e = assertThrows(FtpConfigException.class, () -> ListenerConfig.builder().stepAsideAfter(0.5).build());
        assertEquals("stepAsideAfter", e.field());
        e = assertThrows(FtpConfigException.class, () -> ListenerConfig.builder().stepAsideAfter(7200).build());
        assertEquals("stepAsideAfter", e.field());
    }
}
