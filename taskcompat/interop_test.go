package taskcompat_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/ftpcoord/ftpcoord/tests/ballerinapeer"
	"github.com/stretchr/testify/require"
)

func startPeer(t *testing.T, db taskcompat.DatabaseConfig, id, group, zone string) *ballerinapeer.Peer {
	t.Helper()
	p, err := ballerinapeer.Start(context.Background(), ballerinapeer.Config{
		Database: db, TaskID: id, GroupID: group, LivenessCheckInterval: liveness,
		HeartbeatFrequency: heartbeat, PollingInterval: heartbeat, JVMZone: zone,
	})
	require.NoError(t, err)
	t.Cleanup(p.Halt)
	return p
}

// ballerinaDDL is the upstream example, group_id VARCHAR(36) included.
var ballerinaDDL = map[schema.Dialect][]string{
	schema.Postgres: {
		`CREATE TABLE token_holder (task_id VARCHAR(255) NOT NULL, group_id VARCHAR(255) NOT NULL PRIMARY KEY, term INT NOT NULL)`,
		`CREATE TABLE health_check (task_id VARCHAR(255), group_id VARCHAR(36), last_heartbeat TIMESTAMP, PRIMARY KEY (task_id, group_id))`,
	},
	schema.MySQL: {
		`CREATE TABLE token_holder (task_id VARCHAR(255) NOT NULL, group_id VARCHAR(255) NOT NULL PRIMARY KEY, term INT NOT NULL)`,
		`CREATE TABLE health_check (task_id VARCHAR(255), group_id VARCHAR(36), last_heartbeat TIMESTAMP, PRIMARY KEY (task_id, group_id))`,
	},
	// Not Ballerina's (it has no SQLite), but the same shape, for the
	// schema tests that run on every dialect.
	schema.SQLite: {
		`CREATE TABLE token_holder (task_id VARCHAR(255) NOT NULL, group_id VARCHAR(255) NOT NULL PRIMARY KEY, term INT NOT NULL)`,
		`CREATE TABLE health_check (task_id VARCHAR(255), group_id VARCHAR(36), last_heartbeat TIMESTAMP, PRIMARY KEY (task_id, group_id))`,
	},
}

// Both directions of failover between an ftpcoord member and a Ballerina
// node, on the schema of either side.
func TestInteropWithBallerinaPeer(t *testing.T) {
	for _, ddl := range []string{"ftpcoord-schema", "ballerina-schema"} {
		t.Run(ddl, func(t *testing.T) {
			t.Parallel()
			// Ballerina has no SQLite support: servers only.
			testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
				var cfg taskcompat.DatabaseConfig
				if ddl == "ftpcoord-schema" {
					cfg = testdb.NewWithSchema(t, d)
				} else {
					cfg = testdb.New(t, d)
					db := testdb.Open(t, cfg, "UTC")
					for _, q := range ballerinaDDL[d] {
						mustExec(t, db, d, q)
					}
					// Applying ours on top changes nothing and succeeds.
					require.NoError(t, schema.Apply(context.Background(), db, d), "Apply over Ballerina's tables")
					require.Equal(t, 36, groupIDLength(t, db, d), "Apply changed health_check.group_id's length")
				}
				db := testdb.Open(t, cfg, "UTC")
				t.Run("ballerina takes over from a crashed member", func(t *testing.T) {
					a := startMember(t, cfg, "go-a", "g-b1")
					p := startPeer(t, cfg, "bal-p", "g-b1", "UTC")
					// The peer sees a live holder and stays standby through
					// more than a whole liveness interval of ticks.
					waitFor(t, 10*time.Second, "peer ticks", func() bool { return p.Ticks() > int(stale/heartbeat)+2 })
					require.False(t, p.IsActive(), "peer active=%v, member active=%v", p.IsActive(), a.IsActive())
					require.True(t, a.IsActive(), "peer active=%v, member active=%v", p.IsActive(), a.IsActive())
					// On a loaded machine the member may have fenced itself
					// and taken the token back once already: the takeover is
					// one term past whatever the member held.
					held, before := token(t, db, d, "g-b1")
					require.Equal(t, "go-a", held, "token holder before the crash")
					a.Halt()
					waitFor(t, 15*time.Second, "the peer to take over", p.IsActive)
					h, term := token(t, db, d, "g-b1")
					require.Equal(t, "bal-p", h, "token %s/%d, want bal-p/%d", h, term, before+1)
					require.Equal(t, before+1, term, "token %s/%d, want bal-p/%d", h, term, before+1)
					require.NoError(t, p.Dead(), "peer hit an SQL error")
				})
				t.Run("member takes over from a crashed ballerina node", func(t *testing.T) {
					p := startPeer(t, cfg, "bal-q", "g-b2", "UTC")
					require.True(t, p.IsActive(), "peer did not start active")
					b := startMember(t, cfg, "go-b", "g-b2")
					s := b.State()
					require.Equal(t, taskcompat.Standby, s.Role, "member state %+v, want standby behind bal-q term 1", s)
					require.Equal(t, "bal-q", s.Holder, "member state %+v, want standby behind bal-q term 1", s)
					require.Equal(t, int64(1), s.Term, "member state %+v, want standby behind bal-q term 1", s)
					c0 := b.Stats().Checks
					waitFor(t, 10*time.Second, "member checks", func() bool { return b.Stats().Checks > c0+int64(stale/heartbeat)+2 })
					require.False(t, b.IsActive(), "the member took the token from a live Ballerina node")
					require.True(t, p.IsActive(), "the member took the token from a live Ballerina node")
					crash := time.Now()
					p.Halt()
					ev := b.waitEvent(t, taskcompat.BecameActive, 1, 15*time.Second)
					require.Equal(t, int64(2), ev.Term, "took over with term")
					t.Logf("%s: member took over from Ballerina %v after its crash", d, ev.At.Sub(crash).Round(time.Millisecond))
				})
				t.Run("ballerina takes over at once after a graceful stop", func(t *testing.T) {
					a := startMember(t, cfg, "go-c", "g-b3", func(c *taskcompat.Config) { c.LivenessCheckInterval = 30 })
					p, err := ballerinapeer.Start(context.Background(), ballerinapeer.Config{
						Database: cfg, TaskID: "bal-r", GroupID: "g-b3", LivenessCheckInterval: 30,
						HeartbeatFrequency: heartbeat, PollingInterval: heartbeat,
					})
					require.NoError(t, err)
					t.Cleanup(p.Halt)
					require.NoError(t, a.Stop(context.Background()))
					// Staleness would take 31 s: "no heartbeat row" makes it immediate.
					waitFor(t, 10*time.Second, "the peer to take over", p.IsActive)
				})
			})
		})
	}
}

func groupIDLength(t *testing.T, db *sql.DB, d schema.Dialect) int {
	t.Helper()
	var n int
	q := `SELECT character_maximum_length FROM information_schema.columns WHERE table_name = 'health_check' AND column_name = 'group_id' AND table_schema = current_schema()`
	if d == schema.MySQL {
		q = `SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_NAME = 'health_check' AND COLUMN_NAME = 'group_id' AND TABLE_SCHEMA = DATABASE()`
	}
	require.NoError(t, db.QueryRow(q).Scan(&n))
	return n
}

// PostgreSQL stores heartbeats as wall-clock times of the writer's session
// zone. Members and Ballerina JVMs agree when they use one zone, whatever the
// server's default; the configured session zone is what makes that true.
func TestSessionTimeZonePostgres(t *testing.T) {
	d := schema.Postgres
	cfg := testdb.NewWithSchema(t, d)
	admin := testdb.Open(t, cfg, "UTC")
	// The server's default for new sessions is far from UTC.
	mustExec(t, admin, d, `ALTER DATABASE `+cfg.Database+` SET timezone TO 'Asia/Kolkata'`)

	agree := func(t *testing.T, group, zone, jvmZone string) {
		a := startMember(t, cfg, "tz-a", group, func(c *taskcompat.Config) { c.SessionTimeZone = zone })
		p := startPeer(t, cfg, "tz-p", group, jvmZone)
		b := startMember(t, cfg, "tz-b", group, func(c *taskcompat.Config) { c.SessionTimeZone = zone })
		waitFor(t, 10*time.Second, "a liveness interval of ticks", func() bool { return p.Ticks() > int(stale/heartbeat)+2 })
		msg := fmt.Sprintf("a=%v peer=%v b=%v: someone saw a live heartbeat as stale", a.IsActive(), p.IsActive(), b.IsActive())
		require.True(t, a.IsActive(), msg)
		require.False(t, p.IsActive(), msg)
		require.False(t, b.IsActive(), msg)
		age := b.State().HolderHeartbeatAge
		require.GreaterOrEqual(t, age, time.Duration(0), "b sees the holder's heartbeat %v old", age)
		require.LessOrEqual(t, age, 2*time.Second, "b sees the holder's heartbeat %v old", age)
	}
	t.Run("UTC", func(t *testing.T) { agree(t, "tz-utc", "UTC", "UTC") })
	t.Run("Asia/Kolkata", func(t *testing.T) { agree(t, "tz-ist", "Asia/Kolkata", "Asia/Kolkata") })
	// Members may name the zone by its offset; the JVM names it.
	t.Run("offset", func(t *testing.T) { agree(t, "tz-off", "+05:30", "Asia/Kolkata") })

	// Why the zone must match: a JVM in another zone reads a UTC member's
	// fresh heartbeat as 5.5 hours old and takes the token at once. The
	// member notices within one check and does not fight back, because to
	// it the intruder's heartbeat lies in the future.
	t.Run("mismatch", func(t *testing.T) {
		a := startMember(t, cfg, "tz-m", "tz-mis")
		p := startPeer(t, cfg, "tz-jvm", "tz-mis", "Asia/Kolkata")
		waitFor(t, 10*time.Second, "the mismatched peer to take over", p.IsActive)
		lost := a.waitEvent(t, taskcompat.LostActive, 1, 5*time.Second)
		require.Equal(t, "tz-jvm", lost.Holder, "LostActive %+v", lost)
	})
}

// MySQL TIMESTAMP columns are stored in UTC and read in the session zone, so
// members in different session zones agree.
func TestSessionTimeZoneMySQL(t *testing.T) {
	d := schema.MySQL
	cfg := testdb.NewWithSchema(t, d)
	a := startMember(t, cfg, "tz-a", "tz", func(c *taskcompat.Config) { c.SessionTimeZone = "+05:30" })
	b := startMember(t, cfg, "tz-b", "tz", func(c *taskcompat.Config) { c.SessionTimeZone = "-08:00" })
	p := startPeer(t, cfg, "tz-p", "tz", "UTC")
	waitFor(t, 10*time.Second, "a liveness interval of ticks", func() bool { return p.Ticks() > int(stale/heartbeat)+2 })
	msg := fmt.Sprintf("a=%v b=%v peer=%v", a.IsActive(), b.IsActive(), p.IsActive())
	require.True(t, a.IsActive(), msg)
	require.False(t, b.IsActive(), msg)
	require.False(t, p.IsActive(), msg)
}
