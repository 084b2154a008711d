package listener

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// Protocols, as ballerina/ftp names them.
const (
	FTP  = "FTP"
	FTPS = "FTPS"
	SFTP = "SFTP"
)

// ListenerConfig is ballerina/ftp's ListenerConfiguration: the same JSON
// names and defaults, plus a few ftpcoord fields (marked below). The command,
// the C ABI and the Java bindings all take this JSON.
type ListenerConfig struct {
	Protocol string `json:"protocol,omitempty"` // FTP (default), FTPS or SFTP
	Host     string `json:"host,omitempty"`     // default 127.0.0.1
	// Port defaults to 21; for SFTP ftpcoord defaults to 22 (Ballerina: 21).
	Port int   `json:"port,omitempty"`
	Auth *Auth `json:"auth,omitempty"`
	// Path is the directory to watch; default "/".
	Path string `json:"path,omitempty"`
	// FileNamePattern must match the whole file name (Java's
	// String.matches); RE2 syntax, see CheckPattern.
	FileNamePattern string `json:"fileNamePattern,omitempty"`
	// PollingInterval is in seconds; default 60.
	PollingInterval float64        `json:"pollingInterval,omitempty"`
	FileAgeFilter   *FileAgeFilter `json:"fileAgeFilter,omitempty"`
	// FileDependencyConditions hold a file back until the files it belongs
	// with (a marker, a companion) are in the same directory.
	FileDependencyConditions []FileDependencyCondition `json:"fileDependencyConditions,omitempty"`
	// ftpcoord: a new version is reported only once it has been listed
	// unchanged (size and mtime) this many polls in a row: 2 keeps files
	// still being written back. Default 1 (at once).
	StableListings int `json:"stableListings,omitempty"`
	// ftpcoord: seconds a new version must stay unchanged (size and mtime)
	// before it is handed over: a poll that finds new versions looks at them
	// again after this time and holds back those still being written (see
	// settle.go). Default 1 (DefaultSettleTime) when absent (nil); 0 turns
	// the guard off (in Go: SettleTime: new(0.0)); at most 60.
	SettleTime *float64 `json:"settleTime,omitempty"`
	// ConnectTimeout is in seconds; default 30.
	ConnectTimeout float64 `json:"connectTimeout,omitempty"`
	// RetryConfig: in JSON a field left out takes Ballerina's default; in
	// Go give all four. Ballerina's checks apply (count at least 1...).
	RetryConfig *remote.RetryConfig `json:"retryConfig,omitempty"`
	// ftpcoord: the IANA zone (such as "Europe/Berlin") the FTP server's
	// LIST answers give local times in; default UTC. Only for servers that
	// list local time (see docs/listener.md).
	ServerTimeZone string `json:"serverTimeZone,omitempty"`
	// ftpcoord: FTP data connections in active mode (EPRT/PORT: the server
	// connects back) instead of passive; for servers and firewalls that
	// refuse passive. FTP and implicit FTPS only.
	ActiveMode bool `json:"activeMode,omitempty"`
	// ftpcoord: the SSH algorithms SFTP offers (key exchanges, ciphers,
	// MACs, host-key algorithms); absent: x/crypto/ssh's defaults.
	SftpAlgorithms *remote.SSHAlgorithms `json:"sftpAlgorithms,omitempty"`
	// SftpSshKnownHosts is the known_hosts file that SFTP host keys are
	// verified against; required for SFTP unless InsecureIgnoreHostKey.
	SftpSshKnownHosts string                         `json:"sftpSshKnownHosts,omitempty"`
	Coordination      *taskcompat.CoordinationConfig `json:"coordination,omitempty"`

	// ftpcoord: also watch subdirectories, down to MaxDepth levels below
	// Path (0: unlimited).
	Recursive bool `json:"recursive,omitempty"`
	MaxDepth  int  `json:"maxDepth,omitempty"`
	// ftpcoord: report files whose name starts with a dot.
	IncludeHidden bool `json:"includeHidden,omitempty"`
	// ftpcoord: glob patterns (path.Match syntax, on the file name) a file
	// must match one of (Include, when given) and must match none of
	// (Exclude), on top of fileNamePattern.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// ftpcoord: with coordination, how long (seconds) the ledger keeps the
	// rows of DONE and REJECTED files after they are gone from the server;
	// default 7 days. While a row is kept, a file that comes back with the
	// same version is not processed again.
	Retention float64 `json:"retention,omitempty"`
	// ftpcoord: skip certificate (FTPS) or host-key (SFTP) verification.
	// Off by default; every connection then logs a warning.
	InsecureSkipVerify    bool `json:"insecureSkipVerify,omitempty"`
	InsecureIgnoreHostKey bool `json:"insecureIgnoreHostKey,omitempty"`
	// ftpcoord: sessions the listener and its Caller may open; default 4.
	MaxConnections int `json:"maxConnections,omitempty"`
	// ftpcoord: download each file into this local directory first (the
	// partial download under .ftpcoord-partial/, named by a hash of the
	// remote path and version, resumed after an interruption, size
	// checked, then renamed) and hand the handler the local copy
	// (FileInfo.LocalPath). Remote names that would land outside it, or in
	// .ftpcoord-partial, are refused.
	StagingDir string `json:"stagingDir,omitempty"`
	// ftpcoord: bounds on one poll's listing (see listingbounds.go):
	// entries listed (every entry, filtered or not) and directories
	// listed; defaults 500,000 and 10,000. Past either the listing is cut
	// and handled as truncated.
	MaxListingEntries     int `json:"maxListingEntries,omitempty"`
	MaxListingDirectories int `json:"maxListingDirectories,omitempty"`

	// Processing through the durable ledger, which lives in the
	// coordination database: with `coordination` configured, every file
	// version is claimed, processed and committed once, retried after
	// failures and rejected after maxTries.
	//
	// Mode is "warm-backup" (default: only the active member lists and
	// processes) or "shared" (the active member lists, every member
	// processes).
	Mode string `json:"mode,omitempty"`
	// VersionKey is what makes a new version: "path+size+mtime" (default),
	// "path+mtime" or "path".
	VersionKey string `json:"versionKey,omitempty"`
	// MaxFilesPerPoll bounds the files one member claims per poll; default 100.
	MaxFilesPerPoll int `json:"maxFilesPerPoll,omitempty"`
	// Workers is how many files are processed at once, with the ledger or
	// without; default 1 (one after the other, oldest first). Above one,
	// the service's methods are called concurrently.
	Workers int `json:"workers,omitempty"`
	// ProcessingTimeout is the lease of a claimed file, in seconds (renewed
	// while it is processed); after it, another worker may claim the file.
	// Default 300.
	ProcessingTimeout float64 `json:"processingTimeout,omitempty"`
	// RetryTimeout is how long a failed file waits before it is claimed
	// again, in seconds; default 60.
	RetryTimeout float64 `json:"retryTimeout,omitempty"`
	// MaxTries is how many attempts a file gets before it is REJECTED;
	// default 3.
	MaxTries int `json:"maxTries,omitempty"`
	// AfterProcess and AfterError are ballerina/ftp's after-processing
	// actions: what happens to a file once it is processed, or once it is
	// rejected. JSON: "DELETE" or {"moveTo": "/archive", "preserveSubDirs": true}.
	AfterProcess *PostAction `json:"afterProcess,omitempty"`
	AfterError   *PostAction `json:"afterError,omitempty"`
	// Services are several services on this listener, each with its own
	// path and service-level settings (ServiceConfig, services.go); with
	// them, path, fileNamePattern, fileAgeFilter, fileDependencyConditions
	// and the after-actions are set per service, not here.
	Services []ServiceConfig `json:"services,omitempty"`
	// ftpcoord: StepAsideAfter is how long (seconds) polls may fail to
	// connect or log in to the file server (refused, unreachable, cut,
	// certificate or host key not trusted) before the member reports
	// itself unable to work and, with coordination, gives the token up and
	// does not compete for it again for as long (workhealth.go); default 20.
	StepAsideAfter float64 `json:"stepAsideAfter,omitempty"`

	// ballerina/ftp 2.18 fields; see ballerina.go and Unhonoured for those
	// that have no effect here.
	UserDirIsRoot    bool             `json:"userDirIsRoot,omitempty"`
	LaxDataBinding   bool             `json:"laxDataBinding,omitempty"`
	SocketConfig     *SocketConfig    `json:"socketConfig,omitempty"`
	Proxy            *ProxyConfig     `json:"proxy,omitempty"`
	FileTransferMode string           `json:"fileTransferMode,omitempty"`
	SftpCompression  []string         `json:"sftpCompression,omitempty"`
	CsvFailSafe      *FailSafeOptions `json:"csvFailSafe,omitempty"`
	// ftpcoord: with SFTP, record the host key the server presents into
	// sftpSshKnownHosts when that file does not know the host yet (trust on
	// first use, logged with its SHA256 fingerprint); later connections are
	// checked against it.
	SftpTrustOnFirstUse bool `json:"sftpTrustOnFirstUse,omitempty"`

	// extraDatabaseFields are the fields of coordination.databaseConfig
	// that DecodeConfig accepted without knowing them (Unhonoured).
	extraDatabaseFields []string
}

// PostAction is DELETE, or MOVE to a directory.
type PostAction struct {
	Delete bool
	// MoveTo is the directory files move to; a name already taken there
	// gets a suffix, so a clash never leaves the file in place.
	MoveTo string
	// PreserveSubDirs keeps the file's path below the watched directory.
	// In JSON it defaults to true, as Ballerina's Move record does.
	PreserveSubDirs bool
}

// UnmarshalJSON reads "DELETE" or {"moveTo": ..., "preserveSubDirs": ...}.
func (a *PostAction) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if !strings.EqualFold(s, "DELETE") {
			return &json.UnmarshalTypeError{Value: fmt.Sprintf("string %q", s), Type: reflect.TypeFor[PostAction]()}
		}
		*a = PostAction{Delete: true}
		return nil
	}
	m := struct {
		MoveTo          string `json:"moveTo"`
		PreserveSubDirs bool   `json:"preserveSubDirs"`
	}{PreserveSubDirs: true} // Ballerina's default
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("want \"DELETE\" or {\"moveTo\": ..., \"preserveSubDirs\": ...}: %w", err)
	}
	*a = PostAction{MoveTo: m.MoveTo, PreserveSubDirs: m.PreserveSubDirs}
	return nil
}

// MarshalJSON writes the form UnmarshalJSON reads.
func (a PostAction) MarshalJSON() ([]byte, error) {
	if a.Delete {
		return []byte(`"DELETE"`), nil
	}
	return json.Marshal(map[string]any{"moveTo": a.MoveTo, "preserveSubDirs": a.PreserveSubDirs})
}

// Auth is ballerina/ftp's AuthConfiguration.
type Auth struct {
	Credentials  *Credentials  `json:"credentials,omitempty"`
	PrivateKey   *PrivateKey   `json:"privateKey,omitempty"`
	SecureSocket *SecureSocket `json:"secureSocket,omitempty"`
	// PreferredMethods is the order of SFTP authentication methods tried:
	// PUBLICKEY, PASSWORD, KEYBOARD_INTERACTIVE (answered with the
	// password); GSSAPI_WITH_MIC is skipped. Default [PUBLICKEY, PASSWORD].
	PreferredMethods []string `json:"preferredMethods,omitempty"`
}

// Credentials is a user name and password.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
	// PasswordFile holds the password instead, re-read at each connection
	// (secretfile.go).
	PasswordFile string `json:"passwordFile,omitempty"`
}

// String never shows the password.
func (c Credentials) String() string { return "Credentials{" + c.Username + ", password hidden}" }

// GoString never shows the password either (%#v).
func (c Credentials) GoString() string { return c.String() }

// PrivateKey is an SFTP key file and its passphrase.
type PrivateKey struct {
	Path     string `json:"path"`
	Password string `json:"password,omitempty"`
	// PasswordFile holds the passphrase instead, re-read at each connection.
	PasswordFile string `json:"passwordFile,omitempty"`
}

// String never shows the passphrase.
func (k PrivateKey) String() string { return "PrivateKey{" + k.Path + ", passphrase hidden}" }

// GoString never shows the passphrase either (%#v).
func (k PrivateKey) GoString() string { return k.String() }

// SecureSocket configures FTPS.
type SecureSocket struct {
	// Key is the client certificate and its private key, for servers that
	// require one: a PKCS#12 key store (Ballerina's crypto:KeyStore) or a
	// PEM file with both.
	Key *KeyStore `json:"key,omitempty"`
	// Cert is the CA certificates to trust (default: the system pool): a
	// PEM file's path, or Ballerina's trust store {path, password}.
	Cert TrustStore `json:"cert,omitzero"`
	// Mode is EXPLICIT (default: AUTH TLS on the control port) or IMPLICIT.
	Mode string `json:"mode,omitempty"`
	// DataChannelProtection is Ballerina's; only PRIVATE (default) is
	// honoured: the data channel is always protected.
	DataChannelProtection string `json:"dataChannelProtection,omitempty"`
}

// FileDependencyCondition is ballerina/ftp's: a file whose name matches
// TargetPattern is reported only when RequiredFiles (patterns, in which $1,
// $2... stand for TargetPattern's groups) match files in its directory: all
// of them (ALL, default), one (ANY), or exactly RequiredFileCount
// (EXACT_COUNT), counted as Ballerina counts: every pair of a required
// pattern and a file of the directory that it matches.
type FileDependencyCondition struct {
	TargetPattern string   `json:"targetPattern"`
	RequiredFiles []string `json:"requiredFiles"`
	MatchingMode  string   `json:"matchingMode,omitempty"`
	// RequiredFileCount defaults to 1 when absent (nil); 0 means that no
	// required file may be there, as in Ballerina.
	RequiredFileCount *int `json:"requiredFileCount,omitempty"`
}

// FileAgeFilter is ballerina/ftp's fileAgeFilter, in seconds: files younger
// than MinAge wait (they may still be written), files older than MaxAge are
// ignored (0: no limit).
type FileAgeFilter struct {
	MinAge float64 `json:"minAge,omitempty"`
	MaxAge float64 `json:"maxAge,omitempty"`
	// AgeCalculationMode is Ballerina's; LAST_MODIFIED (default) is the
	// only one honoured (listings have no creation time).
	AgeCalculationMode string `json:"ageCalculationMode,omitempty"`
}

// DecodeConfig reads a ListenerConfig from JSON, refusing unknown fields so
// that a misspelt name is an error, not a silent default.
//
// An unknown field is a *FieldError naming its whole path
// (coordination.heartbeatFrequncy) and the nearest valid name.
func DecodeConfig(data []byte) (ListenerConfig, error) {
	var c ListenerConfig
	var tree any
	var extra []string
	if json.Unmarshal(data, &tree) == nil {
		dbFields := fieldTypes(reflect.TypeFor[taskcompat.DatabaseConfig]())
		extra = takeExtraDatabaseFields(tree, func(k string) bool {
			// A name near a known one is a misspelling: checkFields says so.
			return strings.HasPrefix(unknownProblem(k, dbFields, databaseConfigPath), "unknown field; did you mean")
		})
		if errs := checkFields(tree, reflect.TypeFor[ListenerConfig](), ""); len(errs) > 0 {
			return c, errors.Join(errs...)
		}
		if len(extra) > 0 {
			data, _ = json.Marshal(tree)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := position(data, se.Offset)
			return c, fmt.Errorf("listener config: line %d, column %d: %w", line, col, err)
		case errors.As(err, &te) && te.Type == reflect.TypeFor[PostAction]():
			return c, &FieldError{Field: te.Field, Problem: fmt.Sprintf(`want "DELETE" or {"moveTo": "/dir", "preserveSubDirs": true}, got %s`, te.Value)}
		case errors.As(err, &te) && te.Type == reflect.TypeFor[TrustStore]():
			return c, &FieldError{Field: "auth.secureSocket.cert", Problem: fmt.Sprintf(`want a PEM file's path or a trust store {"path": "/trust.p12", "password": "..."}, got %s`, valueWord(te.Value))}
		case errors.As(err, &te):
			return c, &FieldError{Field: te.Field, Problem: fmt.Sprintf("want %s, got %s", typeWord(te.Type), valueWord(te.Value))}
		}
		return c, fmt.Errorf("listener config: %w", err)
	}
	c.extraDatabaseFields = extra
	if co := c.Coordination; co != nil {
		// The aliases (postgres, mariadb, sqlite3) go by their own name.
		if d, err := schema.ParseDialect(co.DatabaseConfig.Type); err == nil && co.DatabaseConfig.Type != "" {
			co.DatabaseConfig.Type = string(d)
		}
	}
	return c, c.Validate()
}

// typeWord names what a Go type holds, in words that fit JSON and TOML.
func typeWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "an object"
}

// valueWord names the kind of value encoding/json found.
func valueWord(v string) string {
	kind, literal, _ := strings.Cut(v, " ")
	switch kind {
	case "number":
		if literal != "" {
			return "the number " + literal
		}
		return "a number"
	case "bool":
		return "true or false"
	case "array":
		return "a list"
	case "object":
		return "an object"
	}
	return "a " + kind
}

// secondsType is taskcompat.Seconds, a number of seconds.
var secondsType = reflect.TypeFor[taskcompat.Seconds]()

// objectFields are the names of types that decode themselves from an object.
var objectFields = map[reflect.Type][]string{
	reflect.TypeFor[PostAction](): {"moveTo", "preserveSubDirs"},
	reflect.TypeFor[TrustStore](): {"path", "password"},
}

// fieldTypes maps a struct's JSON names to their types.
func fieldTypes(t reflect.Type) map[string]reflect.Type {
	known := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			known[name] = f.Type
		}
	}
	return known
}

// checkFields walks a decoded JSON value along the type it decodes into and
// returns a *FieldError for each field the type does not have (encoding/json
// names only the first, without its path) and each seconds field that is
// not a number (which encoding/json reports without the field's name).
func checkFields(v any, t reflect.Type, path string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == secondsType {
		if _, ok := v.(float64); !ok && v != nil {
			b, _ := json.Marshal(v)
			return []error{&FieldError{Field: path, Problem: "want a number of seconds, got " + string(b)}}
		}
		return nil
	}
	switch v := v.(type) {
	case []any:
		if t.Kind() != reflect.Slice {
			return nil
		}
		var errs []error
		for i, e := range v {
			errs = append(errs, checkFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return errs
	case map[string]any:
		known := map[string]reflect.Type{}
		if names, ok := objectFields[t]; ok {
			for _, n := range names {
				known[n] = reflect.TypeFor[any]()
			}
		} else if t.Kind() == reflect.Struct {
			known = fieldTypes(t)
		} else {
			return nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var errs []error
		for _, k := range keys {
			field := k
			if path != "" {
				field = path + "." + k
			}
			ft, ok := known[k]
			if !ok {
				// encoding/json matches names regardless of case.
				for n, nt := range known {
					if strings.EqualFold(n, k) {
						ft, ok = nt, true
					}
				}
			}
			if !ok {
				errs = append(errs, &FieldError{Field: field, Problem: unknownProblem(k, known, path)})
				continue
			}
			errs = append(errs, checkFields(v[k], ft, field)...)
		}
		return errs
	}
	return nil
}

// unknownProblem says a field is unknown and offers the nearest valid name,
// or the valid names when none is near.
func unknownProblem(name string, known map[string]reflect.Type, path string) string {
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	slices.Sort(names)
	best, bestDist := "", len(name)+1
	for _, n := range names {
		if d := editDistance(strings.ToLower(name), strings.ToLower(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best != "" && (bestDist <= 2 || bestDist <= len(name)/3) {
		return fmt.Sprintf("unknown field; did you mean %q?", best)
	}
	if path == "" {
		return "unknown field (the listener configuration's fields are listed in docs/configuration.md)"
	}
	return "unknown field; the fields of " + path + " are " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance of two strings, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for _, b := range data[:min(int(offset), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// WithDefaults fills in Ballerina's defaults.
func (c ListenerConfig) WithDefaults() ListenerConfig {
	c.Protocol = strings.ToUpper(c.Protocol)
	if c.Protocol == "" {
		c.Protocol = FTP
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Port == 0 {
		c.Port = 21
		if c.Protocol == SFTP {
			c.Port = 22
		}
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.PollingInterval == 0 {
		c.PollingInterval = 60
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 30
	}
	if c.SettleTime == nil {
		c.SettleTime = new(DefaultSettleTime)
	}
	if c.ServerTimeZone == "" {
		c.ServerTimeZone = "UTC"
	}
	if c.RetryConfig == nil {
		r := remote.DefaultRetryConfig
		c.RetryConfig = &r
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = 4
	}
	if c.MaxListingEntries == 0 {
		c.MaxListingEntries = DefaultMaxListingEntries
	}
	if c.MaxListingDirectories == 0 {
		c.MaxListingDirectories = DefaultMaxListingDirectories
	}
	if c.Mode == "" {
		c.Mode = WarmBackup.String()
	}
	if c.VersionKey == "" {
		c.VersionKey = "path+size+mtime"
	}
	if c.Retention == 0 {
		c.Retention = 7 * 24 * 3600
	}
	if c.MaxFilesPerPoll == 0 {
		c.MaxFilesPerPoll = 100
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	if c.ProcessingTimeout == 0 {
		c.ProcessingTimeout = 300
	}
	if c.RetryTimeout == 0 {
		c.RetryTimeout = 60
	}
	if c.MaxTries == 0 {
		c.MaxTries = 3
	}
	if c.StepAsideAfter == 0 {
		c.StepAsideAfter = DefaultStepAsideAfter
	}
	return c
}

// FieldError is an invalid configuration value; Field is its JSON path.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return "listener config: " + e.Field + ": " + e.Problem }

// Validate checks the configuration after defaults and returns every problem,
// each a *FieldError naming the field.
func (c ListenerConfig) Validate() error {
	errs := c.serviceErrors() // before the defaults: they tell a field left out
	c = c.WithDefaults()
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	switch c.Protocol {
	case FTP, FTPS, SFTP:
	default:
		bad("protocol", "%q is not FTP, FTPS or SFTP", c.Protocol)
	}
	if c.Port < 1 || c.Port > 65535 {
		bad("port", "%d is not a TCP port (1-65535)", c.Port)
	}
	if !strings.HasPrefix(c.Path, "/") {
		bad("path", "%q must be absolute (start with /)", c.Path)
	}
	if c.PollingInterval < 0.01 {
		bad("pollingInterval", "must be positive (seconds), got %v", c.PollingInterval)
	}
	if c.ConnectTimeout < 0 {
		bad("connectTimeout", "must be positive (seconds), got %v", c.ConnectTimeout)
	}
	if err := CheckPattern(c.FileNamePattern); err != nil {
		bad("fileNamePattern", "%v", err)
	}
	if f := c.FileAgeFilter; f != nil {
		if f.MinAge < 0 || f.MaxAge < 0 {
			bad("fileAgeFilter", "minAge and maxAge must not be negative")
		} else if f.MaxAge > 0 && f.MaxAge <= f.MinAge {
			bad("fileAgeFilter.maxAge", "%v must be greater than minAge %v", f.MaxAge, f.MinAge)
		}
	}
	// Ballerina's checks (FtpUtil.validateRetryConfig).
	if r := c.RetryConfig; r.Count < 1 {
		bad("retryConfig.count", "must be at least 1 (as in Ballerina), got %d: leave retryConfig out for the default, 3", r.Count)
	} else if r.Interval <= 0 {
		bad("retryConfig.interval", "must be positive (seconds), got %v", r.Interval)
	} else if r.BackOffFactor < 1 {
		bad("retryConfig.backOffFactor", "must be at least 1.0, got %v", r.BackOffFactor)
	} else if r.MaxWaitInterval <= 0 || r.MaxWaitInterval < r.Interval {
		bad("retryConfig.maxWaitInterval", "must be positive and at least interval (%v seconds), got %v", r.Interval, r.MaxWaitInterval)
	}
	for i, d := range c.FileDependencyConditions {
		field := fmt.Sprintf("fileDependencyConditions[%d]", i)
		if err := CheckPattern(d.TargetPattern); err != nil || d.TargetPattern == "" {
			bad(field+".targetPattern", "a pattern is required: %v", err)
		}
		if len(d.RequiredFiles) == 0 {
			bad(field+".requiredFiles", "is required")
		}
		for j, r := range d.RequiredFiles {
			// Groups are substituted before compiling; check with them blank.
			if err := CheckPattern(groupRef.ReplaceAllString(r, "x")); err != nil {
				bad(fmt.Sprintf("%s.requiredFiles[%d]", field, j), "%v", err)
			}
		}
		switch strings.ToUpper(d.MatchingMode) {
		case "", "ALL", "ANY":
		case "EXACT_COUNT":
			if d.RequiredFileCount != nil && *d.RequiredFileCount < 0 {
				bad(field+".requiredFileCount", "must not be negative")
			}
		default:
			bad(field+".matchingMode", "%q is not ALL, ANY or EXACT_COUNT", d.MatchingMode)
		}
	}
	if c.StagingDir != "" && !filepath.IsAbs(c.StagingDir) {
		bad("stagingDir", "%q must be an absolute local directory", c.StagingDir)
	}
	for name, globs := range map[string][]string{"include": c.Include, "exclude": c.Exclude} {
		for i, g := range globs {
			if _, err := path.Match(g, ""); err != nil || g == "" {
				bad(fmt.Sprintf("%s[%d]", name, i), "%q is not a glob pattern (*, ?, [a-z]): %v", g, err)
			}
		}
	}
	if c.Retention < 0 {
		bad("retention", "must not be negative (seconds)")
	}
	if c.StableListings < 0 {
		bad("stableListings", "must not be negative")
	}
	if _, err := checkServerTimeZone(c.ServerTimeZone); err != nil {
		bad("serverTimeZone", "%v", err)
	}
	if a := c.SftpAlgorithms; a != nil {
		if err := a.Check(); err != nil {
			bad("sftpAlgorithms", "%v", err)
		}
	}
	if c.ActiveMode && (c.Protocol == SFTP || c.Protocol == FTPS && !strings.EqualFold(c.Auth.secureSocket().mode(), "IMPLICIT")) {
		bad("activeMode", "works with protocol FTP and with FTPS in IMPLICIT mode only (got %s): remove it, or use auth.secureSocket.mode IMPLICIT", c.Protocol)
	}
	if c.ActiveMode && c.Proxy != nil {
		bad("activeMode", "cannot work through a proxy (the server connects back to the member): remove activeMode or proxy")
	}
	if s := *c.SettleTime; !(s >= 0 && s <= maxSettleTime) {
		bad("settleTime", "must be between 0 (no guard) and %v seconds, got %v: every poll that finds a new file waits up to twice this long; for writers that pause longer, use fileAgeFilter.minAge or stableListings", maxSettleTime, s)
	}
	if c.MaxDepth < 0 {
		bad("maxDepth", "must not be negative")
	}
	if c.MaxConnections < 1 {
		bad("maxConnections", "must be at least 1")
	}
	if c.MaxListingEntries < 1 {
		bad("maxListingEntries", "must be at least 1 (default %d), got %d", DefaultMaxListingEntries, c.MaxListingEntries)
	}
	if c.MaxListingDirectories < 1 {
		bad("maxListingDirectories", "must be at least 1 (default %d), got %d", DefaultMaxListingDirectories, c.MaxListingDirectories)
	}
	if a := c.Auth; a != nil && a.SecureSocket != nil {
		switch strings.ToUpper(a.SecureSocket.Mode) {
		case "", "EXPLICIT", "IMPLICIT":
		default:
			bad("auth.secureSocket.mode", "%q is not EXPLICIT or IMPLICIT", a.SecureSocket.Mode)
		}
		if c.Protocol != FTPS {
			bad("auth.secureSocket", "applies to FTPS only (protocol is %s)", c.Protocol)
		}
	}
	c.validateBallerina(bad)
	c.Auth.validateSecretFiles(bad)
	if c.SftpTrustOnFirstUse && c.SftpSshKnownHosts == "" {
		bad("sftpTrustOnFirstUse", "needs sftpSshKnownHosts: the file the first host key seen is recorded in (created if missing)")
	}
	if c.Protocol == SFTP {
		if c.SftpSshKnownHosts == "" && !c.InsecureIgnoreHostKey {
			bad("sftpSshKnownHosts", "is required for SFTP: a known_hosts file with the server's host key (ssh-keyscan -p %d %s >> FILE); or, to record the key the server presents at the first connection (logged with its SHA256 fingerprint), set sftpSshKnownHosts = \"/path/known_hosts\" and sftpTrustOnFirstUse = true; or set insecureIgnoreHostKey, which is not safe", c.Port, c.Host)
		}
		if c.Auth == nil || (c.Auth.Credentials == nil && c.Auth.PrivateKey == nil) {
			bad("auth", "SFTP needs auth.credentials or auth.privateKey")
		} else if c.Auth.Credentials == nil || c.Auth.Credentials.Username == "" {
			bad("auth.credentials.username", "is required for SFTP")
		}
	}
	if m, err := parseMode(c.Mode); err != nil {
		bad("mode", "%v", err)
	} else if m == Shared && c.Coordination == nil {
		bad("mode", "shared needs coordination: the ledger that shares the work lives in its database")
	}
	switch c.VersionKey {
	case "path+size+mtime", "path+mtime", "path":
	default:
		bad("versionKey", "%q is not path+size+mtime, path+mtime or path", c.VersionKey)
	}
	if c.MaxFilesPerPoll < 1 {
		bad("maxFilesPerPoll", "must be at least 1")
	}
	if c.Workers < 1 {
		bad("workers", "must be at least 1")
	}
	if c.ProcessingTimeout < 1 {
		bad("processingTimeout", "must be at least 1 (seconds), got %v", c.ProcessingTimeout)
	}
	if c.RetryTimeout < 0 {
		bad("retryTimeout", "must not be negative (seconds)")
	}
	if c.MaxTries < 1 {
		bad("maxTries", "must be at least 1")
	}
	if !(c.StepAsideAfter >= 1 && c.StepAsideAfter <= 3600) {
		bad("stepAsideAfter", "must be between 1 and 3600 (seconds), got %v; leave it out for the default %v", c.StepAsideAfter, DefaultStepAsideAfter)
	}
	for name, a := range map[string]*PostAction{"afterProcess": c.AfterProcess, "afterError": c.AfterError} {
		switch {
		case a == nil || a.Delete:
		case !strings.HasPrefix(a.MoveTo, "/"):
			bad(name+".moveTo", "%q must be an absolute directory", a.MoveTo)
		case strings.TrimSuffix(a.MoveTo, "/") == strings.TrimSuffix(c.Path, "/"):
			bad(name+".moveTo", "is the watched directory itself: the files would be seen again")
		case c.Recursive && strings.HasPrefix(a.MoveTo, strings.TrimSuffix(c.Path, "/")+"/"):
			bad(name+".moveTo", "is inside the watched tree and recursive is on: moved files would be seen again")
		}
	}
	if c.Coordination != nil {
		for _, e := range unjoin(c.Coordination.Validate()) {
			var fe *taskcompat.FieldError
			if errors.As(e, &fe) {
				bad("coordination."+fe.Field, "%s", fe.Problem)
			}
		}
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// javaOnly are constructs that Java's regex accepts and RE2 either rejects
// with a cryptic message or, worse, accepts with another meaning.
var javaOnly = []struct{ token, why string }{
	{"(?=", "lookahead is not supported"},
	{"(?!", "negative lookahead is not supported"},
	{"(?<=", "lookbehind is not supported"},
	{"(?<!", "negative lookbehind is not supported"},
	{"(?>", "atomic groups are not supported"},
	{"(?U", "(?U) means Unicode classes in Java but ungreedy in Go"},
	{`\v`, `\v is vertical whitespace in Java but the VT character in Go`},
	{`\h`, `\h (horizontal whitespace) is not supported; use [ \t]`},
	{`\Z`, `\Z is not supported; the pattern always matches the whole name`},
	{`\G`, `\G is not supported`},
	{"*+", "possessive quantifiers are not supported"},
	{"++", "possessive quantifiers are not supported"},
	{"?+", "possessive quantifiers are not supported"},
}

// CheckPattern compiles a fileNamePattern, refusing Java regex features that
// Go's RE2 lacks or reads differently, with a message that says which.
// Back-references (\1) are refused by RE2 itself.
func CheckPattern(p string) error {
	if p == "" {
		return nil
	}
	for _, j := range javaOnly {
		if strings.Contains(p, j.token) {
			return fmt.Errorf("%q: %s (Go's RE2 syntax, not Java's)", p, j.why)
		}
	}
	if _, err := regexp.Compile(`^(?:` + p + `)$`); err != nil {
		return fmt.Errorf("%q is not a valid RE2 regular expression: %w", p, err)
	}
	return nil
}

// pollingInterval as a duration.
func (c ListenerConfig) pollingInterval() time.Duration {
	return time.Duration(c.PollingInterval * float64(time.Second))
}

// settleTime as a duration (defaults applied: never nil).
func (c ListenerConfig) settleTime() time.Duration {
	return time.Duration(*c.SettleTime * float64(time.Second))
}

func (c ListenerConfig) processingTimeout() time.Duration {
	return time.Duration(c.ProcessingTimeout * float64(time.Second))
}

func (c ListenerConfig) retryTimeout() time.Duration {
	return time.Duration(c.RetryTimeout * float64(time.Second))
}

// globsAllow applies include and exclude to a file name.
func (c ListenerConfig) globsAllow(name string) bool {
	if len(c.Include) > 0 {
		in := false
		for _, g := range c.Include {
			if ok, _ := path.Match(g, name); ok {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	for _, g := range c.Exclude {
		if ok, _ := path.Match(g, name); ok {
			return false
		}
	}
	return true
}

func (c ListenerConfig) retention() time.Duration {
	return time.Duration(c.Retention * float64(time.Second))
}
