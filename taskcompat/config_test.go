package taskcompat

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validConfig() Config {
	return Config{
		Database: DatabaseConfig{Type: "postgresql", Host: "127.0.0.1", User: "u", Password: "s3cret-pw", Database: "coord"},
		TaskID:   "node-1",
		GroupID:  "orders",
	}
}

func TestDefaultsAreBallerinas(t *testing.T) {
	c := Config{TaskID: "a", GroupID: "g"}.WithDefaults()
	assert.Equal(t, "mysql", c.Database.Type, "database defaults = %+v, want mysql on localhost:3306", c.Database)
	assert.Equal(t, "localhost", c.Database.Host, "database defaults = %+v, want mysql on localhost:3306", c.Database)
	assert.Equal(t, 3306, c.Database.Port, "database defaults = %+v, want mysql on localhost:3306", c.Database)
	assert.EqualValues(t, 30, c.LivenessCheckInterval, "livenessCheckInterval")
	assert.Equal(t, time.Second, c.HeartbeatFrequency.Duration(), "heartbeatFrequency")
	assert.Equal(t, "UTC", c.SessionTimeZone, "sessionTimeZone")
	assert.Equal(t, c.HeartbeatFrequency, c.CheckPeriod, "checkPeriod, want heartbeatFrequency")
	pg := Config{Database: DatabaseConfig{Type: "postgresql"}}.WithDefaults()
	assert.Equal(t, 5432, pg.Database.Port, "postgresql port")
	explicit := Config{Database: DatabaseConfig{Type: "mysql", Host: "db", Port: 3307}, LivenessCheckInterval: 5,
		HeartbeatFrequency: Secs(2), SessionTimeZone: "Europe/Berlin", CheckPeriod: Secs(3)}.WithDefaults()
	assert.Equal(t, "db", explicit.Database.Host, "explicit values were overridden: %+v", explicit)
	assert.Equal(t, 3307, explicit.Database.Port, "explicit values were overridden: %+v", explicit)
	assert.EqualValues(t, 5, explicit.LivenessCheckInterval, "explicit values were overridden: %+v", explicit)
	assert.Equal(t, Secs(2), explicit.HeartbeatFrequency, "explicit values were overridden: %+v", explicit)
	assert.Equal(t, "Europe/Berlin", explicit.SessionTimeZone, "explicit values were overridden: %+v", explicit)
	assert.Equal(t, Secs(3), explicit.CheckPeriod, "explicit values were overridden: %+v", explicit)
}

func TestCoordinationConfigMapsEveryField(t *testing.T) {
	db := DatabaseConfig{Type: "postgresql", Host: "h", Port: 1, User: "u", Password: "p", Database: "d"}
	cc := CoordinationConfig{DatabaseConfig: db, LivenessCheckInterval: 7, MemberID: "m-1", CoordinationGroup: "grp",
		HeartbeatFrequency: Secs(2), SessionTimeZone: "+05:30", CheckPeriod: Secs(3)}
	got := cc.TaskConfig()
	want := Config{Database: db, LivenessCheckInterval: 7, TaskID: "m-1", GroupID: "grp",
		HeartbeatFrequency: Secs(2), SessionTimeZone: "+05:30", CheckPeriod: Secs(3)}
	require.Equal(t, want, got, "TaskConfig()")
	// Every field of CoordinationConfig must reach Config: a field added to
	// one and not mapped shows up here as a zero value.
	n, m := countFields(cc), countFields(got)
	require.Equal(t, n, m, "CoordinationConfig has %d fields, Config %d: map the new one", n, m)
}

func countFields(v any) int {
	var m map[string]any
	b, _ := json.Marshal(v)
	json.Unmarshal(b, &m)
	return len(m)
}

func TestCoordinationConfigFromBallerinaJSON(t *testing.T) {
	const doc = `{
		"databaseConfig": {"type": "postgresql", "host": "db.internal", "port": 5433, "user": "ftp", "password": "pw", "database": "coord"},
		"livenessCheckInterval": 15,
		"memberId": "node-a",
		"coordinationGroup": "invoices",
		"heartbeatFrequency": 0.5
	}`
	var cc CoordinationConfig
	require.NoError(t, json.Unmarshal([]byte(doc), &cc))
	c := cc.TaskConfig()
	require.Equal(t, "node-a", c.TaskID, "decoded %+v", c)
	require.Equal(t, "invoices", c.GroupID, "decoded %+v", c)
	require.EqualValues(t, 15, c.LivenessCheckInterval, "decoded %+v", c)
	require.Equal(t, 500*time.Millisecond, c.HeartbeatFrequency.Duration(), "decoded %+v", c)
	require.Equal(t, 5433, c.Database.Port, "decoded %+v", c)
	require.Equal(t, "db.internal", c.Database.Host, "decoded %+v", c)
	require.NoError(t, cc.Validate(), "Validate")
	var bad CoordinationConfig
	err := json.Unmarshal([]byte(`{"heartbeatFrequency": "fast"}`), &bad)
	require.ErrorContains(t, err, "seconds", "a non-number heartbeatFrequency decoded without a clear error")
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*Config)
	}{
		{"taskId", func(c *Config) { c.TaskID = "" }},
		{"taskId", func(c *Config) { c.TaskID = "   " }},
		{"taskId", func(c *Config) { c.TaskID = strings.Repeat("x", 256) }},
		{"groupId", func(c *Config) { c.GroupID = "" }},
		{"livenessCheckInterval", func(c *Config) { c.LivenessCheckInterval = -1 }},
		{"heartbeatFrequency", func(c *Config) { c.HeartbeatFrequency = Secs(-1) }},
		{"heartbeatFrequency", func(c *Config) { c.LivenessCheckInterval = 2; c.HeartbeatFrequency = Secs(2) }},
		{"heartbeatFrequency", func(c *Config) { c.LivenessCheckInterval = 2; c.HeartbeatFrequency = Secs(3) }},
		{"checkPeriod", func(c *Config) { c.CheckPeriod = Secs(-2) }},
		{"checkPeriod", func(c *Config) { c.LivenessCheckInterval = 2; c.CheckPeriod = Secs(2.5) }},
		{"databaseConfig.type", func(c *Config) { c.Database.Type = "oracle" }},
		{"databaseConfig.port", func(c *Config) { c.Database.Port = 70000 }},
		{"databaseConfig.user", func(c *Config) { c.Database.User = "" }},
		{"databaseConfig.database", func(c *Config) { c.Database.Database = "" }},
		{"sessionTimeZone", func(c *Config) { c.SessionTimeZone = "Mars/Olympus" }},
	}
	for _, tc := range cases {
		c := validConfig()
		tc.edit(&c)
		err := c.Validate()
		var fe *FieldError
		if !assert.ErrorAs(t, err, &fe, "%s: Validate() = %v, want a FieldError for %s", tc.field, err, tc.field) ||
			!assert.Equal(t, tc.field, fe.Field, "%s: Validate() = %v, want a FieldError for %s", tc.field, err, tc.field) {
			continue
		}
		assert.ErrorIs(t, err, ErrInvalidConfig, "%s: error does not match ErrInvalidConfig", tc.field)
		assert.ErrorContains(t, err, tc.field, "%s: message %q does not name the field", tc.field, err)
	}
	require.NoError(t, validConfig().Validate(), "valid config rejected")
	for _, zone := range []string{"UTC", "Asia/Kolkata", "+05:30", "-08:00"} {
		c := validConfig()
		c.SessionTimeZone = zone
		assert.NoError(t, c.Validate(), "zone %s rejected", zone)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Config{LivenessCheckInterval: -1}.Validate()
	for _, f := range []string{"taskId", "groupId", "livenessCheckInterval", "databaseConfig.user", "databaseConfig.database"} {
		assert.ErrorContains(t, err, f+":", "error %q does not mention %s", err, f)
	}
}

func TestCoordinationValidateUsesFTPNames(t *testing.T) {
	cc := CoordinationConfig{DatabaseConfig: validConfig().Database}
	err := cc.Validate()
	msg := fmt.Sprint(err)
	require.Contains(t, msg, "memberId:", "error %q does not use memberId / coordinationGroup", msg)
	require.Contains(t, msg, "coordinationGroup:", "error %q does not use memberId / coordinationGroup", msg)
	require.NotContains(t, msg, "taskId", "error %q uses ballerina/task names on the FTP side", msg)
	require.NotContains(t, msg, "groupId", "error %q uses ballerina/task names on the FTP side", msg)
}

func TestPasswordNeverShown(t *testing.T) {
	c := validConfig()
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "db", c.Database)
	for name, s := range map[string]string{
		"String": c.Database.String(), "%v": fmt.Sprintf("%v", c.Database), "%+v": fmt.Sprintf("%+v", c.Database),
		"slog": logged.String(),
	} {
		assert.NotContains(t, s, "s3cret-pw", "%s shows the password", name)
	}
	c.TaskID = ""
	err := c.Validate()
	require.Error(t, err, "Validate without a taskId")
	assert.NotContains(t, err.Error(), "s3cret-pw", "validation error shows the password")
}

func TestSecondsJSON(t *testing.T) {
	var s Seconds
	for in, want := range map[string]time.Duration{"1": time.Second, "0.25": 250 * time.Millisecond, "60": time.Minute} {
		if assert.NoError(t, json.Unmarshal([]byte(in), &s), "%s", in) {
			assert.Equal(t, want, s.Duration(), "%s -> %v", in, s)
		}
	}
	b, _ := json.Marshal(Secs(1.5))
	assert.Equal(t, "1.5", string(b), "Marshal(1.5 s)")
	for _, in := range []string{`"1s"`, `null1`, `1e300`} {
		assert.Error(t, json.Unmarshal([]byte(in), &s), "%s accepted", in)
	}
}

func TestFenceAfterLeavesRoomForOneLateHeartbeat(t *testing.T) {
	s := time.Second
	for _, tc := range []struct{ liveness, hb, want time.Duration }{
		{30 * s, s, 29 * s},
		{2 * s, s, 1500 * time.Millisecond},
		{2 * s, s / 4, 1750 * time.Millisecond},
		{s, s / 2, 750 * time.Millisecond},
	} {
		got := fenceAfter(tc.liveness, tc.hb)
		msg := fmt.Sprintf("fenceAfter(%v, %v) = %v, want %v, between one heartbeat and the liveness interval", tc.liveness, tc.hb, got, tc.want)
		assert.Equal(t, tc.want, got, msg)
		assert.Greater(t, got, tc.hb, msg)
		assert.Less(t, got, tc.liveness, msg)
	}
}

func TestSQLiteConfig(t *testing.T) {
	var c Config
	raw := `{"databaseConfig": {"type": "sqlite", "database": "/var/lib/ftpcoord/group.db"}, "taskId": "a", "groupId": "g"}`
	require.NoError(t, json.Unmarshal([]byte(raw), &c))
	require.NoError(t, c.Validate(), "valid sqlite config rejected")
	d := c.WithDefaults().Database
	assert.Empty(t, d.Host, "defaults gave an sqlite file a server: %+v", d)
	assert.Zero(t, d.Port, "defaults gave an sqlite file a server: %+v", d)
	assert.Equal(t, "sqlite", d.Type, "defaults gave an sqlite file a server: %+v", d)
	assert.Equal(t, "sqlite:/var/lib/ftpcoord/group.db", d.String(), "String()")
	assert.Equal(t, "/var/lib/ftpcoord/group.db", d.Address(), "Address()")
	for _, tc := range []struct {
		field string
		edit  func(*DatabaseConfig)
	}{
		{"databaseConfig.host", func(d *DatabaseConfig) { d.Host = "localhost" }},
		{"databaseConfig.port", func(d *DatabaseConfig) { d.Port = 5432 }},
		{"databaseConfig.user", func(d *DatabaseConfig) { d.User = "root" }},
		{"databaseConfig.password", func(d *DatabaseConfig) { d.Password = "pw" }},
		{"databaseConfig.database", func(d *DatabaseConfig) { d.Database = "" }},
		{"databaseConfig.database", func(d *DatabaseConfig) { d.Database = ":memory:" }},
		{"databaseConfig.database", func(d *DatabaseConfig) { d.Database = "file:x.db?mode=memory" }},
	} {
		bad := c
		tc.edit(&bad.Database)
		err := bad.Validate()
		var fe *FieldError
		if assert.ErrorAs(t, err, &fe, "%s: Validate() = %v, want a FieldError for %s", tc.field, err, tc.field) {
			assert.Equal(t, tc.field, fe.Field, "%s: Validate() = %v, want a FieldError for %s", tc.field, err, tc.field)
		}
		assert.ErrorContains(t, err, tc.field, "%s: Validate() = %v, want a FieldError for %s", tc.field, err, tc.field)
		if tc.field == "databaseConfig.password" && err != nil {
			assert.NotContains(t, err.Error(), "pw\"", "the error shows the password")
		}
	}
}
