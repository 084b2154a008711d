package io.github.ftpcoord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
    public record FileAgeFilter(double minAge, double maxAge) {
        Map<String, Object> toJson() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("minAge", minAge);
            f.put("maxAge", maxAge);
            return f;
        }
    }

    /** Connection retries: count after the first attempt, first wait, growth factor, cap of one wait. */
    public record RetryConfig(int count, double interval, double backOffFactor, double maxWaitInterval) {}

    /**
     * The coordination database, as ballerina/task's DatabaseConfig ("mysql" or "postgresql"), or an SQLite
     * file the processes of one host share ("sqlite", database the file's path). ssl is
     * {@code options.ssl}, TLS to the server (null: TLS when the server offers it).
     */
    public record DatabaseConfig(String type, String host, int port, String user, String password, String database,
            DatabaseSsl ssl) {
        /** A database without TLS options (TLS when the server offers it). */
        public DatabaseConfig(String type, String host, int port, String user, String password, String database) {
            this(type, host, port, user, password, database, null);
        }

        public static DatabaseConfig postgresql(String host, int port, String user, String password, String database) {
            return new DatabaseConfig("postgresql", host, port, user, password, database);
        }

        public static DatabaseConfig mysql(String host, int port, String user, String password, String database) {
            return new DatabaseConfig("mysql", host, port, user, password, database);
        }

        /** An SQLite file shared by the processes of one host (an absolute path, the same for every member). */
        public static DatabaseConfig sqlite(String path) {
            return new DatabaseConfig("sqlite", null, 0, null, null, path);
        }

        /** This database with TLS options (options.ssl): mode PREFER, DISABLE, REQUIRE, VERIFY-CA or VERIFY-FULL. */
        public DatabaseConfig withSsl(String mode, String rootcert) {
            return new DatabaseConfig(type, host, port, user, password, database, new DatabaseSsl(mode, rootcert));
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
            if (ssl != null) {
                Map<String, Object> s = new LinkedHashMap<>();
                putIf(s, "mode", ssl.mode());
                putIf(s, "rootcert", ssl.rootcert());
                m.put("options", Map.of("ssl", s));
            }
            return m;
        }
    }

    /** TLS to the coordination database (Ballerina's options.ssl): a mode and a PEM file of CAs (may be null). */
    public record DatabaseSsl(String mode, String rootcert) {}

    /**
     * ballerina/task warm-backup coordination: members of one coordinationGroup
     * share the database; one is active at a time. livenessCheckInterval is in
     * whole seconds, heartbeatFrequency and checkPeriod in seconds (0: the
     * default); sessionTimeZone and crashSignal null: the default.
     */
    public record CoordinationConfig(
            DatabaseConfig databaseConfig,
            String memberId,
            String coordinationGroup,
            int livenessCheckInterval,
            double heartbeatFrequency,
            String sessionTimeZone,
            double checkPeriod,
            Boolean crashSignal) {

        /** Coordination with the defaults of sessionTimeZone, checkPeriod and crashSignal. */
        public CoordinationConfig(DatabaseConfig databaseConfig, String memberId, String coordinationGroup,
                int livenessCheckInterval, double heartbeatFrequency) {
            this(databaseConfig, memberId, coordinationGroup, livenessCheckInterval, heartbeatFrequency, null, 0, null);
        }

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
            putIf(m, "sessionTimeZone", sessionTimeZone);
            if (checkPeriod != 0) {
                m.put("checkPeriod", checkPeriod);
            }
            putIf(m, "crashSignal", crashSignal);
            return m;
        }

        /** Builds a CoordinationConfig; databaseConfig, memberId and coordinationGroup are required. */
        public static final class Builder {
            private DatabaseConfig databaseConfig;
            private String memberId;
            private String coordinationGroup;
            private int livenessCheckInterval;
            private double heartbeatFrequency;
            private String sessionTimeZone;
            private double checkPeriod;
            private Boolean crashSignal;

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

            /**
             * The database session's time zone, a zone name or an offset (default UTC): on PostgreSQL,
             * the zone of the group's Ballerina JVMs.
             */
            public Builder sessionTimeZone(String zone) {
                sessionTimeZone = zone;
                return this;
            }

            /** Seconds between two reads of the token holder (default: heartbeatFrequency). */
            public Builder checkPeriod(double seconds) {
                checkPeriod = seconds;
                return this;
            }

            /**
             * Whether the active member holds a session lock standbys wait on, so that a dead process is
             * replaced at once (default true; false behind a transaction-mode connection pool).
             */
            public Builder crashSignal(boolean v) {
                crashSignal = v;
                return this;
            }

            public CoordinationConfig build() {
                if (databaseConfig == null) {
                    throw new FtpConfigException("coordination.databaseConfig",
                            "coordination.databaseConfig: required (e.g. DatabaseConfig.postgresql(...))");
                }
                if (databaseConfig.type() == null || !(databaseConfig.type().equals("mysql")
                        || databaseConfig.type().equals("postgresql") || databaseConfig.type().equals("sqlite"))) {
                    throw new FtpConfigException("coordination.databaseConfig.type",
                            "coordination.databaseConfig.type: " + databaseConfig.type() + " is not mysql, postgresql or sqlite");
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
                if (checkPeriod < 0) {
                    throw new FtpConfigException("coordination.checkPeriod",
                            "coordination.checkPeriod: " + checkPeriod + " is negative");
                }
                return new CoordinationConfig(databaseConfig, memberId, coordinationGroup, livenessCheckInterval,
                        heartbeatFrequency, sessionTimeZone, checkPeriod, crashSignal);
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

    /** What makes a new version of a file (versionKey). */
    public enum VersionKey {
        PATH_SIZE_MTIME("path+size+mtime"),
        PATH_MTIME("path+mtime"),
        PATH("path");

        final String json;

        VersionKey(String json) {
            this.json = json;
        }
    }

    /**
     * ballerina/ftp's file dependency condition: a file matching targetPattern waits until files matching
     * requiredFiles ($1, $2... for targetPattern's groups) are in its directory; matchingMode ALL (null:
     * the default), ANY or EXACT_COUNT with requiredFileCount (null: 1).
     */
    public record FileDependencyCondition(String targetPattern, List<String> requiredFiles, String matchingMode,
            Integer requiredFileCount) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("targetPattern", targetPattern);
            m.put("requiredFiles", requiredFiles);
            putIf(m, "matchingMode", matchingMode);
            putIf(m, "requiredFileCount", requiredFileCount);
            return m;
        }
    }

    /** SFTP: the SSH algorithms offered, in order of preference; a null list keeps the defaults of that kind. */
    public record SftpAlgorithms(List<String> keyExchanges, List<String> ciphers, List<String> macs,
            List<String> hostKeyAlgorithms) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            putIf(m, "keyExchanges", keyExchanges);
            putIf(m, "ciphers", ciphers);
            putIf(m, "macs", macs);
            putIf(m, "hostKeyAlgorithms", hostKeyAlgorithms);
            return m;
        }
    }

    /** A proxy to reach the server through: type HTTP (CONNECT) or SOCKS5, and its login (may be null). */
    public record Proxy(String host, int port, String type, String username, String password) {
        @Override
        public String toString() {
            return "Proxy[host=" + host + ", port=" + port + ", type=" + type + ", username=" + username
                    + ", password hidden]";
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("host", host);
            m.put("port", port);
            putIf(m, "type", type);
            if (username != null || password != null) {
                Map<String, Object> a = new LinkedHashMap<>();
                putIf(a, "username", username);
                putIf(a, "password", password);
                m.put("auth", a);
            }
            return m;
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
        if (shown.get("proxy") instanceof Map<?, ?> p && p.containsKey("auth")) {
            Map<String, Object> pp = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : p.entrySet()) {
                pp.put(String.valueOf(e.getKey()), e.getValue());
            }
            pp.put("auth", "(hidden)");
            shown.put("proxy", pp);
        }
        return "ListenerConfig" + Json.write(shown);
    }

    private static void putIf(Map<String, Object> m, String key, Object v) {
        if (v != null) {
            m.put(key, v);
        }
    }

    private static void putTrue(Map<String, Object> m, String key, boolean v) {
        if (v) {
            m.put(key, true);
        }
    }

    private static void putPositive(Map<String, Object> m, String key, int v) {
        if (v != 0) {
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
        private String credentialsPasswordFile;
        private String privateKeyPasswordFile;
        private PrivateKey clientCertificate;
        private List<String> preferredMethods;
        private final List<FileDependencyCondition> fileDependencyConditions = new ArrayList<>();
        private final List<ServiceConfig> services = new ArrayList<>();
        private int stableListings;
        private String serverTimeZone;
        private boolean activeMode;
        private SftpAlgorithms sftpAlgorithms;
        private boolean sftpTrustOnFirstUse;
        private boolean insecureIgnoreHostKey;
        private boolean recursive;
        private int maxDepth;
        private boolean includeHidden;
        private List<String> include;
        private List<String> exclude;
        private Double retention;
        private String stagingDir;
        private int maxListingEntries;
        private int maxListingDirectories;
        private VersionKey versionKey;
        private Double ftpDataTimeout;
        private Double ftpSocketTimeout;
        private Proxy proxy;

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
            credentialsPasswordFile = null;
            return this;
        }

        /** auth.privateKey: an SFTP key file and its passphrase (null for none). */
        public Builder privateKey(String path, String passphrase) {
            privateKey = new PrivateKey(path, passphrase);
            privateKeyPasswordFile = null;
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

        /**
         * auth.credentials with the password in a file (passwordFile), read again at each new connection, so
         * that a rotated secret is used without a restart.
         */
        public Builder credentialsFile(String username, String passwordFile) {
            credentials = new Credentials(username, null);
            credentialsPasswordFile = passwordFile;
            return this;
        }

        /** auth.privateKey with its passphrase in a file (passwordFile), read again at each new connection. */
        public Builder privateKeyFile(String path, String passphraseFile) {
            privateKey = new PrivateKey(path, null);
            privateKeyPasswordFile = passphraseFile;
            return this;
        }

        /**
         * auth.secureSocket.key: FTPS's client certificate, a PKCS#12 key store and its password, or a PEM file
         * with the certificate and its unencrypted key (password null).
         */
        public Builder clientCertificate(String path, String password) {
            clientCertificate = new PrivateKey(path, password);
            return this;
        }

        /** auth.preferredMethods: SFTP's authentication methods in order (PUBLICKEY, PASSWORD, KEYBOARD_INTERACTIVE). */
        public Builder preferredMethods(String... methods) {
            preferredMethods = List.of(methods);
            return this;
        }

        /**
         * Adds a service (services[]: Ballerina's {@code @ftp:ServiceConfig}, with its own path); a
         * listener with services watches their paths, not {@link #path(String)}.
         */
        public Builder service(ServiceConfig v) {
            services.add(Objects.requireNonNull(v, "service"));
            return this;
        }

        /** Adds a file dependency condition (fileDependencyConditions). */
        public Builder fileDependencyCondition(FileDependencyCondition v) {
            fileDependencyConditions.add(Objects.requireNonNull(v, "condition"));
            return this;
        }

        /** Listings in a row that must show a new version unchanged before it is reported; default 1. */
        public Builder stableListings(int v) {
            stableListings = v;
            return this;
        }

        /** FTP/FTPS: the IANA zone the server's LIST answers give local times in; default UTC. */
        public Builder serverTimeZone(String v) {
            serverTimeZone = v;
            return this;
        }

        /** FTP and implicit FTPS: data connections in active mode (the server connects back). */
        public Builder activeMode(boolean v) {
            activeMode = v;
            return this;
        }

        /** SFTP: the SSH algorithms offered (for a legacy server). */
        public Builder sftpAlgorithms(SftpAlgorithms v) {
            sftpAlgorithms = v;
            return this;
        }

        /** SFTP: record the server's host key in sftpSshKnownHosts when it has none for the server yet. */
        public Builder sftpTrustOnFirstUse(boolean v) {
            sftpTrustOnFirstUse = v;
            return this;
        }

        /** SFTP: do not verify the host key (tests only; every connection logs a warning). */
        public Builder insecureIgnoreHostKey(boolean v) {
            insecureIgnoreHostKey = v;
            return this;
        }

        /** Also watch subdirectories, down to maxDepth levels (0: no limit). */
        public Builder recursive(boolean v) {
            recursive = v;
            return this;
        }

        public Builder maxDepth(int v) {
            maxDepth = v;
            return this;
        }

        /** Report names that start with a dot. */
        public Builder includeHidden(boolean v) {
            includeHidden = v;
            return this;
        }

        /** Glob patterns on the file name, one of which a file must match (on top of fileNamePattern). */
        public Builder include(String... globs) {
            include = List.of(globs);
            return this;
        }

        /** Glob patterns on the file name a file must match none of. */
        public Builder exclude(String... globs) {
            exclude = List.of(globs);
            return this;
        }

        /** Seconds the ledger keeps the rows of DONE and REJECTED files gone from the server; default 7 days. */
        public Builder retention(double seconds) {
            retention = seconds;
            return this;
        }

        /** A local, absolute directory each file is downloaded into before the handler gets it. */
        public Builder stagingDir(String v) {
            stagingDir = v;
            return this;
        }

        /** The most entries one poll's listing reads; default 500,000. */
        public Builder maxListingEntries(int v) {
            maxListingEntries = v;
            return this;
        }

        /** With recursive: the most directories one poll lists; default 10,000. */
        public Builder maxListingDirectories(int v) {
            maxListingDirectories = v;
            return this;
        }

        /** What makes a new version of a file; default PATH_SIZE_MTIME. */
        public Builder versionKey(VersionKey v) {
            versionKey = v;
            return this;
        }

        /**
         * socketConfig, FTP/FTPS: seconds of the longest wait on a data connection (default 120) and for a
         * reply on the control connection (default 60); null keeps a default.
         */
        public Builder socketConfig(Double ftpDataTimeout, Double ftpSocketTimeout) {
            this.ftpDataTimeout = ftpDataTimeout;
            this.ftpSocketTimeout = ftpSocketTimeout;
            return this;
        }

        /** Connect through a proxy (SFTP, FTP and FTPS). */
        public Builder proxy(Proxy v) {
            proxy = v;
            return this;
        }

        private static FtpConfigException bad(String field, String problem) {
            return new FtpConfigException(field, "listener config: " + field + ": " + problem);
        }

        private static void notNegative(String field, int v) {
            if (v < 0) {
                throw bad(field, v + " is negative");
            }
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
            notNegative("stableListings", stableListings);
            notNegative("maxDepth", maxDepth);
            notNegative("maxListingEntries", maxListingEntries);
            notNegative("maxListingDirectories", maxListingDirectories);
            if (retention != null && !(retention > 0)) {
                throw bad("retention", retention + " is not a positive number of seconds");
            }
            if (proxy != null && (proxy.host() == null || proxy.host().isBlank() || proxy.port() < 1 || proxy.port() > 65535)) {
                throw bad("proxy", "needs a host and a TCP port (1-65535): " + proxy);
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
            if (credentials != null || privateKey != null || secureSocket != null || clientCertificate != null
                    || preferredMethods != null) {
                Map<String, Object> auth = new LinkedHashMap<>();
                if (credentials != null) {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("username", credentials.username());
                    putIf(c, "password", credentials.password());
                    putIf(c, "passwordFile", credentialsPasswordFile);
                    auth.put("credentials", c);
                }
                if (privateKey != null) {
                    Map<String, Object> k = new LinkedHashMap<>();
                    k.put("path", privateKey.path());
                    putIf(k, "password", privateKey.password());
                    putIf(k, "passwordFile", privateKeyPasswordFile);
                    auth.put("privateKey", k);
                }
                if (secureSocket != null || clientCertificate != null) {
                    Map<String, Object> s = new LinkedHashMap<>();
                    if (secureSocket != null) {
                        putIf(s, "cert", secureSocket.cert());
                        putIf(s, "mode", secureSocket.mode());
                    }
                    if (clientCertificate != null) {
                        Map<String, Object> k = new LinkedHashMap<>();
                        k.put("path", clientCertificate.path());
                        putIf(k, "password", clientCertificate.password());
                        s.put("key", k);
                    }
                    auth.put("secureSocket", s);
                }
                putIf(auth, "preferredMethods", preferredMethods);
                m.put("auth", auth);
            }
            putIf(m, "path", path);
            putIf(m, "fileNamePattern", fileNamePattern);
            putIf(m, "pollingInterval", pollingInterval);
            if (fileAgeFilter != null) {
                m.put("fileAgeFilter", fileAgeFilter.toJson());
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
            if (!fileDependencyConditions.isEmpty()) {
                m.put("fileDependencyConditions", fileDependencyConditions.stream().map(FileDependencyCondition::toJson).toList());
            }
            putPositive(m, "stableListings", stableListings);
            putIf(m, "serverTimeZone", serverTimeZone);
            putTrue(m, "activeMode", activeMode);
            if (sftpAlgorithms != null) {
                m.put("sftpAlgorithms", sftpAlgorithms.toJson());
            }
            putTrue(m, "sftpTrustOnFirstUse", sftpTrustOnFirstUse);
            putTrue(m, "insecureIgnoreHostKey", insecureIgnoreHostKey);
            putTrue(m, "recursive", recursive);
            putPositive(m, "maxDepth", maxDepth);
            putTrue(m, "includeHidden", includeHidden);
            putIf(m, "include", include);
            putIf(m, "exclude", exclude);
            putIf(m, "retention", retention);
            putIf(m, "stagingDir", stagingDir);
            putPositive(m, "maxListingEntries", maxListingEntries);
            putPositive(m, "maxListingDirectories", maxListingDirectories);
            if (versionKey != null) {
                m.put("versionKey", versionKey.json);
            }
            if (ftpDataTimeout != null || ftpSocketTimeout != null) {
                Map<String, Object> sc = new LinkedHashMap<>();
                putIf(sc, "ftpDataTimeout", ftpDataTimeout);
                putIf(sc, "ftpSocketTimeout", ftpSocketTimeout);
                m.put("socketConfig", sc);
            }
            if (proxy != null) {
                m.put("proxy", proxy.toJson());
            }
            if (!services.isEmpty()) {
                m.put("services", services.stream().map(ServiceConfig::toJson).toList());
            }
            return new ListenerConfig(m, workers);
        }
    }
}
