package taskcompat

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/sqldb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// Ballerina's defaults (ballerina/task WarmBackupConfig, MysqlConfig, PostgresqlConfig).
const (
	DefaultLivenessCheckInterval = 30 // seconds
	DefaultHeartbeatFrequency    = 1  // seconds
	DefaultHost                  = "localhost"
	DefaultMySQLPort             = 3306
	DefaultPostgresPort          = 5432
	DefaultSessionTimeZone       = "UTC"
)

// DatabaseConfig is where the coordination tables live. It mirrors
// ballerina/task's MysqlConfig and PostgresqlConfig; Ballerina picks the dialect
// from the record type, a JSON configuration names it in Type.
//
// Type "sqlite" is an ftpcoord extension: Database is then the path of an
// SQLite file that the processes of one host share, and Host, Port, User and
// Password must be left out.
type DatabaseConfig struct {
	Type     string `json:"type"` // "mysql" (default, as in Ballerina), "postgresql" or "sqlite"
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"` // 0: 3306 for mysql, 5432 for postgresql
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	Database string `json:"database,omitempty"` // for sqlite, the file's path
	// Options.SSL is TLS to the server (Ballerina's options.ssl); without
	// it, TLS when the server offers it (PREFER). See SecureSocket.
	Options *DatabaseOptions `json:"options,omitempty"`
}

// Dialect returns the SQL dialect named by Type. Without a Type (every
// configuration written from Ballerina's records, where the record's type
// chose the dialect) it is inferred, see inferDialect.
func (d DatabaseConfig) Dialect() (schema.Dialect, error) {
	if strings.TrimSpace(d.Type) == "" {
		return d.inferDialect()
	}
	return schema.ParseDialect(d.Type)
}

// Address is host:port with defaults applied; for SQLite, the file's path.
func (d DatabaseConfig) Address() string {
	if d.isSQLite() {
		return d.Database
	}
	return fmt.Sprintf("%s:%d", d.withDefaults().Host, d.withDefaults().Port)
}

func (d DatabaseConfig) isSQLite() bool {
	dl, err := d.Dialect()
	return err == nil && dl == schema.SQLite
}

func (d DatabaseConfig) withDefaults() DatabaseConfig {
	if d.isSQLite() {
		return d // a file: no server to default
	}
	if d.Host == "" {
		d.Host = DefaultHost
	}
	if d.Port == 0 {
		switch dl, err := d.Dialect(); {
		case err != nil: // no dialect, no default port
		case dl == schema.Postgres:
			d.Port = DefaultPostgresPort
		default:
			d.Port = DefaultMySQLPort
		}
	}
	return d
}

// String never shows the password.
func (d DatabaseConfig) String() string {
	if d.isSQLite() {
		return "sqlite:" + d.Database
	}
	d = d.withDefaults()
	return fmt.Sprintf("%s://%s@%s:%d/%s", dialectName(d.Type), d.User, d.Host, d.Port, d.Database)
}

// GoString never shows the password either (%#v).
func (d DatabaseConfig) GoString() string { return d.String() }

// LogValue keeps the password out of structured logs.
func (d DatabaseConfig) LogValue() slog.Value { return slog.StringValue(d.String()) }

func dialectName(t string) string {
	if t == "" {
		return string(schema.MySQL)
	}
	return t
}

// Config is ballerina/task's WarmBackupConfig plus what ftpcoord adds. Zero
// values take Ballerina's defaults; JSON field names are Ballerina's.
type Config struct {
	Database DatabaseConfig `json:"databaseConfig"`
	// LivenessCheckInterval is the staleness threshold, in whole seconds, of
	// the holder's heartbeat: a standby takes over when the holder's last
	// heartbeat is older than this by the database clock. Default 30.
	LivenessCheckInterval int `json:"livenessCheckInterval,omitempty"`
	// TaskID identifies this member; unique per member.
	TaskID string `json:"taskId"`
	// GroupID names the set of members that share one active member.
	GroupID string `json:"groupId"`
	// HeartbeatFrequency is the period of every member's heartbeat. Ballerina
	// takes whole seconds (default 1); fractions are an ftpcoord extension.
	HeartbeatFrequency Seconds `json:"heartbeatFrequency,omitempty"`

	// SessionTimeZone is the database session time zone (PostgreSQL TimeZone,
	// MySQL time_zone). PostgreSQL stores heartbeats as local times of the
	// writer's session zone: Ballerina's JVMs must use one zone; ftpcoord
	// members judge each row in its writer's zone (zones.go), for the
	// takeover and shared mode's reclaim alike. Default "UTC".
	SessionTimeZone string `json:"sessionTimeZone,omitempty"`
	// CheckPeriod is how often a member reads the token holder (standbys to
	// take over, the active member to notice it lost the token). Default:
	// HeartbeatFrequency. Larger values lower the database load and slow both.
	CheckPeriod Seconds `json:"checkPeriod,omitempty"`
	// CrashSignal: the active member holds a session lock that standbys wait
	// on, so that a member whose process dies is replaced at once (see
	// docs/coordination.md). Default true; false keeps the heartbeat rule
	// only (a transaction-mode connection pool cannot keep session locks).
	CrashSignal *bool `json:"crashSignal,omitempty"`
}

// Seconds is a duration written in JSON as a number of seconds, as Ballerina
// writes its decimal and int intervals.
type Seconds time.Duration

// Secs converts a number of seconds.
func Secs(s float64) Seconds { return Seconds(s * float64(time.Second)) }

// Duration returns s as a time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(s) }

func (s Seconds) String() string { return time.Duration(s).String() }

// MarshalJSON writes seconds as a number.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(s).Seconds())
}

// UnmarshalJSON reads a number of seconds.
func (s *Seconds) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("want a number of seconds, got %s", b)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e9 {
		return fmt.Errorf("want a number of seconds, got %s", b)
	}
	*s = Secs(f)
	return nil
}

// CoordinationConfig is the FTP listener's `coordination` record: ballerina/ftp
// names memberId and coordinationGroup what ballerina/task calls taskId and
// groupId. The ftpcoord additions keep their names.
type CoordinationConfig struct {
	DatabaseConfig        DatabaseConfig `json:"databaseConfig"`
	LivenessCheckInterval int            `json:"livenessCheckInterval,omitempty"`
	MemberID              string         `json:"memberId"`
	CoordinationGroup     string         `json:"coordinationGroup"`
	HeartbeatFrequency    Seconds        `json:"heartbeatFrequency,omitempty"`
	SessionTimeZone       string         `json:"sessionTimeZone,omitempty"`
	CheckPeriod           Seconds        `json:"checkPeriod,omitempty"`
	CrashSignal           *bool          `json:"crashSignal,omitempty"`
}

// TaskConfig maps the FTP side's names to ballerina/task's:
// memberId -> taskId, coordinationGroup -> groupId.
func (c CoordinationConfig) TaskConfig() Config {
	return Config{
		Database:              c.DatabaseConfig,
		LivenessCheckInterval: c.LivenessCheckInterval,
		TaskID:                c.MemberID,
		GroupID:               c.CoordinationGroup,
		HeartbeatFrequency:    c.HeartbeatFrequency,
		SessionTimeZone:       c.SessionTimeZone,
		CheckPeriod:           c.CheckPeriod,
		CrashSignal:           c.CrashSignal,
	}
}

// WithDefaults returns c with every zero value replaced by its default.
func (c Config) WithDefaults() Config {
	if dl, err := c.Database.Dialect(); c.Database.Type == "" && err == nil {
		c.Database.Type = string(dl) // inferred before the port is defaulted
	}
	c.Database = c.Database.withDefaults()
	if c.LivenessCheckInterval == 0 {
		c.LivenessCheckInterval = DefaultLivenessCheckInterval
	}
	if c.HeartbeatFrequency == 0 {
		c.HeartbeatFrequency = Seconds(DefaultHeartbeatFrequency * time.Second)
	}
	if c.SessionTimeZone == "" {
		c.SessionTimeZone = DefaultSessionTimeZone
	}
	if c.CheckPeriod == 0 {
		c.CheckPeriod = c.HeartbeatFrequency
	}
	return c
}

// FieldError is an invalid configuration value; Field is its JSON name.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return "taskcompat: " + e.Field + ": " + e.Problem }

// ErrInvalidConfig matches every *FieldError with errors.Is.
var ErrInvalidConfig = errors.New("invalid coordination config")

func (e *FieldError) Is(target error) bool { return target == ErrInvalidConfig }

// Validate checks c after defaults and returns every problem found, each a
// *FieldError naming the field (joined with errors.Join).
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	_, dialectErr := c.Database.Dialect()
	switch {
	case dialectErr != nil: // the other database fields' rules depend on it
		bad("databaseConfig.type", "%v", dialectErr)
	case c.Database.isSQLite():
		c.Database.validateSQLite(bad)
	default:
		if c.Database.Port < 1 || c.Database.Port > 65535 {
			bad("databaseConfig.port", "%d is not a TCP port (1-65535)", c.Database.Port)
		}
		if strings.TrimSpace(c.Database.User) == "" {
			bad("databaseConfig.user", "is required")
		}
		if strings.TrimSpace(c.Database.Database) == "" {
			bad("databaseConfig.database", "is required: the database that holds token_holder and health_check")
		}
	}
	c.Database.validateSSL(bad)
	checkID := func(field, v string) {
		switch {
		case strings.TrimSpace(v) == "":
			bad(field, "is required and must not be blank")
		case len(v) > 255:
			bad(field, "is %d bytes long; the column holds at most 255", len(v))
		}
	}
	checkID("taskId", c.TaskID)
	checkID("groupId", c.GroupID)
	if c.LivenessCheckInterval < 1 {
		bad("livenessCheckInterval", "must be at least 1 (whole seconds), got %d", c.LivenessCheckInterval)
	}
	hb := c.HeartbeatFrequency.Duration()
	if hb < 10*time.Millisecond {
		bad("heartbeatFrequency", "must be positive (seconds, at least 0.01), got %v", c.HeartbeatFrequency)
	} else if c.LivenessCheckInterval >= 1 && hb >= time.Duration(c.LivenessCheckInterval)*time.Second {
		bad("heartbeatFrequency", "must be less than livenessCheckInterval (%d s), got %v: a live member would look dead between two heartbeats",
			c.LivenessCheckInterval, hb)
	}
	if cp := c.CheckPeriod.Duration(); cp < 10*time.Millisecond {
		bad("checkPeriod", "must be positive (seconds, at least 0.01), got %v", c.CheckPeriod)
	} else if c.LivenessCheckInterval >= 1 && cp > time.Duration(c.LivenessCheckInterval)*time.Second {
		bad("checkPeriod", "must be at most livenessCheckInterval (%d s), got %v", c.LivenessCheckInterval, cp)
	}
	if _, err := time.LoadLocation(c.SessionTimeZone); err != nil && !sqldb.IsOffset(c.SessionTimeZone) {
		bad("sessionTimeZone", "%q is not a time zone name (like UTC or Europe/Berlin) or offset (like +05:30)", c.SessionTimeZone)
	}
	return errors.Join(errs...)
}

// Validate checks the FTP-side record, naming fields by their FTP-side names.
func (c CoordinationConfig) Validate() error {
	err := c.TaskConfig().Validate()
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range unjoin(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			switch fe.Field {
			case "taskId":
				fe = &FieldError{Field: "memberId", Problem: fe.Problem}
			case "groupId":
				fe = &FieldError{Field: "coordinationGroup", Problem: fe.Problem}
			}
			e = fe
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// validateSQLite checks an SQLite configuration: a file path, and none of
// the fields of a server.
func (d DatabaseConfig) validateSQLite(bad func(field, format string, args ...any)) {
	for _, f := range []struct {
		name string
		set  bool
	}{{"host", d.Host != ""}, {"port", d.Port != 0}, {"user", d.User != ""}, {"password", d.Password != ""}} {
		if f.set {
			bad("databaseConfig."+f.name, "is not used with type %q (a database file on this host): remove it", schema.SQLite)
		}
	}
	switch p := strings.TrimSpace(d.Database); {
	case p == "":
		bad("databaseConfig.database", "is required: the path of the SQLite file that holds token_holder and health_check (created if missing; its directory must exist)")
	case p == ":memory:" || strings.HasPrefix(p, "file:") || strings.Contains(p, "mode=memory"):
		bad("databaseConfig.database", "%q is not a plain file path: give the path of an SQLite file that every member of the group opens", d.Database)
	}
}
