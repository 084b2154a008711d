package main

// settingsText describes how every column is configured, with the page of
// each system's documentation behind every setting (bench/peers/camel,
// bench/peers/spring, ftpcoordSettings). Each run record also carries its
// column's settings in one line.
const settingsText = `## How each system is set up, and why

The guarantee asked of every system: **at-least-once with no loss across a SIGKILL of the active instance, each
file processed once when nothing fails**, with one active consumer at a time (a clustered consumer), files left
on the server, **no stability check** for anyone (the files arrive by rename, so none is needed), a poll every
second, and a dead leader noticed about 3 s after its last sign of life. Concurrency 1 and 8 are run for every
system: 8 means 8 handler threads (Camel, Spring) or workers (ftpcoord) and, where the system can use them,
8 FTP connections. All handlers read the whole file and append "name instance time" to a log (one O_APPEND
write): that line is the handler's effect, so a file whose line appears twice was processed twice. Both instances
of a system run as separate processes on this machine against the same pure-ftpd (passive, binary) and the same
PostgreSQL (a fresh database per run).

- **Apache Camel 4.22.0** (camel-ftp, camel-sql, camel-cluster, camel-file; commons-net; plain CamelContext;
  bench/peers/camel). Endpoint:
  ` + "`" + camelURI + "`" + `.
  - noop=true (files stay), idempotent=true with ` + "`idempotentRepository=#repo`" + `, a
    JdbcMessageIdRepository (camel-sql, table CAMEL_MESSAGEPROCESSED made with Camel's DDL before the instances
    start, key: the absolute path, Camel's default): [FTP component](https://camel.apache.org/components/latest/ftp-component.html)
    (options noop, idempotent, idempotentRepository, idempotentEager, readLock, delay, initialDelay, passiveMode,
    binary), [SQL component: the JDBC based idempotent repository](https://camel.apache.org/components/latest/sql-component.html).
  - **idempotentEager=false**: the key is stored when the exchange completed, not when the file is picked up;
    with the default (true) a key written at listing survives a SIGKILL of the file's processing and the file is
    never processed (the losses of the earlier run). [Idempotent Consumer EIP, option eager: "wait until the
    exchange is complete"](https://camel.apache.org/components/4.22.x/eips/idempotentConsumer-eip.html).
  - readLock=none (FTP's default; ` + "`changed`" + ` would LIST once more per file for a check the other systems do
    not make).
  - Clustered consumer: a ClusteredRoutePolicy over Camel's FileLockClusterService (namespace "peers", a directory
    both processes share; acquireLockDelay 100 ms, acquireLockInterval 1 s, heartbeatTimeoutMultiplier 3, so a
    dead leader is replaced after about 3 s): [Clustering](https://camel.apache.org/manual/clustering.html),
    [File Cluster Service options](https://camel.apache.org/camel-spring-boot/next/starters/file-cluster-service.html).
    Across hosts Camel offers ZooKeeper, Consul, Kubernetes, Infinispan or JGroups cluster services; none runs here.
  - Concurrency 8: camel-ftp's consumer is one thread over one FTP connection (it downloads each file before
    routing it); ` + "`.threads(8, 8)`" + ` after the consumer hands each exchange to a pool of 8 threads, and the
    idempotent key is still stored at the exchange's completion:
    [Threads EIP](https://camel.apache.org/components/latest/eips/threads-eip.html). There is no documented way
    to make one camel-ftp consumer download over several connections.
  - HikariCP pool of max(4, threads + 2).
- **Spring Integration 7.1.2** (spring-integration-ftp, -jdbc; AnnotationConfigApplicationContext with
  @EnableIntegration; bench/peers/spring).
  - The **streaming** inbound adapter (` + "`Ftp.inboundStreamingAdapter`" + `, maxFetchSize 1) instead of the
    synchronizing one: the synchronizer copies every listed file to a local directory and marks them all in the
    filter before the first handler runs, so a SIGKILL loses whatever was copied but not processed:
    [FTP Streaming Inbound Channel Adapter](https://docs.spring.io/spring-integration/reference/ftp/streaming.html),
    [FTP Inbound Channel Adapter](https://docs.spring.io/spring-integration/reference/ftp/inbound.html) (maxFetchSize).
  - An FtpPersistentAcceptOnceFileListFilter over a JdbcMetadataStore (table INT_METADATA_STORE, Spring's
    PostgreSQL DDL): [Metadata Store](https://docs.spring.io/spring-integration/reference/meta-data-store.html),
    [JDBC Metadata Store, transaction management](https://docs.spring.io/spring-integration/reference/jdbc/metadata-store.html).
  - A **transactional poller** (DataSourceTransactionManager on the metadata store's DataSource): the filter's
    entry for the one file a poll takes is written in the transaction the handler runs in, so it commits only
    with the processing; a SIGKILL rolls it back and the next leader takes the file.
    [Transaction Support](https://docs.spring.io/spring-integration/reference/transactions.html). Poller fixedDelay
    1 s, maxMessagesPerPoll -1 (each message its own transaction).
  - Clustered consumer: the adapter is in the role "peers" (autoStartup false), started on the leader only by a
    LockRegistryLeaderInitiator over a JdbcLockRegistry (DefaultLockRepository, table INT_LOCK, lock time-to-live
    3 s, heartbeat 1 s): [Leadership Event Handling](https://docs.spring.io/spring-integration/reference/leadership-event-handling.html),
    [LockRegistryLeaderInitiator](https://docs.spring.io/spring-integration/api/org/springframework/integration/support/leader/LockRegistryLeaderInitiator.html),
    [JDBC Lock Registry](https://docs.spring.io/spring-integration/reference/jdbc/lock-registry.html).
  - Concurrency 8: the poller gets a ThreadPoolTaskExecutor of 8 threads (each poll on its own thread, in its
    own transaction) and a CachingSessionFactory of 8 sessions (a streamed file holds its session until the
    handler closes it); at 1: no executor, 1 session. HikariCP pool of max(4, threads + 2).
- **ftpcoord** (` + "`ftpcoord run --config F --commit-unprocessed --log-format json`" + `, whose handler reads the whole file
  and logs its path, attempt and idempotency key), mode warm-backup (only the active member lists and processes),
  coordination on PostgreSQL. Settings: [docs/configuration.md](../docs/configuration.md).
  - Matched columns (1 and 8): pollingInterval 1, workers = maxConnections = 1 or 8, maxFilesPerPoll 1000 (the
    peers take every listed file per poll), **settleTime 0** (its stability guard off, as the peers have none),
    livenessCheckInterval 2 with heartbeatFrequency 1 (a holder's heartbeat is stale after 3 s, as Spring's lock
    time-to-live), crashSignal at its default (on: the standby waits on the active member's PostgreSQL advisory
    lock, so a dead process is noticed when its session ends, not 3 s later), processingTimeout at its default.
  - Defaults column: every default (workers 1, maxConnections 4, maxFilesPerPoll 100, settleTime 1 s,
    livenessCheckInterval 30, crashSignal on) except pollingInterval 1 (the default, 60 s, would make every
    figure a wait for the next poll; the peers' poll is set to 1 s too).
- Not compared here: ftpcoord's shared mode (column ftpcoord-shared-8 exists but is not in the default matrix),
  idle database load, files already present at start-up.
`
