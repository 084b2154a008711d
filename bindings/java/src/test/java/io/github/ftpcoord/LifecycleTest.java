package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Misuse never crashes the JVM: it is an exception. */
class LifecycleTest {
    static final Service FILES = new Service() {
        @Override
        public void onFile(FileInfo file, InputStream content, Caller caller) {}
    };

    @Test
    void versionComesFromTheLibrary() {
        assertTrue(FtpListener.version().startsWith("ftpcoord "), FtpListener.version());
    }

    @Test
    void useAfterCloseIsIllegalState() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            FtpListener l = new FtpListener(TestServices.ftp(dir).build());
            l.attach(FILES);
            Caller caller = l.caller();
            assertFalse(l.isClosed());
            l.close();
            assertTrue(l.isClosed());
            assertDoesNotThrow(l::close, "a second close does nothing");
            assertThrows(IllegalStateException.class, () -> l.stop(true));
            assertThrows(IllegalStateException.class, l::start);
            assertThrows(IllegalStateException.class, l::pollOnce);
            assertThrows(IllegalStateException.class, l::status);
            assertThrows(IllegalStateException.class, l::caller);
            assertThrows(IllegalStateException.class, () -> l.attach(FILES));
            assertThrows(IllegalStateException.class, () -> caller.exists(dir.remote()));
            assertThrows(IllegalStateException.class, () -> caller.list(dir.remote()));
        }
    }

    @Test
    void misuseBeforeStart() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir(); FtpListener l = new FtpListener(TestServices.ftp(dir).build())) {
            assertThrows(IllegalStateException.class, l::start, "start before attach");
            assertThrows(IllegalStateException.class, l::pollOnce, "pollOnce before attach");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.attach(new Service() {}));
            assertTrue(e.getMessage().contains("onFile"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> l.attach(null));
            ListenerStatus st = l.status();
            assertFalse(st.coordinated());
            assertEquals(0, st.count("DONE"));
        }
    }

    @Test
    void contentAfterOnFileReturnedIsClosed() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            dir.write("kept.txt", "kept");
            AtomicReference<InputStream> kept = new AtomicReference<>();
            try (FtpListener l = new FtpListener(TestServices.ftp(dir).build())) {
                l.attach(new Service() {
                    @Override
                    public void onFile(FileInfo file, InputStream content, Caller caller) {
                        kept.set(content); // a service that keeps the stream past its method
                    }
                });
                l.pollOnce();
                TestServices.await(Duration.ofSeconds(10), "the file event", () -> kept.get() != null);
                IOException e = assertThrows(IOException.class, () -> kept.get().read(new byte[10]));
                assertTrue(e.getMessage().contains("only until onFile returns"), e.getMessage());
            }
        }
    }

    @Test
    void closeFromInsideTheServiceDoesNotDeadlock() throws Exception {
        try (TestServices.RemoteDir dir = TestServices.ftpDir()) {
            dir.write("stop-here.txt", "x");
            CompletableFuture<Boolean> closedInside = new CompletableFuture<>();
            FtpListener[] self = new FtpListener[1];
            try (FtpListener l = new FtpListener(TestServices.ftp(dir).pollingInterval(0.2).build())) {
                self[0] = l;
                l.attach(new Service() {
                    @Override
                    public void onFile(FileInfo file, InputStream content, Caller caller) {
                        self[0].close(); // from the dispatcher thread itself
                        closedInside.complete(self[0].isClosed());
                    }
                });
                l.start();
                assertTrue(closedInside.get(20, TimeUnit.SECONDS), "closed from inside onFile");
                assertThrows(IllegalStateException.class, l::status);
            }
        }
    }
}
