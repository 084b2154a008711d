-- ballerina/task warm-backup tables (COMPAT.md section 2). Names, types and keys
-- are load-bearing: Ballerina nodes issue upserts that rely on exactly these keys.
-- IF NOT EXISTS so that tables created by Ballerina users (even with
-- group_id VARCHAR(36)) are left untouched.
-- Every table is utf8mb4 with binary collation: member, group and file names
-- may hold any Unicode (emoji included, which MySQL's utf8mb3 refuses), and
-- names that differ only in case are different names, as on the servers.
CREATE TABLE IF NOT EXISTS token_holder (
    task_id  VARCHAR(255) NOT NULL,
    group_id VARCHAR(255) NOT NULL PRIMARY KEY,
    term     INT NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS health_check (
    task_id        VARCHAR(255),
    group_id       VARCHAR(255),
    last_heartbeat TIMESTAMP NULL DEFAULT NULL,
    PRIMARY KEY (task_id, group_id)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- ftpcoord's own per-file ledger (never touches Ballerina's tables): one row
-- per file version of a group. version_key is the SHA-256 (hex) of the
-- version (see core/ledger.VersionKey), so that long paths fit the key.
CREATE TABLE IF NOT EXISTS ftpcoord_file (
    group_id      VARCHAR(255)  NOT NULL,
    version_key   CHAR(64)      NOT NULL,
    path          VARCHAR(4096) NOT NULL,
    size          BIGINT        NOT NULL,
    mtime_ms      BIGINT        NOT NULL,
    status        VARCHAR(16)   NOT NULL DEFAULT 'PENDING',
    tries         INT           NOT NULL DEFAULT 0,
    owner_member  VARCHAR(255)  NULL,
    claim_token   CHAR(32)      NULL,
    term          BIGINT        NULL,
    lease_expires TIMESTAMP(3)  NULL DEFAULT NULL,
    last_try      TIMESTAMP(3)  NULL DEFAULT NULL,
    retry_after   TIMESTAMP(3)  NULL DEFAULT NULL,
    first_seen    TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    done_at       TIMESTAMP(3)  NULL DEFAULT NULL,
    last_error    TEXT          NULL,
    -- The first 200 characters of the path, for the claim index: an index
    -- cannot order by a prefix of a column, and a whole path may be longer
    -- than an index entry can be.
    path_prefix   VARCHAR(200)  AS (LEFT(path, 200)) STORED,
    PRIMARY KEY (group_id, version_key),
    -- The claim reads each claimable state of a group oldest first from
    -- this index, (mtime, path) in byte order, locking rows as it reads
    -- them, and stops after its batch: it neither sorts nor locks every
    -- claimable row (core/ledger: Claim).
    INDEX ftpcoord_file_claim_order (group_id, status, mtime_ms, path_prefix)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

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
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
