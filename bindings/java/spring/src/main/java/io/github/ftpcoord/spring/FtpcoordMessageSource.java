package io.github.ftpcoord.spring;

import io.github.ftpcoord.Caller;
import io.github.ftpcoord.Content;
import io.github.ftpcoord.ContentBindingException;
import io.github.ftpcoord.ContentKind;
import io.github.ftpcoord.FileInfo;
import io.github.ftpcoord.FtpException;
import io.github.ftpcoord.FtpListener;
import io.github.ftpcoord.ListenerConfig;
import io.github.ftpcoord.ListenerStatus;
import io.github.ftpcoord.MethodRouter;
import io.github.ftpcoord.RejectException;
import io.github.ftpcoord.Service;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.Lifecycle;
import org.springframework.integration.IntegrationMessageHeaderAccessor;
import org.springframework.integration.endpoint.AbstractMessageSource;
import org.springframework.integration.file.FileHeaders;
import org.springframework.integration.support.AbstractIntegrationMessageBuilder;
import org.springframework.messaging.MessagingException;

/**
 * A Spring Integration {@code MessageSource} over an ftpcoord listener: one message per new
 * file version, for {@code IntegrationFlow.from(source, e -> e.poller(...))}.
 *
 * <p>The ftpcoord listener runs on its own schedule ({@code pollingInterval}): it lists the
 * directory (on the active member), records new file versions in the ledger, claims them and
 * hands each one to this source, where the next {@link #receive()} of the poller takes it. Each
 * message carries an {@link org.springframework.integration.acks.AcknowledgmentCallback} (header
 * {@code acknowledgmentCallback}); the file stays claimed (its lease renewed) until the callback
 * is called:
 * <ul>
 *   <li>the flow returned (auto-ack) or {@code ACCEPT}: the ledger commits the file (DONE);
 *   <li>the flow threw (auto-nack) or {@code REQUEUE}: a failed attempt, retried after
 *       {@code retryTimeout} as attempt 2, 3... and REJECTED after {@code maxTries};
 *   <li>an explicit {@code REJECT}: the file is REJECTED at once, in the ledger, after this
 *       attempt (the after-error action runs): no member gives it to its flow again until an
 *       operator requeues it.
 * </ul>
 * So no file is committed before the flow that received it finished, and a crash in the middle
 * leaves a lease that expires: another member (or this one, restarted) takes the file again.
 *
 * <p>Concurrency: the listener's {@code workers} is how many files this member holds at once;
 * give the poller a task executor with as many threads to process them in parallel. Several
 * instances in {@code shared} mode each claim their own files.
 *
 * <p>Start and stop follow the polling endpoint (this source is a {@link Lifecycle}): stop
 * waits up to {@link #setStopTimeout stopTimeout} for the flows in progress, then stops the
 * listener, which gives the files not yet taken back to the group, their attempt uncounted.
 */
public class FtpcoordMessageSource extends AbstractMessageSource<Object> implements Lifecycle, DisposableBean {
    /** How long a listener's status is reused for headers and the health indicator. */
    private static final long STATUS_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ListenerConfig config;
    private final String memberId;
    private final Object lifecycle = new Object();
    private final BlockingQueue<Delivery> ready = new LinkedBlockingQueue<>();
    private final Set<Delivery> inFlight = ConcurrentHashMap.newKeySet();

    private PayloadType payloadType = PayloadType.INPUT_STREAM;
    private final Content content;
    private Class<?> jsonType;
    private Class<?> csvType;
    private Path stagingDirectory;
    private Duration receiveTimeout = Duration.ZERO;
    private Duration stopTimeout = Duration.ofSeconds(30);

    private volatile FtpListener listener;
    private volatile boolean running;
    private volatile boolean stopping;
    private volatile ListenerStatus status;
    private volatile long statusAt;

    private final LongAdder committed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder processingTime = new LongAdder();

    /**
     * A source for a listener configuration. The configuration is checked now (by the native
     * library too): an invalid one throws {@link io.github.ftpcoord.FtpConfigException} naming the
     * field, so a bean definition with a bad configuration fails the context at start.
     */
    public FtpcoordMessageSource(ListenerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.memberId = config.memberId();
        this.content = Content.of(config);
        this.listener = newListener();
    }

    /** The payload of the messages: INPUT_STREAM (default), BYTES or FILE. */
    public void setPayloadType(PayloadType payloadType) {
        this.payloadType = Objects.requireNonNull(payloadType, "payloadType");
    }

    /**
     * With {@link PayloadType#CONTENT}: the class a {@code .json} file is bound to (Jackson when
     * it is on the class path, else the JDK binder of {@link Content}); null (default) gives the
     * JSON tree. As Ballerina's {@code laxDataBinding = false}, a member of a record missing from
     * the content is an error unless the configuration sets {@code laxDataBinding}.
     */
    public void setJsonType(Class<?> jsonType) {
        this.jsonType = jsonType;
    }

    /**
     * With {@link PayloadType#CONTENT}: the record or class each row of a {@code .csv} file is
     * bound to by the header's names (payload {@code List} of it); null (default) gives
     * {@code String[][]}. The configuration's {@code csvFailSafe} skips the rows that do not bind.
     */
    public void setCsvType(Class<?> csvType) {
        this.csvType = csvType;
    }

    /** Where FILE payloads are staged (default: the JVM's temporary directory). */
    public void setStagingDirectory(Path stagingDirectory) {
        this.stagingDirectory = stagingDirectory;
    }

    /** How long one {@link #receive()} waits for a file (default 0: it returns null at once). */
    public void setReceiveTimeout(Duration receiveTimeout) {
        if (receiveTimeout.isNegative()) {
            throw new IllegalArgumentException("receiveTimeout is negative: " + receiveTimeout);
        }
        this.receiveTimeout = receiveTimeout;
    }

    /** How long {@link #stop()} waits for the flows in progress (default 30 s). */
    public void setStopTimeout(Duration stopTimeout) {
        this.stopTimeout = Objects.requireNonNull(stopTimeout, "stopTimeout");
    }

    public Class<?> getJsonType() {
        return jsonType;
    }

    public Class<?> getCsvType() {
        return csvType;
    }

    public PayloadType getPayloadType() {
        return payloadType;
    }

    /** The memberId of the configuration, or null when it is not coordinated. */
    public String getMemberId() {
        return memberId;
    }

    @Override
    public String getComponentType() {
        return "ftpcoord:inbound-channel-adapter";
    }

    // ---- lifecycle ----

    private FtpListener newListener() {
        FtpListener l = new FtpListener(config);
        if (l.serviceNames().isEmpty()) {
            l.attach(new Handoff(l, null));
        }
        for (String name : l.serviceNames()) {
            l.attach(name, new Handoff(l, name)); // one each, so that the message names its service
        }
        return l;
    }

    @Override
    public void start() {
        synchronized (lifecycle) {
            if (running) {
                return;
            }
            FtpListener l = listener;
            if (l == null || l.isClosed()) {
                l = newListener();
                listener = l;
            }
            try {
                l.start();
            } catch (FtpException e) {
                l.close();
                listener = null;
                throw startFailure(e);
            }
            stopping = false;
            running = true;
        }
    }

    private static final java.util.regex.Pattern MISSING_TABLE = java.util.regex.Pattern.compile("schema: (\\w+): table is missing");
    private static final java.util.regex.Pattern DDL_FILE = java.util.regex.Pattern.compile("schema/(postgres|mysql)\\.sql");

    /**
     * The start's failure, in a Spring user's terms: a missing table says what to run (the DDL
     * file the core JAR carries, or the ftpcoord command), not the Go library's fix.
     */
    static RuntimeException startFailure(FtpException e) {
        String m = String.valueOf(e.getMessage());
        java.util.regex.Matcher table = MISSING_TABLE.matcher(m);
        if (table.find()) {
            java.util.regex.Matcher ddl = DDL_FILE.matcher(m);
            String file = ddl.find() ? ddl.group(1) + ".sql" : "postgres.sql (or mysql.sql)";
            String client = file.startsWith("mysql") ? "mysql -h HOST -P PORT -u USER -p DATABASE" : "psql -h HOST -p PORT -U USER DATABASE";
            // Not chained: the library's own fix names Go functions (schema.Apply).
            IllegalStateException failure = new IllegalStateException("ftpcoord: the coordination database has no table "
                    + table.group(1) + " (" + m.substring(0, table.end())
                    + "): create the tables once per database with the DDL in the ftpcoord JAR, "
                    + SCHEMA_RESOURCE + file + " (e.g. `unzip -p " + coreJar() + " " + SCHEMA_RESOURCE + file + " | " + client
                    + "`), or with the ftpcoord command, `ftpcoord schema apply --config FILE` given the same databaseConfig");
            failure.setStackTrace(e.getStackTrace());
            return failure;
        }
        return new IllegalStateException("ftpcoord: the listener failed to start: " + m, e);
    }

    /** The core JAR's file name as this application loaded it, e.g. ftpcoord-0.1.0-SNAPSHOT.jar. */
    static String coreJar() {
        try {
            String where = String.valueOf(FtpListener.class.getProtectionDomain().getCodeSource().getLocation());
            java.util.regex.Matcher jar = java.util.regex.Pattern.compile("([^/!]+\\.jar)").matcher(where);
            String last = null;
            while (jar.find()) {
                last = jar.group(1); // in a Boot fat JAR: the nested BOOT-INF/lib one
            }
            if (last != null) {
                return last;
            }
        } catch (RuntimeException e) {
            // no code source: the generic name below
        }
        return "ftpcoord-VERSION.jar";
    }

    /** Where the core JAR carries the DDL of the coordination and ledger tables. */
    static final String SCHEMA_RESOURCE = "io/github/ftpcoord/schema/";

    /**
     * Waits up to the stop timeout for the flows in progress, then stops the listener
     * gracefully (the coordination token is handed over at once).
     */
    @Override
    public void stop() {
        stop(true);
    }

    /**
     * Stops; graceful false leaves the token and the claims to expire, as a crash would (for
     * tests of failover).
     */
    public void stop(boolean graceful) {
        FtpListener l;
        synchronized (lifecycle) {
            if (!running) {
                return;
            }
            stopping = true;
            l = listener;
        }
        long deadline = System.nanoTime() + stopTimeout.toNanos();
        while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        synchronized (lifecycle) {
            running = false;
            listener = null;
        }
        if (l != null && !l.isClosed()) {
            try {
                l.stop(graceful);
            } catch (IllegalStateException closedMeanwhile) {
                // already closed
            }
        }
        ready.clear();
        // Messages the flow never acknowledged (noAutoAck): their files were given back by the
        // stop; let go of them and of their staged copies.
        for (Delivery d : List.copyOf(inFlight)) {
            d.finish(Outcome.FAIL, "the listener stopped");
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public void destroy() {
        stop();
        FtpListener l = listener;
        if (l != null) {
            l.close();
            listener = null;
        }
        super.destroy();
    }

    // ---- status ----

    /**
     * The member's status (role, holder, term, heartbeat, ledger counts), reused for up to one
     * second; null when the source is not running.
     */
    public ListenerStatus status() {
        FtpListener l = listener;
        if (l == null || !running || l.isClosed()) {
            return null;
        }
        long now = System.nanoTime();
        ListenerStatus s = status;
        if (s == null || now - statusAt > STATUS_TTL_NANOS) {
            s = l.status();
            status = s;
            statusAt = now;
        }
        return s;
    }

    /** Files handed out and not yet acknowledged. */
    public int inFlightCount() {
        return inFlight.size();
    }

    /** Files claimed by the listener and waiting for a {@link #receive()}. */
    public int readyCount() {
        return ready.size();
    }

    public long committedCount() {
        return committed.sum();
    }

    public long failedCount() {
        return failed.sum();
    }

    public long rejectedCount() {
        return rejected.sum();
    }

    public long errorCount() {
        return errors.sum();
    }

    /** Nanoseconds from receive to acknowledgment, summed over the acknowledged files. */
    public long processingNanos() {
        return processingTime.sum();
    }

    // ---- receiving ----

    @Override
    protected Object doReceive() {
        if (!running || stopping) {
            return null;
        }
        Delivery d;
        try {
            do {
                d = receiveTimeout.isZero() ? ready.poll() : ready.poll(receiveTimeout.toNanos(), TimeUnit.NANOSECONDS);
                if (d == null) {
                    return null;
                }
            } while (!d.take());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        inFlight.add(d);
        Object payload;
        try {
            payload = payload(d);
        } catch (ContentBindingException e) {
            // The same bytes would fail again: no retry (as Ballerina's ContentBindingError).
            d.finish(Outcome.REJECT, e.getMessage());
            throw new MessagingException("ftpcoord: " + d.file.path() + " is rejected: its content does not parse or bind", e);
        } catch (IOException | RuntimeException e) {
            d.finish(Outcome.FAIL, "ftpcoord: could not read " + d.file.path() + " for its message: " + e);
            throw new MessagingException("ftpcoord: could not read " + d.file.path() + " (a failed attempt)", e);
        }
        FileInfo f = d.file;
        AbstractIntegrationMessageBuilder<Object> b = getMessageBuilderFactory().withPayload(payload)
                .setHeader(FileHeaders.REMOTE_DIRECTORY, parent(f.path()))
                .setHeader(FileHeaders.REMOTE_FILE, f.name())
                .setHeader(FileHeaders.FILENAME, f.name())
                .setHeader(FtpcoordHeaders.PATH, f.path())
                .setHeader(FtpcoordHeaders.ATTEMPT, f.attempt())
                .setHeader(FtpcoordHeaders.IDEMPOTENCY_KEY, f.idempotencyKey())
                .setHeader(FtpcoordHeaders.SIZE, f.size())
                .setHeader(FtpcoordHeaders.MTIME, f.lastModifiedTimestamp())
                .setHeader(IntegrationMessageHeaderAccessor.ACKNOWLEDGMENT_CALLBACK, new FtpcoordAcknowledgmentCallback(d));
        if (payloadType == PayloadType.CONTENT) {
            b.setHeader(FtpcoordHeaders.CONTENT_KIND, ContentKind.of(f).name());
        }
        if (memberId != null) {
            b.setHeader(FtpcoordHeaders.MEMBER_ID, memberId);
        }
        if (d.service != null && !d.service.isEmpty()) {
            b.setHeader(FtpcoordHeaders.SERVICE, d.service);
        }
        if (f.traceparent() != null) {
            b.setHeader(FtpcoordHeaders.TRACEPARENT, f.traceparent());
        }
        if (d.staged != null) {
            b.setHeader(FileHeaders.ORIGINAL_FILE, d.staged.toFile());
        }
        try {
            ListenerStatus s = status();
            if (s != null && s.coordinated()) {
                b.setHeader(FtpcoordHeaders.TERM, s.term());
            }
        } catch (RuntimeException e) {
            logger.debug(e, "ftpcoord: no status for the term header");
        }
        return b;
    }

    private Object payload(Delivery d) throws IOException {
        return switch (payloadType) {
            case INPUT_STREAM -> d.content;
            case BYTES -> d.content.readAllBytes();
            case FILE -> {
                Path dir = stagingDirectory != null ? stagingDirectory : Path.of(System.getProperty("java.io.tmpdir"));
                Files.createDirectories(dir);
                Path own = Files.createTempDirectory(dir, "ftpcoord-");
                Path file = own.resolve(safeName(d.file.name()));
                d.staged = file;
                Files.copy(d.content, file, StandardCopyOption.REPLACE_EXISTING);
                yield file.toFile();
            }
            case CONTENT -> typed(d.file, d.content);
        };
    }

    /** The payload Ballerina's typed method of this file's extension would take. */
    private Object typed(FileInfo f, InputStream in) throws IOException {
        return switch (ContentKind.of(f)) {
            case TEXT -> content.text(f, in);
            case JSON -> JacksonContent.PRESENT ? JacksonContent.read(f, content.text(f, in), jsonType, config.laxDataBinding())
                    : jsonType == null ? content.json(f, in) : content.json(f, in, jsonType);
            case XML -> content.xml(f, in);
            case CSV -> csvType == null ? content.csv(f, in) : content.csv(f, in, csvType);
            case FILE -> in;
        };
    }

    private static String safeName(String name) {
        String n = name == null || name.isEmpty() ? "file" : name.replace('/', '_').replace('\\', '_');
        return n.equals(".") || n.equals("..") ? "file" : n;
    }

    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    // ---- the handoff between the listener's dispatchers and the poller ----

    /** How a delivery ended. */
    enum Outcome { COMMIT, FAIL, REJECT }

    /** One file handed from a dispatcher thread (waiting in onFile) to a poller thread. */
    final class Delivery {
        private static final int NEW = 0;
        private static final int TAKEN = 1;
        private static final int GIVEN_BACK = 2;

        final FileInfo file;
        final InputStream content;
        /** The name of the configuration's service the file came from (services[].name), or null. */
        final String service;
        private int state = NEW;
        private long startNanos;
        private Outcome outcome;
        private String reason;
        volatile Path staged;

        Delivery(FileInfo file, InputStream content, String service) {
            this.file = file;
            this.content = content;
            this.service = service;
        }

        synchronized boolean take() {
            if (state != NEW) {
                return false;
            }
            state = TAKEN;
            startNanos = System.nanoTime();
            return true;
        }

        synchronized boolean giveBack() {
            if (state != NEW) {
                return false;
            }
            state = GIVEN_BACK;
            return true;
        }

        /** Ends the delivery once; later calls do nothing. */
        void finish(Outcome o, String why) {
            synchronized (this) {
                if (outcome != null) {
                    return;
                }
                outcome = o;
                reason = why;
                notifyAll();
            }
            processingTime.add(System.nanoTime() - startNanos);
            inFlight.remove(this);
            Path s = staged;
            if (s != null) {
                try {
                    Files.deleteIfExists(s);
                    Files.deleteIfExists(s.getParent());
                } catch (IOException e) {
                    logger.warn(e, "ftpcoord: could not delete the staged " + s);
                }
            }
        }

        /** Waits for the outcome; throws when the listener closes first. */
        synchronized Outcome await(FtpListener l) throws InterruptedException {
            while (outcome == null) {
                if (l.isClosed()) {
                    giveBack();
                    ready.remove(this);
                    throw new FtpException("ftpcoord: the listener is stopping: " + file.path() + " is given back");
                }
                wait(100);
            }
            return outcome;
        }

        synchronized String reason() {
            return reason;
        }
    }

    /** The listener's service: each file waits in onFile until its message is acknowledged. */
    private final class Handoff implements Service, MethodRouter {
        private final FtpListener owner;
        private final String service;

        Handoff(FtpListener owner, String service) {
            this.owner = owner;
            this.service = service;
        }

        @Override
        public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
            Delivery d = new Delivery(file, content, service);
            ready.add(d);
            Outcome o = d.await(owner);
            switch (o) {
                case COMMIT -> committed.increment();
                case FAIL -> {
                    failed.increment();
                    throw new FtpException(d.reason());
                }
                case REJECT -> {
                    rejected.increment();
                    throw new RejectException(d.reason()); // REJECTED now, in the ledger
                }
                default -> throw new IllegalStateException("unknown outcome " + o);
            }
        }

        /** With content payloads, the typed method of the content kind header: its after-actions apply. */
        @Override
        public ContentKind methodFor(FileInfo file) {
            return payloadType == PayloadType.CONTENT ? ContentKind.of(file) : ContentKind.FILE;
        }

        @Override
        public void onError(FtpException error) {
            errors.increment();
            logger.warn("ftpcoord: " + error.getMessage());
        }
    }
}
