package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.FtpConfigException;
import io.github.ftpcoord.ListenerConfig;
import io.github.ftpcoord.spring.PayloadType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
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
                    || heartbeatFrequency != null || databaseConfig.isSet();
        }
    }

    /** coordination.database-config: the coordination database. */
    public static class DatabaseConfig {
        /** postgresql or mysql. */
        private String type;
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
            return type != null || host != null || port != null || user != null || password != null || database != null;
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
        if (c.username != null || c.password != null) {
            b.credentials(c.username, c.password);
        }
        PrivateKey k = auth.privateKey;
        if (k.path != null || k.password != null) {
            b.privateKey(k.path, k.password);
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
        if (fileAgeFilter.minAge != null || fileAgeFilter.maxAge != null) {
            b.fileAgeFilter(fileAgeFilter.minAge == null ? 0 : seconds(fileAgeFilter.minAge),
                    fileAgeFilter.maxAge == null ? 0 : seconds(fileAgeFilter.maxAge));
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
        return b.build();
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
        if (!type.equals("postgresql") && !type.equals("mysql")) {
            throw new FtpcoordPropertyException("ftpcoord.coordination.database-config.type", "'" + d.type + "' is not a supported database",
                    "set ftpcoord.coordination.database-config.type to postgresql or mysql (MySQL 8 or MariaDB 10.6+)");
        }
        if (d.port != null && (d.port < 1 || d.port > 65535)) {
            throw new FtpcoordPropertyException("ftpcoord.coordination.database-config.port", d.port + " is not a TCP port",
                    "set ftpcoord.coordination.database-config.port to the database's port, 1-65535 (PostgreSQL 5432, MySQL 3306)");
        }
        ListenerConfig.CoordinationConfig.Builder b = ListenerConfig.CoordinationConfig.builder()
                .databaseConfig(new ListenerConfig.DatabaseConfig(type, d.host, d.port == null ? 0 : d.port, d.user, d.password, d.database))
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
}
