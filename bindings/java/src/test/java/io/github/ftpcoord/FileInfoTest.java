package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The file event's JSON as the C ABI writes it (capi/bridge.go: fileEvent). */
class FileInfoTest {
    @Test
    void aTracedFileEventCarriesItsTraceparent() {
        String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        FileInfo f = FileInfo.fromJson(Json.object(Json.read(
                "{\"path\":\"/in/a.csv\",\"name\":\"a.csv\",\"size\":3,\"attempt\":2,\"idempotencyKey\":\"k\",\"traceparent\":\"" + tp + "\"}")));
        assertEquals(tp, f.traceparent());
        assertEquals("/in/a.csv", f.path());
        assertEquals(2, f.attempt());
        FileInfo plain = FileInfo.fromJson(Json.object(Json.read("{\"path\":\"/in/a.csv\",\"name\":\"a.csv\"}")));
        assertNull(plain.traceparent(), "tracing off: no trace context");
        assertEquals(plain, new FileInfo("/in/a.csv", 0, 0, "a.csv", false, false, null, false, null, false, false, null, null, 0),
                "the constructor without a trace context");
    }
}
