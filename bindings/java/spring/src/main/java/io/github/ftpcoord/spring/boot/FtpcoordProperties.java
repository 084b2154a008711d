package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.FtpConfigException;
import io.github.ftpcoord.ListenerConfig;
import io.github.ftpcoord.spring.PayloadType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DurationUnit;

/**
 * The {@code ftpcoord.*} properties: ballerina/ftp's {@code ListenerConfiguration} and
 * ballerina/task's coordination, with Spring Boot's relaxed names
 * ({@code ftpcoord.file-name-pattern}, {@code ftpcoord.coordination.member-id},
 * {@code ftpcoord.coordination.database-config.host}, ...), plus how the Spring adapter hands
 * files out ({@code ftpcoord.payload-type}, {@code ftpcoord.staging-directory}).
 *
 * <p>Durations take Boot's forms ({@code 500ms}, {@code 2s}, {@code 1m}); a bare number is
 * seconds, as in Ballerina. Unset values take the library's defaults.
 */
@ConfigurationProperties(prefix = "ftpcoord")
public class FtpcoordProperties {
    /** Whether the auto-configuration makes the listener and its message source. */
    private boolean enabled = true;
    /** FTP, FTPS or SFTP (default FTP). */
    private ListenerConfig.Protocol protocol;
    /** The server's host name or address (default 127.0.0.1). */
    private String host;
    /** The server's port (default 21; 22 for SFTP). */
    private Integer port;
    private final Auth auth = new Auth();
    /** The watched directory (default /). */
    private String path;
    /** A regular expression the file names must match (the whole name). */
    private String fileNamePattern;
    /** Time between polls of the directory (default 60 s). */
    @DurationUnit(ChronoUnit.SECONDS)
    private Duration pollingInterval;
    /** Time to connect to the server (default 30 s). */
    @DurationUnit(ChronoUnit.SECONDS)
    private Duration connectTimeout;
    private final FileAgeFilter fileAgeFilter = new FileAgeFilter();
    /** Time a new file must stay unchanged before it is handed over (default 1 s; 0 turns the guard off). */
    @DurationUnit(ChronoUnit.SECONDS)
    private Duration settleTime;
    /** An OpenSSH known_hosts file the SFTP server's host key must be in. */
    private String sftpSshKnownHosts;
    private final Coordination coordination = new Coordination();
    /** warm-backup (default: only the active member processes) or shared (every member claims files). */
    private ListenerConfig.Mode mode;
    /** Files this member processes at once (default 1): give the poller a task executor with as many threads. */
    private Integer workers;
    /** Attempts a file gets before it is REJECTED (default 3). */
    private Integer maxTries;
    /** Wait after a failed attempt before the next one (default 60 s). */
    @DurationUnit(ChronoUnit.SECONDS)
    private Duration retryTimeout;
    /** Lease of a claimed file, renewed while it is processed (default 300 s). */
    @DurationUnit(ChronoUnit.SECONDS)
    private Duration processingTimeout;
    /**
     * How long polls may fail to connect or log in to the file server before the member
     * reports DOWN and gives the token up for as long (1 s to 1 h, default 20 s).
     */
    @DurationUnit(ChronoUnit.SECONDS)
    private Duration stepAsideAfter;
    /** Files claimed per poll (default 100). */
    private Integer maxFilesPerPoll;
    /** Connections to the server (default 4). */
    private Integer maxConnections;
    private final PostAction afterProcess = new PostAction();
    private final PostAction afterError = new PostAction();
    /** Files held back until the files they belong with are in their directory (ballerina/ftp's). */
    private final List<FileDependencyCondition> fileDependencyConditions = new ArrayList<>();
    /**
     * Several services on this listener, each with its own path (Ballerina's @ftp:ServiceConfig);
     * the listener then watches their paths, not path.
     */
    private final List<FtpcoordServiceProperties> services = new ArrayList<>();
    /** Listings in a row that must show a new version unchanged before it is handed over (default 1). */
    private Integer stableListings;
    /** FTP/FTPS: the IANA zone the server's LIST answers give local times in (default UTC). */
    private String serverTimeZone;
    /** FTP and implicit FTPS: data connections in active mode, the server connecting back (default false). */
    private Boolean activeMode;
    private final SftpAlgorithms sftpAlgorithms = new SftpAlgorithms();
    /** SFTP: record the server's host key in sftp-ssh-known-hosts when it has none for the server yet. */
    private Boolean sftpTrustOnFirstUse;
    /** FTPS: do not verify the server's certificate (tests only; every connection logs a warning). */
    private Boolean insecureSkipVerify;
    /** SFTP: do not verify the host key (tests only; every connection logs a warning). */
    private Boolean insecureIgnoreHostKey;
    /** Also watch subdirectories, down to max-depth levels (default false). */
    private Boolean recursive;
    /** With recursive: how many levels below path (default 0: no limit). */
    private Integer maxDepth;
    /** Report names that start with a dot (default false). */
    private Boolean includeHidden;
    /** Glob patterns on the file name, one of which a file must match (on top of file-name-pattern). */
    private List<String> include;
    /** Glob patterns on the file name a file must match none of. */
    private List<String> exclude;
    /** How long the ledger keeps the rows of DONE and REJECTED files gone from the server (default 7 days). */
    @DurationUnit(ChronoUnit.SECONDS)
    private Duration retention;
    /**
     * The library's download directory (a local, absolute path): each file is downloaded there first,
     * resumably, before the flow gets it. Not staging-directory, where the adapter writes file payloads.
     */
    private String stagingDir;
    /** The most entries one poll's listing reads (default 500000). */
    private Integer maxListingEntries;
    /** With recursive: the most directories one poll lists (default 10000). */
    private Integer maxListingDirectories;
    /** What makes a new version: path-size-mtime (default), path-mtime or path. */
    private ListenerConfig.VersionKey versionKey;
    private final SocketConfig socketConfig = new SocketConfig();
    private final Proxy proxy = new Proxy();
    private final RetryConfig retryConfig = new RetryConfig();

    /** The payload of the messages: input-stream (default), bytes, file or content (typed by extension). */
    private PayloadType payloadType = PayloadType.INPUT_STREAM;
    /** With payload-type content: the class a .json file is bound to (default: the JSON tree). */
    private Class<?> contentJsonType;
    /** With payload-type content: the class each row of a .csv file is bound to (default: String[][]). */
    private Class<?> contentCsvType;
    /** Where file payloads are staged (default: java.io.tmpdir). */
    private Path stagingDirectory;
    /** How long one receive of the poller waits for a file (default 0). */
    private Duration receiveTimeout = Duration.ZERO;
    /** How long a stop waits for the flows in progress (default 30 s). */
    private Duration stopTimeout = Duration.ofSeconds(30);

    /** auth: ballerina/ftp's AuthConfiguration. */
    public static class Auth {
        private final Credentials credentials = new Credentials();
        private final PrivateKey privateKey = new PrivateKey();
        private final SecureSocket secureSocket = new SecureSocket();
        /** SFTP: the authentication methods, in order (default PUBLICKEY, PASSWORD). */
        private List<String> preferredMethods;

        public List<String> getPreferredMethods() {
            return preferredMethods;
        }

        public void setPreferredMethods(List<String> preferredMethods) {
            this.preferredMethods = preferredMethods;
        }

        public Credentials getCredentials() {
            return credentials;
        }

        public PrivateKey getPrivateKey() {
            return privateKey;
        }

        public SecureSocket getSecureSocket() {
            return secureSocket;
        }
    }

    /** auth.credentials. */
    public static class Credentials {
        private String username;
        private String password;
        /** A file holding the password instead, read again at each new connection. */
        private String passwordFile;

        public String getPasswordFile() {
            return passwordFile;
        }

        public void setPasswordFile(String passwordFile) {
            this.passwordFile = passwordFile;
        }

        public String getUsername() {
            return username;
        }

        public void setUsername(String username) {
            this.username = username;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        @Override
        public String toString() {
            return "Credentials[username=" + username + ", password hidden]";
        }
    }

    /** auth.private-key: an SFTP key file and its passphrase. */
    public static class PrivateKey {
        private String path;
        private String password;
        /** A file holding the passphrase instead, read again at each new connection. */
        private String passwordFile;

        public String getPasswordFile() {
            return passwordFile;
        }

        public void setPasswordFile(String passwordFile) {
            this.passwordFile = passwordFile;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        @Override
        public String toString() {
            return "PrivateKey[path=" + path + ", passphrase hidden]";
        }
    }

    /** auth.secure-socket: FTPS trust (a PEM file of CA certificates) and EXPLICIT or IMPLICIT. */
    public static class SecureSocket {
        private String cert;
        private String mode;
        /** key: the client certificate, for servers that require one (a PKCS#12 key store or a PEM file). */
        private final KeyStore key = new KeyStore();

        public KeyStore getKey() {
            return key;
        }

        public String getCert() {
            return cert;
        }

        public void setCert(String cert) {
            this.cert = cert;
        }

        public String getMode() {
            return mode;
        }

        public void setMode(String mode) {
            this.mode = mode;
        }
    }

    /** file-age-filter: files younger than min-age wait; older than max-age are ignored. */
    public static class FileAgeFilter {
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration minAge;
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration maxAge;

        public Duration getMinAge() {
            return minAge;
        }

        public void setMinAge(Duration minAge) {
            this.minAge = minAge;
        }

        public Duration getMaxAge() {
            return maxAge;
        }

        public void setMaxAge(Duration maxAge) {
            this.maxAge = maxAge;
        }

        /** {minAge, maxAge} in seconds (unset: 0), or null when neither is set. */
        double[] seconds() {
            if (minAge == null && maxAge == null) {
                return null;
            }
            return new double[] {minAge == null ? 0 : FtpcoordProperties.seconds(minAge), maxAge == null ? 0 : FtpcoordProperties.seconds(maxAge)};
        }
    }

    /** coordination: ballerina/task's warm-backup settings. */
    public static class Coordination {
        /** Identity of this node, unique in the group (Ballerina's taskId). */
        private String memberId;
        /** The nodes sharing one directory (Ballerina's groupId). */
        private String coordinationGroup;
        /** Staleness after which a silent active member is replaced, whole seconds (default 30). */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration livenessCheckInterval;
        /** Period of every member's heartbeat (default 1 s). */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration heartbeatFrequency;
        private final DatabaseConfig databaseConfig = new DatabaseConfig();
        /** The database session's time zone, a zone name or an offset (default UTC). */
        private String sessionTimeZone;
        /** How often a member reads the token holder (default: heartbeat-frequency). */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration checkPeriod;
        /** The session lock standbys wait on, so that a dead process is replaced at once (default true). */
        private Boolean crashSignal;

        public String getSessionTimeZone() {
            return sessionTimeZone;
        }

        public void setSessionTimeZone(String sessionTimeZone) {
            this.sessionTimeZone = sessionTimeZone;
        }

        public Duration getCheckPeriod() {
            return checkPeriod;
        }

        public void setCheckPeriod(Duration checkPeriod) {
            this.checkPeriod = checkPeriod;
        }

        public Boolean getCrashSignal() {
            return crashSignal;
        }

        public void setCrashSignal(Boolean crashSignal) {
            this.crashSignal = crashSignal;
        }

        public String getMemberId() {
            return memberId;
        }

        public void setMemberId(String memberId) {
            this.memberId = memberId;
        }

        public String getCoordinationGroup() {
            return coordinationGroup;
        }

        public void setCoordinationGroup(String coordinationGroup) {
            this.coordinationGroup = coordinationGroup;
        }

        public Duration getLivenessCheckInterval() {
            return livenessCheckInterval;
        }

        public void setLivenessCheckInterval(Duration livenessCheckInterval) {
            this.livenessCheckInterval = livenessCheckInterval;
        }

        public Duration getHeartbeatFrequency() {
            return heartbeatFrequency;
        }

        public void setHeartbeatFrequency(Duration heartbeatFrequency) {
            this.heartbeatFrequency = heartbeatFrequency;
        }

        public DatabaseConfig getDatabaseConfig() {
            return databaseConfig;
        }

        boolean isSet() {
            return memberId != null || coordinationGroup != null || livenessCheckInterval != null
                    || heartbeatFrequency != null || databaseConfig.isSet() || sessionTimeZone != null
                    || checkPeriod != null || crashSignal != null;
        }
    }

    /** coordination.database-config: the coordination database. */
    public static class DatabaseConfig {
        /** postgresql, mysql or sqlite (database is then the file's path). */
        private String type;
        private final Options options = new Options();

        public Options getOptions() {
            return options;
        }
        private String host;
        private Integer port;
        private String user;
        private String password;
        private String database;

        public String getType() {
            return type;
        }

        public void setType(String type) {
            this.type = type;
        }

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public Integer getPort() {
            return port;
        }

        public void setPort(Integer port) {
            this.port = port;
        }

        public String getUser() {
            return user;
        }

        public void setUser(String user) {
            this.user = user;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        public String getDatabase() {
            return database;
        }

        public void setDatabase(String database) {
            this.database = database;
        }

        boolean isSet() {
            return type != null || host != null || port != null || user != null || password != null || database != null
                    || options.ssl.mode != null || options.ssl.rootcert != null;
        }

        @Override
        public String toString() {
            return "DatabaseConfig[type=" + type + ", host=" + host + ", port=" + port + ", user=" + user
                    + ", password hidden, database=" + database + "]";
        }
    }

    /** after-process / after-error: ballerina/ftp's post-processing action. */
    public static class PostAction {
        /** delete or move (with move-to); unset: leave the file. */
        private Action action;
        /** The directory of a move. */
        private String moveTo;
        /** Keep the path below the watched directory in a move; true by default, as in Ballerina. */
        private boolean preserveSubDirs = true;

        /** The actions. */
        public enum Action { DELETE, MOVE }

        public Action getAction() {
            return action;
        }

        public void setAction(Action action) {
            this.action = action;
        }

        public String getMoveTo() {
            return moveTo;
        }

        public void setMoveTo(String moveTo) {
            this.moveTo = moveTo;
        }

        public boolean isPreserveSubDirs() {
            return preserveSubDirs;
        }

        public void setPreserveSubDirs(boolean preserveSubDirs) {
            this.preserveSubDirs = preserveSubDirs;
        }

        ListenerConfig.PostAction toPostAction(String property) {
            Action a = action;
            if (a == null && moveTo != null) {
                a = Action.MOVE;
            }
            if (a == null) {
                return null;
            }
            if (a == Action.DELETE) {
                return ListenerConfig.PostAction.DELETE;
            }
            if (moveTo == null || moveTo.isBlank()) {
                throw new FtpcoordPropertyException(property + ".move-to", "is required with " + property + ".action=move",
                        "set " + property + ".move-to to the directory the files go to, e.g. /done");
            }
            return ListenerConfig.PostAction.moveTo(moveTo, preserveSubDirs);
        }
    }

    /** coordination.database-config.options: Ballerina's driver options; ssl is read. */
    public static class Options {
        private final Ssl ssl = new Ssl();

        public Ssl getSsl() {
            return ssl;
        }
    }

    /** coordination.database-config.options.ssl: TLS to the database server. */
    public static class Ssl {
        /** PREFER (default), DISABLE, REQUIRE, VERIFY-CA or VERIFY-FULL (either module's spelling). */
        private String mode;
        /** A PEM file of the CA certificates to trust. */
        private String rootcert;

        public String getMode() {
            return mode;
        }

        public void setMode(String mode) {
            this.mode = mode;
        }

        public String getRootcert() {
            return rootcert;
        }

        public void setRootcert(String rootcert) {
            this.rootcert = rootcert;
        }
    }

    /** file-dependency-conditions[n]: ballerina/ftp's file dependency condition. */
    public static class FileDependencyCondition {
        /** The files the condition holds back (a regular expression on the whole name). */
        private String targetPattern;
        /** Patterns of the files needed; $1, $2... stand for target-pattern's groups. */
        private List<String> requiredFiles;
        /** ALL (default), ANY or EXACT_COUNT. */
        private String matchingMode;
        /** With EXACT_COUNT: how many matches there must be (default 1). */
        private Integer requiredFileCount;

        public String getTargetPattern() {
            return targetPattern;
        }

        public void setTargetPattern(String targetPattern) {
            this.targetPattern = targetPattern;
        }

        public List<String> getRequiredFiles() {
            return requiredFiles;
        }

        public void setRequiredFiles(List<String> requiredFiles) {
            this.requiredFiles = requiredFiles;
        }

        public String getMatchingMode() {
            return matchingMode;
        }

        public void setMatchingMode(String matchingMode) {
            this.matchingMode = matchingMode;
        }

        public Integer getRequiredFileCount() {
            return requiredFileCount;
        }

        public void setRequiredFileCount(Integer requiredFileCount) {
            this.requiredFileCount = requiredFileCount;
        }

        ListenerConfig.FileDependencyCondition toCondition() {
            return new ListenerConfig.FileDependencyCondition(targetPattern,
                    requiredFiles == null ? List.of() : List.copyOf(requiredFiles), matchingMode, requiredFileCount);
        }
    }

    /** sftp-algorithms: the SSH algorithms SFTP offers, in order of preference (unset: the defaults). */
    public static class SftpAlgorithms {
        private List<String> keyExchanges;
        private List<String> ciphers;
        private List<String> macs;
        private List<String> hostKeyAlgorithms;

        public List<String> getKeyExchanges() {
            return keyExchanges;
        }

        public void setKeyExchanges(List<String> keyExchanges) {
            this.keyExchanges = keyExchanges;
        }

        public List<String> getCiphers() {
            return ciphers;
        }

        public void setCiphers(List<String> ciphers) {
            this.ciphers = ciphers;
        }

        public List<String> getMacs() {
            return macs;
        }

        public void setMacs(List<String> macs) {
            this.macs = macs;
        }

        public List<String> getHostKeyAlgorithms() {
            return hostKeyAlgorithms;
        }

        public void setHostKeyAlgorithms(List<String> hostKeyAlgorithms) {
            this.hostKeyAlgorithms = hostKeyAlgorithms;
        }

        boolean isSet() {
            return keyExchanges != null || ciphers != null || macs != null || hostKeyAlgorithms != null;
        }
    }

    /** retry-config: how connecting is retried; an unset value takes Ballerina's default. */
    public static class RetryConfig {
        /** Retries after the first attempt (default 3). */
        private Integer count;
        /** The first wait (default 1 s). */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration interval;
        /** Each wait is the previous one times this (default 2.0). */
        private Double backOffFactor;
        /** The longest single wait (default 30 s). */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration maxWaitInterval;

        public Integer getCount() {
            return count;
        }

        public void setCount(Integer count) {
            this.count = count;
        }

        public Duration getInterval() {
            return interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        public Double getBackOffFactor() {
            return backOffFactor;
        }

        public void setBackOffFactor(Double backOffFactor) {
            this.backOffFactor = backOffFactor;
        }

        public Duration getMaxWaitInterval() {
            return maxWaitInterval;
        }

        public void setMaxWaitInterval(Duration maxWaitInterval) {
            this.maxWaitInterval = maxWaitInterval;
        }

        boolean isSet() {
            return count != null || interval != null || backOffFactor != null || maxWaitInterval != null;
        }
    }

    /** socket-config, FTP/FTPS: the longest waits on a data connection and for a control reply. */
    public static class SocketConfig {
        /** Default 120 s. */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration ftpDataTimeout;
        /** Default 60 s. */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration ftpSocketTimeout;

        public Duration getFtpDataTimeout() {
            return ftpDataTimeout;
        }

        public void setFtpDataTimeout(Duration ftpDataTimeout) {
            this.ftpDataTimeout = ftpDataTimeout;
        }

        public Duration getFtpSocketTimeout() {
            return ftpSocketTimeout;
        }

        public void setFtpSocketTimeout(Duration ftpSocketTimeout) {
            this.ftpSocketTimeout = ftpSocketTimeout;
        }
    }

    /** proxy: reach the server through an HTTP CONNECT or SOCKS5 proxy. */
    public static class Proxy {
        private String host;
        private Integer port;
        /** HTTP (default) or SOCKS5. */
        private String type;
        private final ProxyAuth auth = new ProxyAuth();

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public Integer getPort() {
            return port;
        }

        public void setPort(Integer port) {
            this.port = port;
        }

        public String getType() {
            return type;
        }

        public void setType(String type) {
            this.type = type;
        }

        /** The proxy's login (username, password). */
        public ProxyAuth getAuth() {
            return auth;
        }
    }

    /** proxy.auth: the proxy's login (SOCKS5 user and password, HTTP Basic). */
    public static class ProxyAuth {
        private String username;
        private String password;

        public String getUsername() {
            return username;
        }

        public void setUsername(String username) {
            this.username = username;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        @Override
        public String toString() {
            return "ProxyAuth[username=" + username + ", password hidden]";
        }
    }

    /** auth.secure-socket.key: a PKCS#12 key store and its password, or a PEM file with an unencrypted key. */
    public static class KeyStore {
        private String path;
        private String password;

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        @Override
        public String toString() {
            return "KeyStore[path=" + path + ", password hidden]";
        }
    }

    // ---- to the core's configuration ----

    /**
     * The listener configuration of these properties.
     *
     * @throws FtpcoordPropertyException naming the property at fault and the fix
     */
    public ListenerConfig toListenerConfig() {
        try {
            return build();
        } catch (FtpConfigException e) {
            throw FtpcoordPropertyException.from(e);
        }
    }

    private ListenerConfig build() {
        checkPlaceholders();
        ListenerConfig.Builder b = ListenerConfig.builder();
        if (protocol != null) {
            b.protocol(protocol);
        }
        if (host != null) {
            b.host(host);
        }
        if (port != null) {
            if (port < 1 || port > 65535) {
                throw new FtpcoordPropertyException("ftpcoord.port", port + " is not a TCP port",
                        "set ftpcoord.port to the server's port, 1-65535 (FTP 21, SFTP 22), or leave it unset");
            }
            b.port(port);
        }
        Credentials c = auth.credentials;
        if (c.passwordFile != null) {
            if (c.password != null) {
                throw new FtpcoordPropertyException("ftpcoord.auth.credentials.password-file", "is set with ftpcoord.auth.credentials.password",
                        "set one of them: the password, or the file that holds it");
            }
            b.credentialsFile(c.username, c.passwordFile);
        } else if (c.username != null || c.password != null) {
            b.credentials(c.username, c.password);
        }
        PrivateKey k = auth.privateKey;
        if (k.passwordFile != null) {
            if (k.password != null) {
                throw new FtpcoordPropertyException("ftpcoord.auth.private-key.password-file", "is set with ftpcoord.auth.private-key.password",
                        "set one of them: the passphrase, or the file that holds it");
            }
            b.privateKeyFile(k.path, k.passwordFile);
        } else if (k.path != null || k.password != null) {
            b.privateKey(k.path, k.password);
        }
        if (auth.secureSocket.key.path != null || auth.secureSocket.key.password != null) {
            b.clientCertificate(auth.secureSocket.key.path, auth.secureSocket.key.password);
        }
        if (auth.preferredMethods != null) {
            b.preferredMethods(auth.preferredMethods.toArray(String[]::new));
        }
        SecureSocket s = auth.secureSocket;
        if (s.cert != null || s.mode != null) {
            b.secureSocket(s.cert, s.mode);
        }
        if (path != null) {
            b.path(path);
        }
        if (fileNamePattern != null) {
            b.fileNamePattern(fileNamePattern);
        }
        if (pollingInterval != null) {
            b.pollingInterval(seconds(pollingInterval));
        }
        if (connectTimeout != null) {
            b.connectTimeout(seconds(connectTimeout));
        }
        double[] age = fileAgeFilter.seconds();
        if (age != null) {
            b.fileAgeFilter(age[0], age[1]);
        }
        if (settleTime != null) {
            b.settleTime(seconds(settleTime));
        }
        if (sftpSshKnownHosts != null) {
            b.sftpSshKnownHosts(sftpSshKnownHosts);
        }
        if (coordination.isSet()) {
            b.coordination(coordination());
        }
        if (mode != null) {
            b.mode(mode);
        }
        if (workers != null) {
            if (workers < 1) {
                throw new FtpcoordPropertyException("ftpcoord.workers", workers + " is not a positive number",
                        "set ftpcoord.workers to the files processed at once (1 or more), or leave it unset for 1");
            }
            b.workers(workers);
        }
        if (maxTries != null) {
            if (maxTries < 1) {
                throw new FtpcoordPropertyException("ftpcoord.max-tries", maxTries + " is not a positive number",
                        "set ftpcoord.max-tries to the attempts a file gets before it is REJECTED (1 or more), or leave it unset for 3");
            }
            b.maxTries(maxTries);
        }
        if (retryTimeout != null) {
            b.retryTimeout(seconds(retryTimeout));
        }
        if (processingTimeout != null) {
            b.processingTimeout(seconds(processingTimeout));
        }
        if (stepAsideAfter != null) {
            double aside = seconds(stepAsideAfter);
            if (!(aside >= 1 && aside <= 3600)) {
                throw new FtpcoordPropertyException("ftpcoord.step-aside-after", aside + " s is not between 1 s and 1 h",
                        "set ftpcoord.step-aside-after to how long the file server may fail before this member gives the token up (e.g. 20s), or leave it unset for 20 s");
            }
            b.stepAsideAfter(aside);
        }
        if (maxFilesPerPoll != null) {
            b.maxFilesPerPoll(maxFilesPerPoll);
        }
        if (maxConnections != null) {
            b.maxConnections(maxConnections);
        }
        ListenerConfig.PostAction ap = afterProcess.toPostAction("ftpcoord.after-process");
        if (ap != null) {
            b.afterProcess(ap);
        }
        ListenerConfig.PostAction ae = afterError.toPostAction("ftpcoord.after-error");
        if (ae != null) {
            b.afterError(ae);
        }
        buildListingAndConnection(b);
        return b.build();
    }

    /** The fields of the Go struct that came to the bindings after the first ones (issue 26). */
    private void buildListingAndConnection(ListenerConfig.Builder b) {
        for (FileDependencyCondition d : fileDependencyConditions) {
            b.fileDependencyCondition(d.toCondition());
        }
        for (int i = 0; i < services.size(); i++) {
            b.service(services.get(i).toServiceConfig("ftpcoord.services[" + i + "]"));
        }
        if (stableListings != null) {
            b.stableListings(stableListings);
        }
        if (serverTimeZone != null) {
            b.serverTimeZone(serverTimeZone);
        }
        if (activeMode != null) {
            b.activeMode(activeMode);
        }
        if (sftpAlgorithms.isSet()) {
            b.sftpAlgorithms(new ListenerConfig.SftpAlgorithms(sftpAlgorithms.keyExchanges, sftpAlgorithms.ciphers,
                    sftpAlgorithms.macs, sftpAlgorithms.hostKeyAlgorithms));
        }
        if (sftpTrustOnFirstUse != null) {
            b.sftpTrustOnFirstUse(sftpTrustOnFirstUse);
        }
        if (insecureSkipVerify != null) {
            b.insecureSkipVerify(insecureSkipVerify);
        }
        if (insecureIgnoreHostKey != null) {
            b.insecureIgnoreHostKey(insecureIgnoreHostKey);
        }
        if (recursive != null) {
            b.recursive(recursive);
        }
        if (maxDepth != null) {
            b.maxDepth(maxDepth);
        }
        if (includeHidden != null) {
            b.includeHidden(includeHidden);
        }
        if (include != null) {
            b.include(include.toArray(String[]::new));
        }
        if (exclude != null) {
            b.exclude(exclude.toArray(String[]::new));
        }
        if (retention != null) {
            b.retention(seconds(retention));
        }
        if (stagingDir != null) {
            b.stagingDir(stagingDir);
        }
        if (maxListingEntries != null) {
            b.maxListingEntries(maxListingEntries);
        }
        if (maxListingDirectories != null) {
            b.maxListingDirectories(maxListingDirectories);
        }
        if (versionKey != null) {
            b.versionKey(versionKey);
        }
        if (retryConfig.isSet()) {
            b.retryConfig(new ListenerConfig.RetryConfig(retryConfig.count == null ? 3 : retryConfig.count,
                    retryConfig.interval == null ? 1 : seconds(retryConfig.interval),
                    retryConfig.backOffFactor == null ? 2 : retryConfig.backOffFactor,
                    retryConfig.maxWaitInterval == null ? 30 : seconds(retryConfig.maxWaitInterval)));
        }
        if (socketConfig.ftpDataTimeout != null || socketConfig.ftpSocketTimeout != null) {
            b.socketConfig(socketConfig.ftpDataTimeout == null ? null : seconds(socketConfig.ftpDataTimeout),
                    socketConfig.ftpSocketTimeout == null ? null : seconds(socketConfig.ftpSocketTimeout));
        }
        if (proxy.host != null || proxy.port != null || proxy.type != null) {
            if (proxy.host == null || proxy.port == null || proxy.port < 1 || proxy.port > 65535) {
                throw new FtpcoordPropertyException("ftpcoord.proxy", "needs both ftpcoord.proxy.host and ftpcoord.proxy.port (1-65535)",
                        "set ftpcoord.proxy.host and ftpcoord.proxy.port to the proxy's address, or leave ftpcoord.proxy unset");
            }
            b.proxy(new ListenerConfig.Proxy(proxy.host, proxy.port, proxy.type, proxy.auth.username, proxy.auth.password));
        }
    }

    /** Every string property but the file name pattern (a regular expression may hold "${"). */
    private void checkPlaceholders() {
        FtpcoordPlaceholders.check("ftpcoord.host", host, false);
        FtpcoordPlaceholders.check("ftpcoord.path", path, false);
        FtpcoordPlaceholders.check("ftpcoord.sftp-ssh-known-hosts", sftpSshKnownHosts, false);
        FtpcoordPlaceholders.check("ftpcoord.auth.credentials.username", auth.credentials.username, false);
        FtpcoordPlaceholders.check("ftpcoord.auth.credentials.password", auth.credentials.password, true);
        FtpcoordPlaceholders.check("ftpcoord.auth.private-key.path", auth.privateKey.path, false);
        FtpcoordPlaceholders.check("ftpcoord.auth.private-key.password", auth.privateKey.password, true);
        FtpcoordPlaceholders.check("ftpcoord.auth.secure-socket.cert", auth.secureSocket.cert, false);
        FtpcoordPlaceholders.check("ftpcoord.auth.secure-socket.mode", auth.secureSocket.mode, false);
        FtpcoordPlaceholders.check("ftpcoord.coordination.member-id", coordination.memberId, false);
        FtpcoordPlaceholders.check("ftpcoord.coordination.coordination-group", coordination.coordinationGroup, false);
        DatabaseConfig d = coordination.databaseConfig;
        FtpcoordPlaceholders.check("ftpcoord.coordination.database-config.type", d.type, false);
        FtpcoordPlaceholders.check("ftpcoord.coordination.database-config.host", d.host, false);
        FtpcoordPlaceholders.check("ftpcoord.coordination.database-config.user", d.user, false);
        FtpcoordPlaceholders.check("ftpcoord.coordination.database-config.password", d.password, true);
        FtpcoordPlaceholders.check("ftpcoord.coordination.database-config.database", d.database, false);
        FtpcoordPlaceholders.check("ftpcoord.after-process.move-to", afterProcess.moveTo, false);
        FtpcoordPlaceholders.check("ftpcoord.after-error.move-to", afterError.moveTo, false);
        FtpcoordPlaceholders.check("ftpcoord.auth.credentials.password-file", auth.credentials.passwordFile, false);
        FtpcoordPlaceholders.check("ftpcoord.auth.private-key.password-file", auth.privateKey.passwordFile, false);
        FtpcoordPlaceholders.check("ftpcoord.auth.secure-socket.key.path", auth.secureSocket.key.path, false);
        FtpcoordPlaceholders.check("ftpcoord.auth.secure-socket.key.password", auth.secureSocket.key.password, true);
        FtpcoordPlaceholders.check("ftpcoord.server-time-zone", serverTimeZone, false);
        FtpcoordPlaceholders.check("ftpcoord.staging-dir", stagingDir, false);
        FtpcoordPlaceholders.check("ftpcoord.proxy.host", proxy.host, false);
        FtpcoordPlaceholders.check("ftpcoord.proxy.auth.username", proxy.auth.username, false);
        FtpcoordPlaceholders.check("ftpcoord.proxy.auth.password", proxy.auth.password, true);
        FtpcoordPlaceholders.check("ftpcoord.coordination.session-time-zone", coordination.sessionTimeZone, false);
        FtpcoordPlaceholders.check("ftpcoord.coordination.database-config.options.ssl.rootcert", d.options.ssl.rootcert, false);
    }

    private ListenerConfig.CoordinationConfig coordination() {
        DatabaseConfig d = coordination.databaseConfig;
        if (d.type == null) {
            throw new FtpcoordPropertyException("ftpcoord.coordination.database-config.type", "is not set",
                    "set ftpcoord.coordination.database-config.type to postgresql or mysql");
        }
        String type = d.type.trim().toLowerCase(java.util.Locale.ROOT);
        if (type.equals("postgres")) {
            type = "postgresql";
        }
        if (type.equals("sqlite3")) {
            type = "sqlite";
        }
        if (!type.equals("postgresql") && !type.equals("mysql") && !type.equals("sqlite")) {
            throw new FtpcoordPropertyException("ftpcoord.coordination.database-config.type", "'" + d.type + "' is not a supported database",
                    "set ftpcoord.coordination.database-config.type to postgresql or mysql (MySQL 8 or MariaDB 10.6+), or sqlite (one host)");
        }
        if (d.port != null && (d.port < 1 || d.port > 65535)) {
            throw new FtpcoordPropertyException("ftpcoord.coordination.database-config.port", d.port + " is not a TCP port",
                    "set ftpcoord.coordination.database-config.port to the database's port, 1-65535 (PostgreSQL 5432, MySQL 3306)");
        }
        ListenerConfig.CoordinationConfig.Builder b = ListenerConfig.CoordinationConfig.builder()
                .databaseConfig(new ListenerConfig.DatabaseConfig(type, d.host, d.port == null ? 0 : d.port, d.user, d.password, d.database,
                        d.options.ssl.mode == null && d.options.ssl.rootcert == null ? null
                                : new ListenerConfig.DatabaseSsl(d.options.ssl.mode, d.options.ssl.rootcert)))
                .memberId(coordination.memberId)
                .coordinationGroup(coordination.coordinationGroup);
        if (coordination.livenessCheckInterval != null) {
            long s = coordination.livenessCheckInterval.toSeconds();
            if (s < 1 || coordination.livenessCheckInterval.toNanosPart() != 0) {
                throw new FtpcoordPropertyException("ftpcoord.coordination.liveness-check-interval",
                        coordination.livenessCheckInterval + " is not a whole number of seconds of 1 or more",
                        "set ftpcoord.coordination.liveness-check-interval to whole seconds, e.g. 30 (Ballerina's default)");
            }
            b.livenessCheckInterval((int) s);
        }
        if (coordination.heartbeatFrequency != null) {
            b.heartbeatFrequency(seconds(coordination.heartbeatFrequency));
        }
        if (coordination.sessionTimeZone != null) {
            b.sessionTimeZone(coordination.sessionTimeZone);
        }
        if (coordination.checkPeriod != null) {
            b.checkPeriod(seconds(coordination.checkPeriod));
        }
        if (coordination.crashSignal != null) {
            b.crashSignal(coordination.crashSignal);
        }
        return b.build();
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    // ---- accessors ----

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public ListenerConfig.Protocol getProtocol() {
        return protocol;
    }

    public void setProtocol(ListenerConfig.Protocol protocol) {
        this.protocol = protocol;
    }

    public String getHost() {
        return host;
    }

    public void setHost(String host) {
        this.host = host;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public Auth getAuth() {
        return auth;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public String getFileNamePattern() {
        return fileNamePattern;
    }

    public void setFileNamePattern(String fileNamePattern) {
        this.fileNamePattern = fileNamePattern;
    }

    public Duration getPollingInterval() {
        return pollingInterval;
    }

    public void setPollingInterval(Duration pollingInterval) {
        this.pollingInterval = pollingInterval;
    }

    public Duration getSettleTime() {
        return settleTime;
    }

    public void setSettleTime(Duration settleTime) {
        this.settleTime = settleTime;
    }

    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public FileAgeFilter getFileAgeFilter() {
        return fileAgeFilter;
    }

    public String getSftpSshKnownHosts() {
        return sftpSshKnownHosts;
    }

    public void setSftpSshKnownHosts(String sftpSshKnownHosts) {
        this.sftpSshKnownHosts = sftpSshKnownHosts;
    }

    public Coordination getCoordination() {
        return coordination;
    }

    public ListenerConfig.Mode getMode() {
        return mode;
    }

    public void setMode(ListenerConfig.Mode mode) {
        this.mode = mode;
    }

    public Integer getWorkers() {
        return workers;
    }

    public void setWorkers(Integer workers) {
        this.workers = workers;
    }

    public Integer getMaxTries() {
        return maxTries;
    }

    public void setMaxTries(Integer maxTries) {
        this.maxTries = maxTries;
    }

    public Duration getRetryTimeout() {
        return retryTimeout;
    }

    public void setRetryTimeout(Duration retryTimeout) {
        this.retryTimeout = retryTimeout;
    }

    public Duration getProcessingTimeout() {
        return processingTimeout;
    }

    public Duration getStepAsideAfter() {
        return stepAsideAfter;
    }

    public void setStepAsideAfter(Duration stepAsideAfter) {
        this.stepAsideAfter = stepAsideAfter;
    }

    public void setProcessingTimeout(Duration processingTimeout) {
        this.processingTimeout = processingTimeout;
    }

    public Integer getMaxFilesPerPoll() {
        return maxFilesPerPoll;
    }

    public void setMaxFilesPerPoll(Integer maxFilesPerPoll) {
        this.maxFilesPerPoll = maxFilesPerPoll;
    }

    public Integer getMaxConnections() {
        return maxConnections;
    }

    public void setMaxConnections(Integer maxConnections) {
        this.maxConnections = maxConnections;
    }

    public PostAction getAfterProcess() {
        return afterProcess;
    }

    public PostAction getAfterError() {
        return afterError;
    }

    public Class<?> getContentJsonType() {
        return contentJsonType;
    }

    public void setContentJsonType(Class<?> contentJsonType) {
        this.contentJsonType = contentJsonType;
    }

    public Class<?> getContentCsvType() {
        return contentCsvType;
    }

    public void setContentCsvType(Class<?> contentCsvType) {
        this.contentCsvType = contentCsvType;
    }

    public PayloadType getPayloadType() {
        return payloadType;
    }

    public void setPayloadType(PayloadType payloadType) {
        this.payloadType = payloadType;
    }

    public Path getStagingDirectory() {
        return stagingDirectory;
    }

    public void setStagingDirectory(Path stagingDirectory) {
        this.stagingDirectory = stagingDirectory;
    }

    public Duration getReceiveTimeout() {
        return receiveTimeout;
    }

    public void setReceiveTimeout(Duration receiveTimeout) {
        this.receiveTimeout = receiveTimeout;
    }

    public Duration getStopTimeout() {
        return stopTimeout;
    }

    public void setStopTimeout(Duration stopTimeout) {
        this.stopTimeout = stopTimeout;
    }

    public List<FileDependencyCondition> getFileDependencyConditions() {
        return fileDependencyConditions;
    }

    public List<FtpcoordServiceProperties> getServices() {
        return services;
    }

    public Integer getStableListings() {
        return stableListings;
    }

    public void setStableListings(Integer stableListings) {
        this.stableListings = stableListings;
    }

    public String getServerTimeZone() {
        return serverTimeZone;
    }

    public void setServerTimeZone(String serverTimeZone) {
        this.serverTimeZone = serverTimeZone;
    }

    public Boolean getActiveMode() {
        return activeMode;
    }

    public void setActiveMode(Boolean activeMode) {
        this.activeMode = activeMode;
    }

    public SftpAlgorithms getSftpAlgorithms() {
        return sftpAlgorithms;
    }

    public Boolean getSftpTrustOnFirstUse() {
        return sftpTrustOnFirstUse;
    }

    public void setSftpTrustOnFirstUse(Boolean sftpTrustOnFirstUse) {
        this.sftpTrustOnFirstUse = sftpTrustOnFirstUse;
    }

    public Boolean getInsecureSkipVerify() {
        return insecureSkipVerify;
    }

    public void setInsecureSkipVerify(Boolean insecureSkipVerify) {
        this.insecureSkipVerify = insecureSkipVerify;
    }

    public Boolean getInsecureIgnoreHostKey() {
        return insecureIgnoreHostKey;
    }

    public void setInsecureIgnoreHostKey(Boolean insecureIgnoreHostKey) {
        this.insecureIgnoreHostKey = insecureIgnoreHostKey;
    }

    public Boolean getRecursive() {
        return recursive;
    }

    public void setRecursive(Boolean recursive) {
        this.recursive = recursive;
    }

    public Integer getMaxDepth() {
        return maxDepth;
    }

    public void setMaxDepth(Integer maxDepth) {
        this.maxDepth = maxDepth;
    }

    public Boolean getIncludeHidden() {
        return includeHidden;
    }

    public void setIncludeHidden(Boolean includeHidden) {
        this.includeHidden = includeHidden;
    }

    public List<String> getInclude() {
        return include;
    }

    public void setInclude(List<String> include) {
        this.include = include;
    }

    public List<String> getExclude() {
        return exclude;
    }

    public void setExclude(List<String> exclude) {
        this.exclude = exclude;
    }

    public Duration getRetention() {
        return retention;
    }

    public void setRetention(Duration retention) {
        this.retention = retention;
    }

    public String getStagingDir() {
        return stagingDir;
    }

    public void setStagingDir(String stagingDir) {
        this.stagingDir = stagingDir;
    }

    public Integer getMaxListingEntries() {
        return maxListingEntries;
    }

    public void setMaxListingEntries(Integer maxListingEntries) {
        this.maxListingEntries = maxListingEntries;
    }

    public Integer getMaxListingDirectories() {
        return maxListingDirectories;
    }

    public void setMaxListingDirectories(Integer maxListingDirectories) {
        this.maxListingDirectories = maxListingDirectories;
    }

    public ListenerConfig.VersionKey getVersionKey() {
        return versionKey;
    }

    public void setVersionKey(ListenerConfig.VersionKey versionKey) {
        this.versionKey = versionKey;
    }

    public SocketConfig getSocketConfig() {
        return socketConfig;
    }

    public Proxy getProxy() {
        return proxy;
    }

    public RetryConfig getRetryConfig() {
        return retryConfig;
    }
}
