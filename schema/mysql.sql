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
    last_heartbeat TIMESTAMP NULL DEFAULT NULL,
    PRIMARY KEY (task_id, group_id)
);
