package taskcompat

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
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
	if c.Database.Type != "mysql" || c.Database.Host != "localhost" || c.Database.Port != 3306 {
		t.Errorf("database defaults = %+v, want mysql on localhost:3306", c.Database)
	}
	if c.LivenessCheckInterval != 30 {
		t.Errorf("livenessCheckInterval = %d, want 30", c.LivenessCheckInterval)
	}
	if c.HeartbeatFrequency.Duration() != time.Second {
		t.Errorf("heartbeatFrequency = %v, want 1s", c.HeartbeatFrequency)
	}
	if c.SessionTimeZone != "UTC" {
		t.Errorf("sessionTimeZone = %q, want UTC", c.SessionTimeZone)
	}
	if c.CheckPeriod != c.HeartbeatFrequency {
		t.Errorf("checkPeriod = %v, want heartbeatFrequency", c.CheckPeriod)
	}
	pg := Config{Database: DatabaseConfig{Type: "postgresql"}}.WithDefaults()
	if pg.Database.Port != 5432 {
		t.Errorf("postgresql port = %d, want 5432", pg.Database.Port)
	}
	explicit := Config{Database: DatabaseConfig{Type: "mysql", Host: "db", Port: 3307}, LivenessCheckInterval: 5,
		HeartbeatFrequency: Secs(2), SessionTimeZone: "Europe/Berlin", CheckPeriod: Secs(3)}.WithDefaults()
	if explicit.Database.Host != "db" || explicit.Database.Port != 3307 || explicit.LivenessCheckInterval != 5 ||
		explicit.HeartbeatFrequency != Secs(2) || explicit.SessionTimeZone != "Europe/Berlin" || explicit.CheckPeriod != Secs(3) {
		t.Errorf("explicit values were overridden: %+v", explicit)
	}
}

func TestCoordinationConfigMapsEveryField(t *testing.T) {
	db := DatabaseConfig{Type: "postgresql", Host: "h", Port: 1, User: "u", Password: "p", Database: "d"}
	cc := CoordinationConfig{DatabaseConfig: db, LivenessCheckInterval: 7, MemberID: "m-1", CoordinationGroup: "grp",
		HeartbeatFrequency: Secs(2), SessionTimeZone: "+05:30", CheckPeriod: Secs(3)}
	got := cc.TaskConfig()
	want := Config{Database: db, LivenessCheckInterval: 7, TaskID: "m-1", GroupID: "grp",
		HeartbeatFrequency: Secs(2), SessionTimeZone: "+05:30", CheckPeriod: Secs(3)}
	if got != want {
		t.Fatalf("TaskConfig() = %+v, want %+v", got, want)
	}
	// Every field of CoordinationConfig must reach Config: a field added to
	// one and not mapped shows up here as a zero value.
	if n, m := countFields(cc), countFields(got); n != m {
		t.Fatalf("CoordinationConfig has %d fields, Config %d: map the new one", n, m)
	}
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
	if err := json.Unmarshal([]byte(doc), &cc); err != nil {
		t.Fatal(err)
	}
	c := cc.TaskConfig()
	if c.TaskID != "node-a" || c.GroupID != "invoices" || c.LivenessCheckInterval != 15 ||
		c.HeartbeatFrequency.Duration() != 500*time.Millisecond || c.Database.Port != 5433 || c.Database.Host != "db.internal" {
		t.Fatalf("decoded %+v", c)
	}
	if err := cc.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	var bad CoordinationConfig
	err := json.Unmarshal([]byte(`{"heartbeatFrequency": "fast"}`), &bad)
	if err == nil || !strings.Contains(err.Error(), "seconds") {
		t.Fatalf("a non-number heartbeatFrequency decoded without a clear error: %v", err)
	}
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
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: Validate() = %v, want a FieldError for %s", tc.field, err, tc.field)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: error does not match ErrInvalidConfig", tc.field)
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: message %q does not name the field", tc.field, err)
		}
	}
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	for _, zone := range []string{"UTC", "Asia/Kolkata", "+05:30", "-08:00"} {
		c := validConfig()
		c.SessionTimeZone = zone
		if err := c.Validate(); err != nil {
			t.Errorf("zone %s rejected: %v", zone, err)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Config{LivenessCheckInterval: -1}.Validate()
	for _, f := range []string{"taskId", "groupId", "livenessCheckInterval", "databaseConfig.user", "databaseConfig.database"} {
		if !strings.Contains(err.Error(), f+":") {
			t.Errorf("error %q does not mention %s", err, f)
		}
	}
}

func TestCoordinationValidateUsesFTPNames(t *testing.T) {
	cc := CoordinationConfig{DatabaseConfig: validConfig().Database}
	err := cc.Validate()
	msg := fmt.Sprint(err)
	if !strings.Contains(msg, "memberId:") || !strings.Contains(msg, "coordinationGroup:") {
		t.Fatalf("error %q does not use memberId / coordinationGroup", msg)
	}
	if strings.Contains(msg, "taskId") || strings.Contains(msg, "groupId") {
		t.Fatalf("error %q uses ballerina/task names on the FTP side", msg)
	}
}

func TestPasswordNeverShown(t *testing.T) {
	c := validConfig()
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "db", c.Database)
	for name, s := range map[string]string{
		"String": c.Database.String(), "%v": fmt.Sprintf("%v", c.Database), "%+v": fmt.Sprintf("%+v", c.Database),
		"slog": logged.String(),
	} {
		if strings.Contains(s, "s3cret-pw") {
			t.Errorf("%s shows the password: %s", name, s)
		}
	}
	c.TaskID = ""
	if err := c.Validate(); strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("validation error shows the password: %v", err)
	}
}

func TestSecondsJSON(t *testing.T) {
	var s Seconds
	for in, want := range map[string]time.Duration{"1": time.Second, "0.25": 250 * time.Millisecond, "60": time.Minute} {
		if err := json.Unmarshal([]byte(in), &s); err != nil || s.Duration() != want {
			t.Errorf("%s -> %v, %v; want %v", in, s, err, want)
		}
	}
	b, _ := json.Marshal(Secs(1.5))
	if string(b) != "1.5" {
		t.Errorf("Marshal(1.5 s) = %s", b)
	}
	for _, in := range []string{`"1s"`, `null1`, `1e300`} {
		if err := json.Unmarshal([]byte(in), &s); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}

func TestPostgresZoneSpellsOffsetsPOSIX(t *testing.T) {
	for in, want := range map[string]string{"+05:30": "<+0530>-05:30", "-08:00": "<-0800>+08:00", "UTC": "UTC", "Asia/Kolkata": "Asia/Kolkata"} {
		if got := postgresZone(in); got != want {
			t.Errorf("postgresZone(%q) = %q, want %q", in, got, want)
		}
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
		if got != tc.want || got <= tc.hb || got >= tc.liveness {
			t.Errorf("fenceAfter(%v, %v) = %v, want %v, between one heartbeat and the liveness interval", tc.liveness, tc.hb, got, tc.want)
		}
	}
}

func TestSQLiteConfig(t *testing.T) {
	var c Config
	raw := `{"databaseConfig": {"type": "sqlite", "database": "/var/lib/ftpcoord/group.db"}, "taskId": "a", "groupId": "g"}`
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid sqlite config rejected: %v", err)
	}
	d := c.WithDefaults().Database
	if d.Host != "" || d.Port != 0 || d.Type != "sqlite" {
		t.Errorf("defaults gave an sqlite file a server: %+v", d)
	}
	if got := d.String(); got != "sqlite:/var/lib/ftpcoord/group.db" {
		t.Errorf("String() = %q", got)
	}
	if got := d.Address(); got != "/var/lib/ftpcoord/group.db" {
		t.Errorf("Address() = %q", got)
	}
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
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Validate() = %v, want a FieldError for %s", tc.field, err, tc.field)
		}
		if tc.field == "databaseConfig.password" && strings.Contains(err.Error(), "pw\"") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
