-- The same tables for SQLite: one host, several processes (see docs/coordination.md).
-- SQLite keeps no time zone: every timestamp is UTC text with milliseconds,
-- 'YYYY-MM-DD HH:MM:SS.SSS', written with strftime('%Y-%m-%d %H:%M:%f', 'now')
-- so that text order is time order. TIMESTAMP is the declared type the Go
-- driver reads back as a time.
CREATE TABLE IF NOT EXISTS token_holder (
    task_id  VARCHAR(255) NOT NULL,
    group_id VARCHAR(255) NOT NULL PRIMARY KEY,
    term     INT NOT NULL
);

CREATE TABLE IF NOT EXISTS health_check (
    task_id        VARCHAR(255),
    group_id       VARCHAR(255),
    last_heartbeat TIMESTAMP,
    PRIMARY KEY (task_id, group_id)
);

-- ftpcoord's own per-file ledger, as in postgres.sql and mysql.sql.
CREATE TABLE IF NOT EXISTS ftpcoord_file (
    group_id      VARCHAR(255)  NOT NULL,
    version_key   CHAR(64)      NOT NULL,
    path          VARCHAR(4096) NOT NULL,
    size          BIGINT        NOT NULL,
    mtime_ms      BIGINT        NOT NULL,
    status        VARCHAR(16)   NOT NULL DEFAULT 'PENDING',
    tries         INT           NOT NULL DEFAULT 0,
    owner_member  VARCHAR(255),
    claim_token   CHAR(32),
    term          BIGINT,
    lease_expires TIMESTAMP,
    last_try      TIMESTAMP,
    retry_after   TIMESTAMP,
    first_seen    TIMESTAMP     NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    done_at       TIMESTAMP,
    last_error    TEXT,
    PRIMARY KEY (group_id, version_key)
);

-- The claim reads each claimable state in (mtime_ms, path) order from this
-- index and stops after the batch, instead of sorting every claimable row.
CREATE INDEX IF NOT EXISTS ftpcoord_file_claim_order ON ftpcoord_file (group_id, status, mtime_ms, path);

-- ftpcoord's members record their timings here when they start, so that
-- `ftpcoord status` judges heartbeats by the group's own livenessCheckInterval
-- rather than by the one of the file it was given. Ballerina's tables have no
-- place for it and keep their meaning. Ballerina nodes write no row.
CREATE TABLE IF NOT EXISTS ftpcoord_member (
    group_id                VARCHAR(255) NOT NULL,
    task_id                 VARCHAR(255) NOT NULL,
    liveness_check_interval INT          NOT NULL,
    heartbeat_ms            INT          NOT NULL,
    PRIMARY KEY (group_id, task_id)
);
