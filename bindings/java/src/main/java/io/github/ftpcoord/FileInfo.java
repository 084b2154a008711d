package io.github.ftpcoord;

import java.util.Map;

/**
 * A remote file, with ballerina/ftp's FileInfo fields, plus
 * {@code idempotencyKey} (stable across retries and members: the ledger's key
 * of this file version) and {@code attempt} (1 for the first delivery, 2 for
 * the first retry...). {@code lastModifiedTimestamp} is in milliseconds since
 * the epoch. {@code traceparent} is the W3C trace context of the member's
 * handler span when tracing is on (OpenTelemetry's OTEL_EXPORTER_OTLP_*
 * environment, docs/metrics.md#tracing), for a handler that traces on; null
 * when it is off.
 */
public record FileInfo(
        String path,
        long size,
        long lastModifiedTimestamp,
        String name,
        boolean isFolder,
        boolean isFile,
        String extension,
        boolean isHidden,
        String pathDecoded,
        boolean readable,
        boolean writable,
        String uri,
        String idempotencyKey,
        int attempt,
        String traceparent) {

    /** A FileInfo without a trace context. */
    public FileInfo(String path, long size, long lastModifiedTimestamp, String name, boolean isFolder, boolean isFile,
            String extension, boolean isHidden, String pathDecoded, boolean readable, boolean writable, String uri,
            String idempotencyKey, int attempt) {
        this(path, size, lastModifiedTimestamp, name, isFolder, isFile, extension, isHidden, pathDecoded, readable,
                writable, uri, idempotencyKey, attempt, null);
    }

    static FileInfo fromJson(Map<String, Object> m) {
        return new FileInfo(
                Json.str(m, "path"),
                Json.num(m, "size"),
                Json.num(m, "lastModifiedTimestamp"),
                Json.str(m, "name"),
                Json.bool(m, "isFolder"),
                Json.bool(m, "isFile"),
                Json.str(m, "extension"),
                Json.bool(m, "isHidden"),
                Json.str(m, "pathDecoded"),
                Json.bool(m, "readable"),
                Json.bool(m, "writable"),
                Json.str(m, "uri"),
                Json.str(m, "idempotencyKey"),
                (int) Json.num(m, "attempt"),
                Json.str(m, "traceparent"));
    }
}
