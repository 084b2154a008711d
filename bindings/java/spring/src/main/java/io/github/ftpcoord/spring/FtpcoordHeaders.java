package io.github.ftpcoord.spring;

/**
 * The headers {@link FtpcoordMessageSource} sets beside Spring Integration's
 * {@code FileHeaders} ({@code file_remoteDirectory}, {@code file_remoteFile},
 * {@code file_name}).
 */
public final class FtpcoordHeaders {
    private FtpcoordHeaders() {}

    private static final String PREFIX = "ftpcoord_";

    /** Integer: 1 for the first delivery of this file version, 2 for the first retry, ... */
    public static final String ATTEMPT = PREFIX + "attempt";

    /**
     * String: the ledger's key of this file version, the same on every attempt and every
     * member; a downstream idempotent receiver can key on it.
     */
    public static final String IDEMPOTENCY_KEY = PREFIX + "idempotencyKey";

    /** String: the memberId of the member that delivered the file (absent without coordination). */
    public static final String MEMBER_ID = PREFIX + "memberId";

    /**
     * Long: the coordination term this member last saw (refreshed at most once a second); the
     * commit itself is fenced by the term under which the file was claimed.
     */
    public static final String TERM = PREFIX + "term";

    /** Long: the file's size in bytes, as listed. */
    public static final String SIZE = PREFIX + "size";

    /** Long: the file's last modification time, milliseconds since the epoch. */
    public static final String MTIME = PREFIX + "mtime";

    /**
     * String: with {@link PayloadType#CONTENT}, the {@link io.github.ftpcoord.ContentKind} of the
     * file by its extension ({@code TEXT}, {@code JSON}, {@code XML}, {@code CSV}, {@code FILE}), to
     * route on as Ballerina routes to onFileText, onFileJson...
     */
    public static final String CONTENT_KIND = PREFIX + "contentKind";

    /**
     * String: the name of the configuration's service the file came from ({@code services[].name},
     * {@code ftpcoord.services[n].name}); absent without services and for the service without a name.
     */
    public static final String SERVICE = PREFIX + "service";

    /** String: the file's full remote path. */
    public static final String PATH = PREFIX + "path";

    /**
     * String: the W3C trace context of the member's handler span ({@code 00-<trace>-<span>-01}),
     * present while the member traces (docs/metrics.md#tracing). Named as W3C propagation names
     * it, so that Micrometer Tracing's and OpenTelemetry's message propagators continue the
     * trace in the flow.
     */
    public static final String TRACEPARENT = "traceparent";
}
