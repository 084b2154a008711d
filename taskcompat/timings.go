package taskcompat

import (
	"context"

	"github.com/ftpcoord/ftpcoord/schema"
)

// recordTimings is the upsert of a member's row in ftpcoord_member: its
// livenessCheckInterval and heartbeat period, so that readers of the group
// (ftpcoord status) judge heartbeats by the members' own interval. Our own
// table: Ballerina's keep their meaning.
var recordTimings = map[schema.Dialect]string{
	schema.Postgres: `INSERT INTO ftpcoord_member(group_id, task_id, liveness_check_interval, heartbeat_ms) VALUES ($1, $2, $3, $4)
  ON CONFLICT (group_id, task_id) DO UPDATE SET liveness_check_interval = EXCLUDED.liveness_check_interval, heartbeat_ms = EXCLUDED.heartbeat_ms`,
	schema.MySQL: `INSERT INTO ftpcoord_member(group_id, task_id, liveness_check_interval, heartbeat_ms) VALUES (?, ?, ?, ?)
  ON DUPLICATE KEY UPDATE liveness_check_interval = VALUES(liveness_check_interval), heartbeat_ms = VALUES(heartbeat_ms)`,
	schema.SQLite: `INSERT INTO ftpcoord_member(group_id, task_id, liveness_check_interval, heartbeat_ms) VALUES (?, ?, ?, ?)
  ON CONFLICT (group_id, task_id) DO UPDATE SET liveness_check_interval = excluded.liveness_check_interval, heartbeat_ms = excluded.heartbeat_ms`,
}

// recordTimings writes the member's timings once, at start. It is
// best-effort: a schema made before the table existed lacks it, and the
// member works without it (status then judges by its --config).
func (c *Coordinator) recordTimings(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, c.stmtTimeout)
	defer cancel()
	if _, err := c.exec(ctx, recordTimings[c.dialect], c.cfg.GroupID, c.cfg.TaskID, c.cfg.LivenessCheckInterval, c.heartbeat.Milliseconds()); err != nil {
		c.log.Debug("cannot record this member's timings in ftpcoord_member (run ftpcoord schema apply to add the table)", "err", err)
	}
}
