package io.github.ftpcoord;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A listener's configuration, with ballerina/ftp's {@code ListenerConfiguration}
 * field names (and this project's ledger options). Build one with
 * {@link #builder()}; unset fields take the library's defaults (FTP on
 * 127.0.0.1:21, path "/", pollingInterval 60 s, ...). Durations are in seconds,
 * as in Ballerina.
 *
 * <pre>{@code
 * ListenerConfig config = ListenerConfig.builder()
 *     .protocol(ListenerConfig.Protocol.SFTP).host("127.0.0.1").port(2222)
 *     .privateKey("/keys/id_ed25519", null).sftpSshKnownHosts("/keys/known_hosts")
 *     .path("/in").fileNamePattern(".*\\.csv").pollingInterval(5)
 *     .coordination(CoordinationConfig.builder()
 *         .databaseConfig(DatabaseConfig.postgresql("127.0.0.1", 5432, "app", "secret", "coord"))
 *         .memberId("node-1").coordinationGroup("invoices").build())
 *     .build();
 * }</pre>
 *
 * <p>{@link #toString()} never shows a password.
 */
public final class ListenerConfig {
    /** The protocol to the server. */
    public enum Protocol { FTP, FTPS, SFTP }

    /** The processing mode: only the active member processes, or every member claims files. */
    public enum Mode {
        WARM_BACKUP("warm-backup"),
        SHARED("shared");

        final String json;

        Mode(String json) {
            this.json = json;
        }
    }

    /** A user name and password. */
    public record Credentials(String username, String password) {
        @Override
        public String toString() {
            return "Credentials[username=" + username + ", password hidden]";
        }
    }

    /** An SFTP private key file and its passphrase (may be null). */
    public record PrivateKey(String path, String password) {
        @Override
        public String toString() {
            return "PrivateKey[path=" + path + ", passphrase hidden]";
        }
    }

    /** FTPS: a PEM file of CA certificates to trust (null: the system's), and EXPLICIT or IMPLICIT. */
    public record SecureSocket(String cert, String mode) {}

    /** Files younger than minAge seconds wait; files older than maxAge are ignored (0: no limit). */
    public record FileAgeFilter(double minAge, double maxAge) {}

    /** Connection retries: count after the first attempt, first wait, growth factor, cap of one wait. */
    public record RetryConfig(int count, double interval, double backOffFactor, double maxWaitInterval) {}

    /** The coordination database, as ballerina/task's DatabaseConfig ("mysql" or "postgresql"). */
    public record DatabaseConfig(String type, String host, int port, String user, String password, String database) {
        public static DatabaseConfig postgresql(String host, int port, String user, String password, String database) {
            return new DatabaseConfig("postgresql", host, port, user, password, database);
        }

        public static DatabaseConfig mysql(String host, int port, String user, String password, String database) {
            return new DatabaseConfig("mysql", host, port, user, password, database);
        }

        @Override
        public String toString() {
            return "DatabaseConfig[type=" + type + ", host=" + host + ", port=" + port + ", user=" + user
                    + ", password hidden, database=" + database + "]";
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", type);
            putIf(m, "host", host);
            if (port != 0) {
                m.put("port", port);
            }
            putIf(m, "user", user);
            putIf(m, "password", password);
            putIf(m, "database", database);
            return m;
        }
    }

    /**
     * ballerina/task warm-backup coordination: members of one coordinationGroup
     * share the database; one is active at a time. livenessCheckInterval is in
     * whole seconds, heartbeatFrequency in seconds.
     */
    public record CoordinationConfig(
            DatabaseConfig databaseConfig,
            String memberId,
            String coordinationGroup,
            int livenessCheckInterval,
            double heartbeatFrequency) {

        public static Builder builder() {
            return new Builder();
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("databaseConfig", databaseConfig.toJson());
            m.put("memberId", memberId);
            m.put("coordinationGroup", coordinationGroup);
            if (livenessCheckInterval != 0) {
                m.put("livenessCheckInterval", livenessCheckInterval);
            }
            if (heartbeatFrequency != 0) {
                m.put("heartbeatFrequency", heartbeatFrequency);
            }
            return m;
        }

        /** Builds a CoordinationConfig; databaseConfig, memberId and coordinationGroup are required. */
        public static final class Builder {
            private DatabaseConfig databaseConfig;
            private String memberId;
            private String coordinationGroup;
            private int livenessCheckInterval;
            private double heartbeatFrequency;

            private Builder() {}

            public Builder databaseConfig(DatabaseConfig v) {
                databaseConfig = v;
                return this;
            }

            public Builder memberId(String v) {
                memberId = v;
                return this;
            }

            public Builder coordinationGroup(String v) {
                coordinationGroup = v;
                return this;
            }

            /** Seconds after which a silent active member is replaced (Ballerina's default 30). */
            public Builder livenessCheckInterval(int seconds) {
                livenessCheckInterval = seconds;
                return this;
            }

            /** Seconds between heartbeats (Ballerina's default 1). */
            public Builder heartbeatFrequency(double seconds) {
                heartbeatFrequency = seconds;
                return this;
            }

            public CoordinationConfig build() {
                if (databaseConfig == null) {
                    throw new FtpConfigException("coordination.databaseConfig",
                            "coordination.databaseConfig: required (e.g. DatabaseConfig.postgresql(...))");
                }
                if (databaseConfig.type() == null
                        || !(databaseConfig.type().equals("mysql") || databaseConfig.type().equals("postgresql"))) {
                    throw new FtpConfigException("coordination.databaseConfig.type",
                            "coordination.databaseConfig.type: " + databaseConfig.type() + " is not mysql or postgresql");
                }
                if (databaseConfig.port() < 0 || databaseConfig.port() > 65535) {
                    throw new FtpConfigException("coordination.databaseConfig.port",
                            "coordination.databaseConfig.port: " + databaseConfig.port() + " is not a TCP port (1-65535)");
                }
                if (memberId == null || memberId.isBlank()) {
                    throw new FtpConfigException("coordination.memberId",
                            "coordination.memberId: required: a name unique in the group, e.g. the host name");
                }
                if (coordinationGroup == null || coordinationGroup.isBlank()) {
                    throw new FtpConfigException("coordination.coordinationGroup",
                            "coordination.coordinationGroup: required: the members sharing one directory use one group");
                }
                if (livenessCheckInterval < 0) {
                    throw new FtpConfigException("coordination.livenessCheckInterval",
                            "coordination.livenessCheckInterval: " + livenessCheckInterval + " is negative");
                }
                if (heartbeatFrequency < 0) {
                    throw new FtpConfigException("coordination.heartbeatFrequency",
                            "coordination.heartbeatFrequency: " + heartbeatFrequency + " is negative");
                }
                return new CoordinationConfig(databaseConfig, memberId, coordinationGroup, livenessCheckInterval,
                        heartbeatFrequency);
            }
        }
    }

    /** ballerina/ftp's after-processing action: DELETE, or MOVE to a directory. */
    public static final class PostAction {
        /** Delete the file. */
        public static final PostAction DELETE = new PostAction(null, false);

        private final String moveTo;
        private final boolean preserveSubDirs;

        private PostAction(String moveTo, boolean preserveSubDirs) {
            this.moveTo = moveTo;
            this.preserveSubDirs = preserveSubDirs;
        }

        /**
         * Move the file to a directory (a name already taken there gets a suffix), keeping its path
         * below the watched directory: preserveSubDirs true, Ballerina's default.
         */
        public static PostAction moveTo(String directory) {
            return moveTo(directory, true);
        }

        /** Move the file to a directory, keeping its path below the watched directory when preserveSubDirs. */
        public static PostAction moveTo(String directory, boolean preserveSubDirs) {
            Objects.requireNonNull(directory, "directory");
            return new PostAction(directory, preserveSubDirs);
        }

        Object toJson() {
            if (moveTo == null) {
                return "DELETE";
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("moveTo", moveTo);
            m.put("preserveSubDirs", preserveSubDirs);
            return m;
        }

        @Override
        public String toString() {
            return moveTo == null ? "DELETE" : "MOVE(" + moveTo + (preserveSubDirs ? ", preserveSubDirs" : "") + ")";
        }
    }

    private final Map<String, Object> json;
    private final int workers;

    private ListenerConfig(Map<String, Object> json, int workers) {
        this.json = json;
        this.workers = workers;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A configuration from the JSON the ftpcoord command and the C ABI take
     * (the same field names); the library checks it when the listener is made.
     */
    public static ListenerConfig fromJson(String json) {
        Object v;
        try {
            v = Json.read(json);
        } catch (IllegalArgumentException e) {
            throw new FtpConfigException("", "listener config: " + e.getMessage());
        }
        if (!(v instanceof Map<?, ?>)) {
            throw new FtpConfigException("", "listener config: want a JSON object");
        }
        Map<String, Object> m = Json.object(v);
        return new ListenerConfig(m, (int) Json.num(m, "workers"));
    }

    /** The JSON libftpcoord takes (contains passwords: never log it). */
    String toJson() {
        return Json.write(json);
    }

    /** The coordination's memberId, or null when the listener is not coordinated. */
    public String memberId() {
        return json.get("coordination") instanceof Map<?, ?> c && c.get("memberId") instanceof String s ? s : null;
    }

    /** Ballerina's {@code laxDataBinding}, for the typed content methods (default false). */
    public boolean laxDataBinding() {
        return Boolean.TRUE.equals(json.get("laxDataBinding"));
    }

    /** Ballerina's {@code csvFailSafe}, for {@code onFileCsv}: null when the configuration has none (off). */
    public CsvFailSafe csvFailSafe() {
        Object v = json.get("csvFailSafe");
        if (v == null) {
            return null;
        }
        return CsvFailSafe.parse(v instanceof Map<?, ?> m && m.get("contentType") instanceof String s ? s : null);
    }

    /** How many files are processed at once (the listener's dispatcher threads). */
    public int workers() {
        return workers < 1 ? 1 : workers;
    }

    @Override
    public String toString() {
        Map<String, Object> shown = new LinkedHashMap<>(json);
        if (shown.containsKey("auth")) {
            shown.put("auth", "(hidden)");
        }
        if (shown.get("coordination") instanceof Map<?, ?> c) {
            Map<String, Object> cc = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : c.entrySet()) {
                cc.put(String.valueOf(e.getKey()), e.getValue());
            }
            cc.put("databaseConfig", "(hidden)");
            shown.put("coordination", cc);
        }
        return "ListenerConfig" + Json.write(shown);
    }

    private static void putIf(Map<String, Object> m, String key, Object v) {
        if (v != null) {
            m.put(key, v);
        }
    }

    /** Builds a ListenerConfig; {@link #build()} checks the values and names the field at fault. */
    public static final class Builder {
        private Protocol protocol;
        private String host;
        private int port;
        private Credentials credentials;
        private PrivateKey privateKey;
        private SecureSocket secureSocket;
        private String path;
        private String fileNamePattern;
        private Double pollingInterval;
        private FileAgeFilter fileAgeFilter;
        private Double settleTime;
        private Double connectTimeout;
        private RetryConfig retryConfig;
        private String sftpSshKnownHosts;
        private CoordinationConfig coordination;
        private Mode mode;
        private int workers;
        private int maxTries;
        private Double retryTimeout;
        private Double processingTimeout;
        private Double stepAsideAfter;
        private PostAction afterProcess;
        private PostAction afterError;
        private int maxFilesPerPoll;
        private int maxConnections;
        private boolean insecureSkipVerify;

        private Builder() {}

        public Builder protocol(Protocol v) {
            protocol = v;
            return this;
        }

        public Builder host(String v) {
            host = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        /** auth.credentials: user name and password (FTP, FTPS, SFTP). */
        public Builder credentials(String username, String password) {
            credentials = new Credentials(username, password);
            return this;
        }

        /** auth.privateKey: an SFTP key file and its passphrase (null for none). */
        public Builder privateKey(String path, String passphrase) {
            privateKey = new PrivateKey(path, passphrase);
            return this;
        }

        /** auth.secureSocket: FTPS trust (cert: a PEM file, null for the system's) and mode EXPLICIT or IMPLICIT. */
        public Builder secureSocket(String cert, String mode) {
            secureSocket = new SecureSocket(cert, mode);
            return this;
        }

        public Builder path(String v) {
            path = v;
            return this;
        }

        /** A regular expression the file names must match. */
        public Builder fileNamePattern(String v) {
            fileNamePattern = v;
            return this;
        }

        /** Seconds between polls. */
        public Builder pollingInterval(double seconds) {
            pollingInterval = seconds;
            return this;
        }

        public Builder fileAgeFilter(double minAge, double maxAge) {
            fileAgeFilter = new FileAgeFilter(minAge, maxAge);
            return this;
        }

        /**
         * Seconds a new file must stay unchanged (size and mtime) before it is handed over: the guard
         * against files still being written; default 1, 0 turns it off, at most 60.
         */
        public Builder settleTime(double seconds) {
            settleTime = seconds;
            return this;
        }

        public Builder connectTimeout(double seconds) {
            connectTimeout = seconds;
            return this;
        }

        public Builder retryConfig(RetryConfig v) {
            retryConfig = v;
            return this;
        }

        /** An OpenSSH known_hosts file the SFTP server's key must be in. */
        public Builder sftpSshKnownHosts(String v) {
            sftpSshKnownHosts = v;
            return this;
        }

        public Builder coordination(CoordinationConfig v) {
            coordination = v;
            return this;
        }

        public Builder mode(Mode v) {
            mode = v;
            return this;
        }

        /** Files processed at once by this member (and Java dispatcher threads); default 1. */
        public Builder workers(int v) {
            workers = v;
            return this;
        }

        /** Attempts a file gets before it is rejected; default 3. */
        public Builder maxTries(int v) {
            maxTries = v;
            return this;
        }

        /** Seconds a failed file waits before its next attempt; default 60. */
        public Builder retryTimeout(double seconds) {
            retryTimeout = seconds;
            return this;
        }

        /** Seconds of a claimed file's lease (renewed while processed); default 300. */
        public Builder processingTimeout(double seconds) {
            processingTimeout = seconds;
            return this;
        }

        /**
         * Seconds polls may fail to connect or log in to the file server before the member
         * reports itself unable to work and, with coordination, gives the token up and does
         * not compete for it again for as long; 1 to 3600, default 20.
         */
        public Builder stepAsideAfter(double seconds) {
            stepAsideAfter = seconds;
            return this;
        }

        public Builder afterProcess(PostAction v) {
            afterProcess = v;
            return this;
        }

        public Builder afterError(PostAction v) {
            afterError = v;
            return this;
        }

        /** Files claimed per poll; default 100. */
        public Builder maxFilesPerPoll(int v) {
            maxFilesPerPoll = v;
            return this;
        }

        /** Connections to the server; default 4. */
        public Builder maxConnections(int v) {
            maxConnections = v;
            return this;
        }

        /** FTPS: accept any certificate (tests only). */
        public Builder insecureSkipVerify(boolean v) {
            insecureSkipVerify = v;
            return this;
        }

        private static FtpConfigException bad(String field, String problem) {
            return new FtpConfigException(field, "listener config: " + field + ": " + problem);
        }

        /** Checks the values (the library checks the rest when the listener is made). */
        public ListenerConfig build() {
            if (port < 0 || port > 65535) {
                throw bad("port", port + " is not a TCP port (1-65535)");
            }
            if (host != null && host.isBlank()) {
                throw bad("host", "is blank: set a host name or address, or leave it unset for 127.0.0.1");
            }
            if (pollingInterval != null && !(pollingInterval > 0)) {
                throw bad("pollingInterval", pollingInterval + " is not a positive number of seconds");
            }
            if (settleTime != null && !(settleTime >= 0 && settleTime <= 60)) {
                throw bad("settleTime", settleTime + " is not between 0 (no guard) and 60 seconds");
            }
            if (connectTimeout != null && !(connectTimeout > 0)) {
                throw bad("connectTimeout", connectTimeout + " is not a positive number of seconds");
            }
            if (workers < 0) {
                throw bad("workers", workers + " is negative");
            }
            if (maxTries < 0) {
                throw bad("maxTries", maxTries + " is negative");
            }
            if (retryTimeout != null && !(retryTimeout > 0)) {
                throw bad("retryTimeout", retryTimeout + " is not a positive number of seconds");
            }
            if (processingTimeout != null && !(processingTimeout > 0)) {
                throw bad("processingTimeout", processingTimeout + " is not a positive number of seconds");
            }
            if (stepAsideAfter != null && !(stepAsideAfter >= 1 && stepAsideAfter <= 3600)) {
                throw bad("stepAsideAfter", stepAsideAfter + " is not between 1 and 3600 seconds; leave it unset for 20");
            }
            if (credentials != null && (credentials.username() == null || credentials.username().isEmpty())) {
                throw bad("auth.credentials.username", "is empty");
            }
            if (privateKey != null && (privateKey.path() == null || privateKey.path().isEmpty())) {
                throw bad("auth.privateKey.path", "is empty: the path of the SFTP private key file");
            }
            if (fileNamePattern != null) {
                try {
                    java.util.regex.Pattern.compile(fileNamePattern);
                } catch (java.util.regex.PatternSyntaxException e) {
                    throw bad("fileNamePattern", "not a regular expression: " + e.getDescription());
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            if (protocol != null) {
                m.put("protocol", protocol.name());
            }
            putIf(m, "host", host);
            if (port != 0) {
                m.put("port", port);
            }
            if (credentials != null || privateKey != null || secureSocket != null) {
                Map<String, Object> auth = new LinkedHashMap<>();
                if (credentials != null) {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("username", credentials.username());
                    putIf(c, "password", credentials.password());
                    auth.put("credentials", c);
                }
                if (privateKey != null) {
                    Map<String, Object> k = new LinkedHashMap<>();
                    k.put("path", privateKey.path());
                    putIf(k, "password", privateKey.password());
                    auth.put("privateKey", k);
                }
                if (secureSocket != null) {
                    Map<String, Object> s = new LinkedHashMap<>();
                    putIf(s, "cert", secureSocket.cert());
                    putIf(s, "mode", secureSocket.mode());
                    auth.put("secureSocket", s);
                }
                m.put("auth", auth);
            }
            putIf(m, "path", path);
            putIf(m, "fileNamePattern", fileNamePattern);
            putIf(m, "pollingInterval", pollingInterval);
            if (fileAgeFilter != null) {
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("minAge", fileAgeFilter.minAge());
                f.put("maxAge", fileAgeFilter.maxAge());
                m.put("fileAgeFilter", f);
            }
            putIf(m, "settleTime", settleTime);
            putIf(m, "connectTimeout", connectTimeout);
            if (retryConfig != null) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("count", retryConfig.count());
                r.put("interval", retryConfig.interval());
                r.put("backOffFactor", retryConfig.backOffFactor());
                r.put("maxWaitInterval", retryConfig.maxWaitInterval());
                m.put("retryConfig", r);
            }
            putIf(m, "sftpSshKnownHosts", sftpSshKnownHosts);
            if (coordination != null) {
                m.put("coordination", coordination.toJson());
            }
            if (mode != null) {
                m.put("mode", mode.json);
            }
            if (workers != 0) {
                m.put("workers", workers);
            }
            if (maxTries != 0) {
                m.put("maxTries", maxTries);
            }
            putIf(m, "retryTimeout", retryTimeout);
            putIf(m, "processingTimeout", processingTimeout);
            putIf(m, "stepAsideAfter", stepAsideAfter);
            if (afterProcess != null) {
                m.put("afterProcess", afterProcess.toJson());
            }
            if (afterError != null) {
                m.put("afterError", afterError.toJson());
            }
            if (maxFilesPerPoll != 0) {
                m.put("maxFilesPerPoll", maxFilesPerPoll);
            }
            if (maxConnections != 0) {
                m.put("maxConnections", maxConnections);
            }
            if (insecureSkipVerify) {
                m.put("insecureSkipVerify", true);
            }
            return new ListenerConfig(m, workers);
        }
    }
}
