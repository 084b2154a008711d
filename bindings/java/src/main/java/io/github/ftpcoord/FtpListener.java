package io.github.ftpcoord;

import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A highly available FTP/FTPS/SFTP directory listener, as ballerina/ftp's
 * {@code ftp:Listener}, running in libftpcoord (Go) and delivering events to a
 * Java {@link Service}.
 *
 * <pre>{@code
 * try (FtpListener listener = new FtpListener(config)) {
 *     listener.attach(new Service() {
 *         public void onFile(FileInfo file, InputStream content, Caller caller) throws IOException {
 *             store(file.name(), content);   // throw to fail the attempt: it is retried
 *         }
 *     });
 *     listener.start();
 *     ...
 * }
 * }</pre>
 *
 * <p>Events are pulled from the library by dispatcher threads (as many as the
 * configuration's {@code workers}); each event is acknowledged when the
 * service's method returns (processed) or throws (a failed attempt; a
 * {@link RejectException} rejects the file at once). The library never calls
 * into the JVM on its own threads.
 *
 * <p>Once closed (by {@link #close()} or {@link #stop(boolean)}), every method
 * throws {@link IllegalStateException}; the native handle is never used
 * after it is closed.
 */
public final class FtpListener implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.github.ftpcoord");
    private static final AtomicInteger LISTENERS = new AtomicInteger();
    /** How long one native poll of a dispatcher waits, in milliseconds. */
    private static final int POLL_MS = 500;

    private final long handle;
    private final int workers;
    private final int number = LISTENERS.incrementAndGet();
    private final Caller caller = new Caller(this);
    private final Object lifecycle = new Object();
    private final List<Thread> dispatchers = new ArrayList<>();
    private final Content content;
    /** The service of attach(Service): every service's events that none of attach(name, ...) takes. */
    private volatile Bound service;
    /** attach(name, service)'s, by the configuration's service name. */
    private final Map<String, Bound> named = new ConcurrentHashMap<>();
    /** The names of the configuration's services ("" for the one without); empty without services. */
    private final List<String> serviceNames;
    private volatile boolean closed;

    /**
     * Makes a listener; nothing connects until {@link #start()} or {@link #pollOnce()}.
     *
     * @throws FtpConfigException when the configuration is invalid (naming the field)
     */
    public FtpListener(ListenerConfig config) {
        this.content = Content.of(config);
        byte[][] err = new byte[1][];
        long h = Native.listenerNew(config.toJson().getBytes(StandardCharsets.UTF_8), err);
        if (h == 0) {
            throw FtpConfigException.fromNative(err[0] == null ? null : new String(err[0], StandardCharsets.UTF_8));
        }
        this.handle = h;
        this.workers = config.workers();
        List<String> names = new ArrayList<>();
        if (Json.object(Json.read(config.toJson())).get("services") instanceof List<?> services) {
            for (Object o : services) {
                names.add(o instanceof Map<?, ?> m && m.get("name") instanceof String n ? n : "");
            }
        }
        this.serviceNames = List.copyOf(names);
    }

    /** The native library's version, e.g. "ftpcoord v0.1.0". */
    public static String version() {
        return new String(Native.version(), StandardCharsets.UTF_8);
    }

    /**
     * Attaches the service. The listener asks for the events whose methods the
     * service overrides (onFile, onFileChange, onFileDelete; the typed
     * onFileText, onFileJson, onFileXml, onFileCsv take files as onFile does)
     * and always for errors.
     */
    public void attach(Service service) {
        Bound b = Bound.of(service);
        synchronized (lifecycle) {
            askFor(b, named.values());
            this.service = b;
        }
    }

    /**
     * The names of the configuration's services ({@code services[].name}, "" for the one without
     * a name), in order; empty when the configuration has no services.
     */
    public List<String> serviceNames() {
        return serviceNames;
    }

    /**
     * Attaches the service to the configuration's service of this name
     * ({@code services[].name}; "" for the one without a name), as Ballerina
     * attaches each service to its listener: that service's events go to it.
     * The services no service was attached to by name go to the one of
     * {@link #attach(Service)}.
     *
     * @throws IllegalArgumentException when the configuration has no such service
     */
    public void attach(String serviceName, Service service) {
        if (!serviceNames.contains(serviceName)) {
            throw new IllegalArgumentException(serviceNames.isEmpty()
                    ? "the configuration has no services: use attach(service)"
                    : "the configuration has no service named \"" + serviceName + "\"; its services are " + quoted(serviceNames));
        }
        Bound b = Bound.of(service);
        synchronized (lifecycle) {
            List<Bound> others = new ArrayList<>(named.values());
            if (this.service != null) {
                others.add(this.service);
            }
            askFor(b, others);
            named.put(serviceName, b);
        }
    }

    /** Asks the library for the events b and the others take (one set for the whole listener). */
    private void askFor(Bound b, Iterable<Bound> others) {
        long h = handleForUse();
        boolean onFile = b.takesFiles(), onChange = b.onChange(), onDelete = b.onDelete();
        for (Bound o : others) {
            onFile |= o.takesFiles();
            onChange |= o.onChange();
            onDelete |= o.onDelete();
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("onFile", onFile);
        spec.put("onFileChange", onChange);
        spec.put("onFileDelete", onDelete);
        spec.put("onError", true);
        byte[][] err = new byte[1][];
        int rc = Native.attach(h, Json.write(spec).getBytes(StandardCharsets.UTF_8), err);
        if (rc != Native.OK) {
            throw failure(rc, err[0], "attach");
        }
    }

    /** A service as attached: the methods it overrides, read once. */
    private record Bound(Service service, ContentRoutes routes, boolean onFile, boolean onChange, boolean onDelete) {
        static Bound of(Service service) {
            if (service == null) {
                throw new IllegalArgumentException("service is null");
            }
            boolean onFile = overrides(service, "onFile", FileInfo.class, InputStream.class, Caller.class);
            boolean onChange = overrides(service, "onFileChange", WatchEvent.class, Caller.class);
            boolean onDelete = overrides(service, "onFileDelete", String.class, Caller.class);
            ContentRoutes typed = ContentRoutes.of(service);
            if (!onFile && !onChange && !onDelete && !typed.any()) {
                throw new IllegalArgumentException("the service overrides none of onFile, onFileText, onFileJson, onFileXml,"
                        + " onFileCsv, onFileChange, onFileDelete: it would never be called");
            }
            return new Bound(service, typed, onFile, onChange, onDelete);
        }

        boolean takesFiles() {
            return onFile || routes.any();
        }
    }

    private static boolean overrides(Service s, String name, Class<?>... params) {
        try {
            Method m = s.getClass().getMethod(name, params);
            return m.getDeclaringClass() != Service.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * Joins the coordination group (if configured) and polls on the
     * listener's own schedule (pollingInterval), dispatching events to the
     * service.
     */
    public void start() {
        long h = handleForUse();
        requireService();
        byte[][] err = new byte[1][];
        int rc = Native.start(h, err);
        if (rc != Native.OK) {
            throw failure(rc, err[0], "start");
        }
        startDispatchers();
    }

    /**
     * Runs one polling cycle now (for hosts that schedule polls themselves, as
     * Ballerina's task trigger does) and dispatches the events it returned on
     * the calling thread; later events of the same cycle go to the
     * dispatcher threads.
     *
     * @return the number of events dispatched by this call
     */
    public int pollOnce() {
        long h = handleForUse();
        requireService();
        startDispatchers();
        byte[][] out = new byte[2][];
        int rc = Native.pollOnce(h, out);
        byte[] events = rc == Native.OK ? out[0] : out[1];
        int n = 0;
        if (events != null) {
            for (Object o : Json.array(Json.read(new String(events, StandardCharsets.UTF_8)))) {
                dispatch(h, Json.object(o));
                n++;
            }
        }
        if (rc != Native.OK) {
            throw failure(rc, out[0], "pollOnce");
        }
        return n;
    }

    /** The member's state: role, token holder, term, last heartbeat, ledger counts. */
    public ListenerStatus status() {
        long h = handleForUse();
        byte[][] err = new byte[1][];
        byte[] s = Native.status(h, err);
        if (s == null) {
            throw failure(Native.ERROR, err[0], "status");
        }
        return ListenerStatus.fromJson(Json.object(Json.read(new String(s, StandardCharsets.UTF_8))));
    }

    /** Operations on the watched server over the listener's connections. */
    public Caller caller() {
        handleForUse();
        return caller;
    }

    /**
     * Stops the listener and closes it. graceful hands the coordination token
     * over at once (a standby takes over immediately); false leaves it to
     * expire, as a crash would. Events not yet acknowledged are given back,
     * not failed (ftpcoord.h): graceful, with coordination the ledger releases
     * them at once for another member (or a later start) to take, and the
     * attempt is not counted; false releases nothing, as a crash would not.
     *
     * @throws IllegalStateException when the listener is already closed
     */
    public void stop(boolean graceful) {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("ftpcoord: the listener is already closed");
            }
            closed = true;
        }
        byte[][] err = new byte[1][];
        int rc = Native.stop(handle, graceful, err);
        joinDispatchers();
        if (rc != Native.OK && rc != Native.INVALID_HANDLE) {
            throw new FtpException(message(err[0], "stop failed"), rc);
        }
    }

    /** Stops the listener gracefully; does nothing when it is already closed. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
        }
        try {
            stop(true);
        } catch (IllegalStateException alreadyClosed) {
            // closed concurrently
        }
    }

    /** Whether the listener is closed. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "FtpListener#" + number + (closed ? " (closed)" : "");
    }

    // ---- internals ----

    long handleForUse() {
        if (closed) {
            throw new IllegalStateException("ftpcoord: the listener is closed");
        }
        return handle;
    }

    private void requireService() {
        if (service != null) {
            return;
        }
        List<String> missing = serviceNames.stream().filter(n -> !named.containsKey(n)).toList();
        if (named.isEmpty() || !missing.isEmpty()) {
            throw new IllegalStateException("ftpcoord: attach a service before start or pollOnce"
                    + (named.isEmpty() ? "" : "; the services " + quoted(missing) + " have none: attach(name, service), or attach(service) for them all"));
        }
    }

    private static String quoted(List<String> names) {
        return String.join(", ", names.stream().map(n -> "\"" + n + "\"").toList());
    }

    /** The attached service an event is for: its service's own, else attach(Service)'s. */
    private Bound boundFor(Map<String, Object> ev) {
        Bound b = ev.get("service") instanceof String name ? named.get(name) : named.get("");
        return b != null ? b : service;
    }

    private void startDispatchers() {
        synchronized (lifecycle) {
            if (closed || !dispatchers.isEmpty()) {
                return;
            }
            for (int i = 0; i < workers; i++) {
                Thread t = new Thread(this::dispatchLoop, "ftpcoord-dispatcher-" + number + "-" + i);
                dispatchers.add(t);
                t.start();
            }
        }
    }

    private void joinDispatchers() {
        List<Thread> ts;
        synchronized (lifecycle) {
            ts = new ArrayList<>(dispatchers);
        }
        for (Thread t : ts) {
            if (t == Thread.currentThread()) {
                continue;
            }
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void dispatchLoop() {
        long h = handle;
        byte[][] out = new byte[1][];
        while (!closed) {
            out[0] = null;
            int rc = Native.poll(h, POLL_MS, out);
            if (rc == Native.TIMEOUT) {
                continue;
            }
            if (rc == Native.CLOSED || rc == Native.INVALID_HANDLE) {
                return;
            }
            if (rc != Native.OK) {
                LOG.log(System.Logger.Level.ERROR, "ftpcoord: poll failed: " + message(out[0], "code " + rc));
                return;
            }
            try {
                dispatch(h, Json.object(Json.read(new String(out[0], StandardCharsets.UTF_8))));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "ftpcoord: dispatch failed", e);
            }
        }
    }

    /** Hands one event to the service and acknowledges it when it asks for an ack. */
    void dispatch(long h, Map<String, Object> ev) {
        Bound b = boundFor(ev);
        Service s = b.service();
        long id = Json.num(ev, "id");
        boolean needsAck = Json.bool(ev, "needsAck");
        String kind = String.valueOf(ev.get("kind"));
        Throwable failure = null;
        try {
            switch (kind) {
                case "file" -> {
                    try (EventInputStream in = new EventInputStream(this, id)) {
                        deliverFile(h, id, b, FileInfo.fromJson(Json.object(ev.get("file"))), in);
                    }
                }
                case "fileChange" -> s.onFileChange(WatchEvent.fromJson(Json.object(ev.get("event"))), caller);
                case "fileDelete" -> s.onFileDelete(Json.str(ev, "path"), caller);
                case "error" -> s.onError(new FtpException(Json.str(ev, "error")));
                default -> failure = new FtpException("ftpcoord: unknown event kind " + kind);
            }
        } catch (Throwable t) { // even an Error fails the attempt: the library must not wait forever
            failure = t;
            if (t instanceof Error) {
                LOG.log(System.Logger.Level.ERROR, "ftpcoord: the service threw an Error on a " + kind + " event", t);
            }
        }
        RejectException rejection = RejectException.in(failure);
        if (needsAck && failure != null && closed && rejection == null) {
            // The listener is stopping: stop gives the events not yet acknowledged
            // back (their attempt uncounted); a failure it caused is no attempt.
            // (A rejection is the service's own verdict: it is still sent.)
            return;
        }
        if (needsAck) {
            // A rejection's reason is the RejectException's message, wherever it was in the chain.
            String reason = failure == null ? null : rejection != null ? describe(rejection) : describe(failure);
            byte[] msg = reason == null ? null : reason.getBytes(StandardCharsets.UTF_8);
            byte[][] err = new byte[1][];
            int outcome = failure == null ? Native.ACK_PROCESSED : rejection != null ? Native.ACK_REJECT : Native.ACK_FAILED;
            int rc = Native.ack(h, id, outcome, msg, err);
            if (rc != Native.OK && rc != Native.INVALID_HANDLE && !closed) {
                LOG.log(System.Logger.Level.WARNING, "ftpcoord: ack of event " + id + " failed: " + message(err[0], "code " + rc));
            }
        } else if (failure != null && !"error".equals(kind)) {
            safeOnError(s, new FtpException("ftpcoord: the service failed on a " + kind + " event: " + describe(failure), failure));
        }
    }

    /**
     * One file to the method Ballerina routes it to: the typed method of its extension, else
     * onFile; a file no method takes was told to onFileChange (done) or is rejected.
     */
    private void deliverFile(long h, long id, Bound b, FileInfo file, InputStream in) throws Exception {
        ContentRoutes r = b.routes();
        ContentKind kind = r.kindOf(file);
        if (!b.takesFiles() && !b.onChange()) {
            return; // another service asked for files; this one never did: nothing to do
        }
        if (r.has(kind)) {
            tellMethod(h, id, kind);
            r.deliver(b.service(), kind, file, in, caller, content);
        } else if (b.onFile()) {
            if (b.service() instanceof MethodRouter m && m.methodFor(file) != ContentKind.FILE) {
                tellMethod(h, id, m.methodFor(file));
            }
            b.service().onFile(file, in, caller);
        } else if (!b.onChange()) {
            throw new RejectException("ftpcoord: no method of the service takes " + file.path() + ": a "
                    + (kind == ContentKind.FILE ? "file with extension \"" + file.extension() + "\"" : "." + file.extension() + " file")
                    + " goes to " + kind.method() + (kind == ContentKind.FILE ? "" : ", else to onFile") + "; the service has neither");
        }
    }

    /**
     * Tells the library which method takes the file, so that the after-actions the
     * configuration gives that method (services[].methods, Ballerina's
     * {@code @ftp:FunctionConfig}) apply; onFile's is the default.
     */
    private void tellMethod(long h, long id, ContentKind kind) {
        byte[][] err = new byte[1][];
        int rc = Native.eventMethod(h, id, kind.method().getBytes(StandardCharsets.UTF_8), err);
        if (rc != Native.OK && !closed) {
            LOG.log(System.Logger.Level.WARNING, "ftpcoord: could not tell event " + id + "'s method: " + message(err[0], "code " + rc)
                    + "; onFile's after-actions apply to it");
        }
    }

    private static void safeOnError(Service s, FtpException e) {
        try {
            s.onError(e);
        } catch (RuntimeException ignored) {
            LOG.log(System.Logger.Level.WARNING, "ftpcoord: onError threw", ignored);
        }
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    static String message(byte[] b, String fallback) {
        return b == null ? "ftpcoord: " + fallback : new String(b, StandardCharsets.UTF_8);
    }

    /** The exception for a failed native call. */
    static RuntimeException failure(int rc, byte[] err, String op) {
        String msg = message(err, op + " failed (code " + rc + ")");
        return switch (rc) {
            case Native.INVALID_HANDLE, Native.CLOSED -> new IllegalStateException("ftpcoord: the listener is closed (" + msg + ")");
            default -> new FtpException(msg, rc);
        };
    }
}
