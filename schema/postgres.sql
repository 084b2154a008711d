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
-- version (see core/ledger.VersionKey), so that long paths fit the key.
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
    lease_expires TIMESTAMPTZ,
    last_try      TIMESTAMPTZ,
    retry_after   TIMESTAMPTZ,
    first_seen    TIMESTAMPTZ   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    done_at       TIMESTAMPTZ,
    last_error    TEXT,
    PRIMARY KEY (group_id, version_key)
);

CREATE INDEX IF NOT EXISTS ftpcoord_file_claim ON ftpcoord_file (group_id, status, mtime_ms);
