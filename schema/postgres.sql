-- ballerina/task warm-backup tables (COMPAT.md section 2). Names, types and keys
-- are load-bearing: Ballerina nodes issue upserts that rely on exactly these keys.
-- IF NOT EXISTS so that tables created by Ballerina users (even with
-- group_id VARCHAR(36)) are left untouched.
CREATE TABLE IF NOT EXISTS token_holder (
    task_id  VARCHAR(255) NOT NULL,
    group_id VARCHAR(255) NOT NULL PRIMARY KEY,
    term     INT NOT NULL
);

CREATE TABLE IF NOT EXISTS health_check (
    task_id        VARCHAR(255),
    group_id       VARCHAR(255),
    last_heartbeat TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (task_id, group_id)
);

-- ftpcoord's own per-file ledger (never touches Ballerina's tables): one row
-- per file version of a group. version_key is the SHA-256 (hex) of the
-- version (see core/ledger.VersionKey), so that long paths fit the key;
-- it is compared bytewise ("C"), whatever the database's locale.
CREATE TABLE IF NOT EXISTS ftpcoord_file (
    group_id      VARCHAR(255)  NOT NULL,
    version_key   CHAR(64)      COLLATE "C" NOT NULL,
    path          VARCHAR(4096) NOT NULL,
    size          BIGINT        NOT NULL,
    mtime_ms      BIGINT        NOT NULL,
    status        VARCHAR(16)   NOT NULL DEFAULT 'PENDING',
    tries         INT           NOT NULL DEFAULT 0,
    owner_member  VARCHAR(255),
    claim_token   CHAR(32),
    term          BIGINT,
    lease_expires TIMESTAMPTZ,
    last_try      TIMESTAMPTZ,
    retry_after   TIMESTAMPTZ,
    first_seen    TIMESTAMPTZ   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    done_at       TIMESTAMPTZ,
    last_error    TEXT,
    PRIMARY KEY (group_id, version_key)
);

-- The claim reads each claimable state of a group oldest first from this
-- index, (mtime, path) in byte order, and stops after its batch instead of
-- sorting every claimable row. The path is indexed by its first 200
-- characters (a whole path may be longer than an index entry can be);
-- ties beyond them are sorted by the statement. Finished rows (DONE,
-- REJECTED: nearly all of them, in time) are left out: the index stays the
-- size of the work in hand, and a commit writes no entry in it. It leads
-- with status, not group_id, so that statements that find their rows by key
-- (commit, renew, release) have only the primary key to go by, even on a
-- new table the planner has no statistics for: led by group_id, it was
-- chosen to scan the whole group.
CREATE INDEX IF NOT EXISTS ftpcoord_file_claim_order ON ftpcoord_file (status, group_id, mtime_ms, (left(path, 200) COLLATE "C"))
    WHERE status IN ('PENDING', 'FAILED', 'IN_PROGRESS');

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
