package main

import (
	"encoding/json"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// importFile imports a corpus file as the command does.
func importFile(t *testing.T, name string, o importOptions) (*importResult, error) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "import", name))
	require.NoError(t, err)
	if o.knownHosts == "" {
		o.knownHosts = "/etc/ftpcoord/known_hosts"
	}
	return importBallerina(raw, strings.HasSuffix(name, ".bal"), o)
}

func changesOf(r *importResult) string {
	var b strings.Builder
	for _, c := range r.changes {
		b.WriteString(c.String() + "\n")
	}
	return b.String()
}

// The spec's multiple-services example: both services, each with its own
// path and pattern, the first keeping the group's ledger rows, the second
// named after its path; the listener's SFTP without known hosts pins the
// first key. --service N imports one of them at the top level.
func TestConfigImportSpecMultipleServices(t *testing.T) {
	r, err := importFile(t, "spec-multiple-services.bal", importOptions{})
	require.NoError(t, err)
	require.Len(t, r.loaded.Services, 2)
	assert.Equal(t, listener.ServiceConfig{Path: "/incoming/orders", FileNamePattern: `.*\.csv`}, r.loaded.Services[0])
	assert.Equal(t, listener.ServiceConfig{Name: "configs", Path: "/incoming/configs", FileNamePattern: `.*\.json`}, r.loaded.Services[1])
	assert.Equal(t, 22, r.loaded.Port)
	assert.True(t, r.loaded.SftpTrustOnFirstUse)
	assert.Equal(t, "/etc/ftpcoord/known_hosts", r.loaded.SftpSshKnownHosts)
	ch := changesOf(r)
	assert.Contains(t, ch, "services: 2 imported")
	assert.Contains(t, ch, "sftpSshKnownHosts: set to")
	assert.Contains(t, ch, "services: typed content methods")

	first, err := importFile(t, "spec-multiple-services.bal", importOptions{service: 1})
	require.NoError(t, err)
	assert.Equal(t, "/incoming/orders", first.loaded.Path)
	assert.Contains(t, changesOf(first), "services: imported service 1 of 2")

	second, err := importFile(t, "spec-multiple-services.bal", importOptions{service: 2})
	require.NoError(t, err)
	assert.Equal(t, "/incoming/configs", second.loaded.Path)
	assert.Equal(t, `.*\.json`, second.loaded.FileNamePattern)
	_, err = importFile(t, "spec-multiple-services.bal", importOptions{service: 3})
	assert.EqualError(t, err, "--service 3: the listener has 2 services")
}

// Per-method after-actions stay per method (services[0].methods), with
// Ballerina's preserveSubDirs default; --service 1 makes them the
// listener's, saying which one it kept where methods disagree.
func TestConfigImportSpecAfterActions(t *testing.T) {
	r, err := importFile(t, "spec-after-actions.bal", importOptions{})
	require.NoError(t, err)
	require.Len(t, r.loaded.Services, 1)
	s := r.loaded.Services[0]
	assert.Equal(t, "/drop", s.Path, "the inline listener's own path")
	xml, csv := s.Methods["onFileXml"], s.Methods["onFileCsv"]
	require.NotNil(t, xml.AfterProcess)
	assert.Equal(t, listener.PostAction{MoveTo: "/archive/success/", PreserveSubDirs: true}, *xml.AfterProcess, "Ballerina's default preserveSubDirs")
	assert.Equal(t, listener.PostAction{MoveTo: "/archive/failed/"}, *xml.AfterError)
	assert.Equal(t, listener.PostAction{Delete: true}, *csv.AfterProcess)
	assert.Nil(t, csv.AfterError, "none: Ballerina's default")
	assert.Equal(t, 2.5, r.loaded.PollingInterval, "2.5d is a decimal literal")
	assert.Contains(t, changesOf(r), "services[0]: @ftp:FunctionConfig(onFileCsv).fileNamePattern: dropped")

	r, err = importFile(t, "spec-after-actions.bal", importOptions{service: 1})
	require.NoError(t, err)
	require.NotNil(t, r.loaded.AfterProcess)
	assert.True(t, r.loaded.AfterProcess.Delete, "onFileCsv's DELETE (the methods sorted by name)")
	require.NotNil(t, r.loaded.AfterError)
	assert.Equal(t, "/archive/failed/", r.loaded.AfterError.MoveTo)
	assert.False(t, r.loaded.AfterError.PreserveSubDirs)
	assert.Equal(t, "/drop", r.loaded.Path)
	ch := changesOf(r)
	assert.Contains(t, ch, "afterProcess: onFileXml's dropped: Ballerina's are per method")
	assert.Contains(t, ch, "@ftp:FunctionConfig(onFileCsv).fileNamePattern: dropped")
}

// The listener-level (deprecated) monitoring fields load unchanged,
// EXACT_COUNT and requiredFileCount included; retryConfig's other meaning is said.
func TestConfigImportSpecDependencies(t *testing.T) {
	r, err := importFile(t, "spec-dependencies.bal", importOptions{})
	require.NoError(t, err)
	require.Len(t, r.loaded.FileDependencyConditions, 2)
	d := r.loaded.FileDependencyConditions[1]
	assert.Equal(t, "EXACT_COUNT", d.MatchingMode)
	assert.Equal(t, 3, *d.RequiredFileCount)
	assert.Equal(t, []string{`part_$1_.*`}, d.RequiredFiles)
	assert.Equal(t, `batch_(\d+)\.csv`, r.loaded.FileNamePattern)
	assert.Equal(t, 5, r.loaded.RetryConfig.Count)
	assert.Contains(t, changesOf(r), "retryConfig: kept: same names and defaults; ftpcoord retries connecting")
	assert.NotContains(t, changesOf(r), "path:", "the listener's path is kept as written")
}

// Ballerina's key and trust stores, an ftp:ListenerConfiguration variable
// passed to new, and the typed-content fields.
func TestConfigImportModuleFTPSStores(t *testing.T) {
	r, err := importFile(t, "module-ftps-stores.bal", importOptions{})
	require.NoError(t, err)
	s := r.loaded.Auth.SecureSocket
	assert.Equal(t, "IMPLICIT", s.Mode)
	assert.Equal(t, "tests/resources/client.p12", s.Key.Path)
	assert.Equal(t, "tests/resources/trust.p12", s.Cert.Path)
	assert.Equal(t, 15.0, *r.loaded.SocketConfig.FtpSocketTimeout)
	assert.True(t, r.loaded.LaxDataBinding)
	assert.Equal(t, "RAW_AND_METADATA", r.loaded.CsvFailSafe.ContentType)
	assert.Contains(t, changesOf(r), "csvFailSafe: kept: applies to typed CSV content only")
}

// Configurables: without their values an import stops at a non-string one;
// with the Config.toml (--values) they are filled in, module tables and all.
func TestConfigImportResolvesConfigurables(t *testing.T) {
	_, err := importFile(t, "module-sftp-proxy.bal", importOptions{})
	assert.EqualError(t, err, "pollingInterval: interval is not a literal the import can read: write the value in, or give the Config.toml of its configurable with --values")
	values, err := os.ReadFile("testdata/import/Config-proxy-values.toml")
	require.NoError(t, err)
	r, err := importFile(t, "module-sftp-proxy.bal", importOptions{valuesRaw: values})
	require.NoError(t, err)
	assert.Equal(t, 7.5, r.loaded.PollingInterval)
	assert.Equal(t, "from-config-toml", r.loaded.Proxy.Auth.Password)
	assert.Equal(t, "SOCKS5", r.loaded.Proxy.Type, "'type is a quoted identifier")
	assert.Equal(t, []string{"PUBLICKEY", "KEYBOARD_INTERACTIVE"}, r.loaded.Auth.PreferredMethods)
	assert.Equal(t, []string{"none"}, r.loaded.SftpCompression, "ftp:NO's value is \"none\"")
	assert.False(t, r.loaded.SftpTrustOnFirstUse, "known hosts given: nothing pinned")

	// A string configurable without a value is read from the environment.
	src := `import ballerina/ftp;
configurable string ftpPassword = ?;
listener ftp:Listener l = new ({host: "h", path: "/in", auth: {credentials: {username: "u", password: ftpPassword}}});`
	r, err = importBallerina([]byte(src), true, importOptions{service: 1})
	require.NoError(t, err)
	assert.Equal(t, "${FTP_PASSWORD}", r.loaded.Auth.Credentials.Password)
	assert.Contains(t, changesOf(r), "auth.credentials.password: set to ${FTP_PASSWORD}")
}

// A Config.toml module table is found among other modules' tables; SFTP
// without a port keeps Ballerina's 21.
func TestConfigImportConfigTomlModuleTable(t *testing.T) {
	r, err := importFile(t, "Config-module-table.toml", importOptions{})
	require.NoError(t, err)
	assert.Equal(t, "/orders", r.loaded.Path)
	assert.Equal(t, 21, r.loaded.Port)
	assert.Equal(t, "node-b", r.loaded.Coordination.MemberID)
	assert.Equal(t, 20, r.loaded.Coordination.LivenessCheckInterval)
	ch := changesOf(r)
	assert.Contains(t, ch, "myorg.orders.listenerConfig: imported")
	assert.Contains(t, ch, "port: set to 21: Ballerina's default port is 21 for every protocol")

	_, err = importFile(t, "Config-two-listeners.toml", importOptions{})
	assert.EqualError(t, err, "several tables hold a listener configuration (app.inbound, app.outbound): choose one with --table")
	r, err = importFile(t, "Config-two-listeners.toml", importOptions{table: "app.outbound"})
	require.NoError(t, err)
	assert.Equal(t, "b.test", r.loaded.Host)
}

// What cannot be carried over is refused, naming the field and the fix.
func TestConfigImportRefusals(t *testing.T) {
	_, err := importFile(t, "java-regex.bal", importOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fileNamePattern: \"(?!tmp_).*\\\\.csv\": negative lookahead is not supported")
	_, err = importFile(t, "odd-database-port.toml", importOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `coordination.databaseConfig: port 6432, and no record type says the dialect`)
	assert.Contains(t, err.Error(), `add type = "postgresql" or "mysql"`)

	for _, c := range []struct{ src, want string }{
		{`listener ftp:Listener l = new ({...base, host: "h"});`, "a spread"},
		{`listener ftp:Listener l = new ({host: "h", port: basePort + 1});`, "port: basePort+ 1 is not a literal"},
		{`listener ftp:Listener l = new (cfg);`, "made from cfg, which is not a record literal in this file"},
		{`service on x { }`, "no new ftp:Listener(...) found"},
		{`listener ftp:Listener l = new ({host: "h", bogus: 1});`, `bogus`},
		{`listener ftp:Listener l = new ({auth: {credentials: {username: "u", password: "hunter" + "2"}}});`,
			"auth.credentials.password: the expression (not shown: it may hold the secret) is not a literal"},
		{`listener ftp:Listener l = new ({coordination: {memberId: "m", coordinationGroup: "g", databaseConfig: {user: "u", database: "d"}}});`,
			`coordination.databaseConfig: neither type nor port says the dialect`},
	} {
		_, err := importBallerina([]byte(c.src), true, importOptions{service: 1})
		require.Error(t, err, c.src)
		assert.Contains(t, err.Error(), c.want, c.src)
		assert.NotContains(t, err.Error(), "hunter")
	}
}

// Java's POSIX classes have RE2 spellings.
func TestConfigImportPosixClasses(t *testing.T) {
	assert.Equal(t, `[[:alpha:]]+_[[:digit:]_-]*\.txt`, posixClasses(`\p{Alpha}+_[\p{Digit}_-]*\.txt`))
	assert.Equal(t, `[^[:space:]]|[[:^upper:]x]`, posixClasses(`[^\p{Space}]|[\P{Upper}x]`))
	assert.Equal(t, `\\p{Alpha}`, posixClasses(`\\p{Alpha}`), "an escaped backslash is not a class")
}

// Every field of ballerina/ftp 2.18's ListenerConfiguration, at its default
// and at another value, in a Config.toml module table: each imports, loads,
// and keeps its value, or the import says why it changed it.
func TestConfigImportEveryField(t *testing.T) {
	type field struct {
		name       string
		def, other string // TOML lines in the listener's table
		changed    string // a change the import must report for other ("" none)
	}
	fields := []field{
		{"protocol", `protocol = "FTP"`, `protocol = "FTPS"`, ""},
		{"host", `host = "127.0.0.1"`, `host = "ftp.test"`, ""},
		{"port", `port = 21`, `port = 2121`, ""},
		{"auth.credentials", `auth = { credentials = { username = "u", password = "" } }`, `auth = { credentials = { username = "u", password = "p" } }`, ""},
		{"auth.privateKey", `protocol = "SFTP"` + "\n" + `sftpSshKnownHosts = "/k"` + "\n" + `auth = { credentials = { username = "u" }, privateKey = { path = "/id" } }`,
			`protocol = "SFTP"` + "\n" + `port = 22` + "\n" + `sftpSshKnownHosts = "/k"` + "\n" + `auth = { credentials = { username = "u" }, privateKey = { path = "/id", password = "pp" } }`, ""},
		{"auth.secureSocket", `protocol = "FTPS"` + "\n" + `auth = { secureSocket = { mode = "EXPLICIT", dataChannelProtection = "PRIVATE" } }`,
			`protocol = "FTPS"` + "\n" + `auth = { secureSocket = { mode = "IMPLICIT", cert = { path = "/t.p12", password = "x" }, key = { path = "/k.p12", password = "y" }, dataChannelProtection = "CLEAR" } }`, "dataChannelProtection"},
		{"auth.preferredMethods", `protocol = "SFTP"` + "\n" + `sftpSshKnownHosts = "/k"` + "\n" + `auth = { credentials = { username = "u" }, preferredMethods = ["PUBLICKEY", "PASSWORD"] }`,
			`protocol = "SFTP"` + "\n" + `sftpSshKnownHosts = "/k"` + "\n" + `auth = { credentials = { username = "u" }, preferredMethods = ["PASSWORD", "GSSAPI_WITH_MIC"] }`, "GSSAPI_WITH_MIC"},
		{"path", `path = "/"`, `path = "/in"`, ""},
		{"fileNamePattern", `fileNamePattern = ".*"`, `fileNamePattern = '\p{Alnum}+\.csv'`, "fileNamePattern"},
		{"pollingInterval", `pollingInterval = 60`, `pollingInterval = 0.5`, ""},
		{"userDirIsRoot", `userDirIsRoot = false`, `userDirIsRoot = true`, "userDirIsRoot"},
		{"fileAgeFilter", `fileAgeFilter = { ageCalculationMode = "LAST_MODIFIED" }`, `fileAgeFilter = { minAge = 10, maxAge = 60.5, ageCalculationMode = "CREATION_TIME" }`, "ageCalculationMode"},
		{"fileDependencyConditions", `fileDependencyConditions = []`,
			`fileDependencyConditions = [{ targetPattern = 'a(\d)\.csv', requiredFiles = ['a$1\.ok'], matchingMode = "ANY", requiredFileCount = 0 }]`, ""},
		{"laxDataBinding", `laxDataBinding = false`, `laxDataBinding = true`, "laxDataBinding"},
		{"connectTimeout", `connectTimeout = 30.0`, `connectTimeout = 5`, ""},
		{"socketConfig", `socketConfig = { ftpDataTimeout = 120.0, ftpSocketTimeout = 60.0, sftpSessionTimeout = 300.0 }`,
			`socketConfig = { ftpDataTimeout = 10, ftpSocketTimeout = 5, sftpSessionTimeout = 60 }`, "sftpSessionTimeout"},
		{"proxy", `protocol = "SFTP"` + "\n" + `sftpSshKnownHosts = "/k"` + "\n" + `auth = { credentials = { username = "u" } }`,
			`protocol = "SFTP"` + "\n" + `sftpSshKnownHosts = "/k"` + "\n" + `auth = { credentials = { username = "u" } }` + "\n" + `proxy = { host = "p.test", port = 3128, type = "HTTP", auth = { username = "a", password = "b" } }`, ""},
		{"fileTransferMode", `fileTransferMode = "BINARY"`, `fileTransferMode = "ASCII"`, "fileTransferMode"},
		{"sftpCompression", `sftpCompression = ["none"]`, `sftpCompression = ["zlib"]`, "sftpCompression"},
		{"sftpSshKnownHosts", `protocol = "SFTP"` + "\n" + `auth = { credentials = { username = "u" } }`,
			`protocol = "SFTP"` + "\n" + `auth = { credentials = { username = "u" } }` + "\n" + `sftpSshKnownHosts = "/etc/ssh/known_hosts"`, ""},
		{"csvFailSafe", `csvFailSafe = {}`, `csvFailSafe = { contentType = "RAW" }`, "csvFailSafe"},
		{"coordination", `coordination = { memberId = "m", coordinationGroup = "g", databaseConfig = { port = 3306, user = "u", database = "d" } }`,
			`coordination = { memberId = "m", coordinationGroup = "g", livenessCheckInterval = 10, heartbeatFrequency = 2, databaseConfig = { host = "db", port = 5432, user = "u", password = "p", database = "d" } }`, ""},
		{"retryConfig", `retryConfig = { count = 3, interval = 1.0, backOffFactor = 2.0, maxWaitInterval = 30.0 }`,
			`retryConfig = { count = 1, interval = 0.5, backOffFactor = 1.0, maxWaitInterval = 5 }`, "retryConfig"},
	}
	for _, f := range fields {
		for _, variant := range []string{"default", "other"} {
			t.Run(f.name+"/"+variant, func(t *testing.T) {
				body := f.def
				if variant == "other" {
					body = f.other
				}
				if !strings.Contains(body, "protocol =") {
					body = "protocol = \"FTP\"\n" + body
				}
				doc := "[myorg.app]\nunrelated = 1\n\n[myorg.app.listenerConfig]\n" + body + "\n"
				r, err := importBallerina([]byte(doc), false, importOptions{knownHosts: "/etc/ftpcoord/known_hosts", service: 1})
				require.NoError(t, err, doc)
				// Every value written stays as written (the import only adds).
				var in map[string]any
				_, err = toml.Decode(doc, &in)
				require.NoError(t, err)
				src := in["myorg"].(map[string]any)["app"].(map[string]any)["listenerConfig"].(map[string]any)
				assertKept(t, src, r.config, "")
				if variant == "other" && f.changed != "" {
					assert.Contains(t, changesOf(r), f.changed, "the import says what differs")
				}
				// What it writes, the command loads.
				text, err := r.encode("toml")
				require.NoError(t, err)
				_, err = parseConfig(text, true)
				require.NoError(t, err, "%s", text)
			})
		}
	}
}

// assertKept: every value of src is in got at the same place.
func assertKept(t *testing.T, src, got map[string]any, at string) {
	t.Helper()
	for k, v := range src {
		g, ok := got[k]
		if !assert.True(t, ok, "%s%s dropped", at, k) {
			continue
		}
		if sm, isMap := v.(map[string]any); isMap {
			gm, _ := g.(map[string]any)
			assertKept(t, sm, gm, at+k+".")
			continue
		}
		if k == "fileNamePattern" {
			continue // rewritten in RE2 spelling, and said so
		}
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(g)
		assert.JSONEq(t, string(a), string(b), "%s%s", at, k)
	}
}

// The command: TOML to stdout, the changes to stderr, exit code 3 and the
// field for what it cannot carry over; --out writes a file that runs.
func TestConfigImportCommand(t *testing.T) {
	r := ftpcoord(t, "config", "import", "testdata/import/spec-multiple-services.bal")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `path = "/incoming/orders"`)
	assert.Contains(t, r.stderr, "ftpcoord: config import: sftpSshKnownHosts: set to")
	_, err := parseConfig([]byte(r.stdout), true)
	require.NoError(t, err)

	out := filepath.Join(t.TempDir(), "member.json")
	r = ftpcoord(t, "config", "import", "--format", "json", "--out", out, "--known-hosts", "/var/lib/ftpcoord/kh", "testdata/import/spec-multiple-services.bal")
	require.Equal(t, 0, r.code, r.stderr)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	c, err := parseConfig(raw, false)
	require.NoError(t, err)
	assert.Equal(t, "/var/lib/ftpcoord/kh", c.SftpSshKnownHosts)
	info, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "it holds passwords")

	r = ftpcoord(t, "config", "import", "testdata/import/java-regex.bal")
	assert.Equal(t, 3, r.code)
	assert.Contains(t, r.stderr, "fileNamePattern")
	assert.Empty(t, r.stdout)

	r = ftpcoord(t, "config", "import")
	assert.Equal(t, 2, r.code)
	r = ftpcoord(t, "config", "export", "x")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `unknown subcommand "export"`)
}

// The spec's listener examples, several listeners in one file: one is
// chosen with --listener; each is carried over with what differs said.
func TestConfigImportSpecListeners(t *testing.T) {
	_, err := importFile(t, "spec-listeners.bal", importOptions{})
	assert.EqualError(t, err, "the file has the listeners plain, secured, clustered: choose one with --listener")

	r, err := importFile(t, "spec-listeners.bal", importOptions{listener: "plain"})
	require.NoError(t, err)
	assert.Equal(t, "/incoming/orders", r.loaded.Path)
	require.Len(t, r.loaded.FileDependencyConditions, 1)
	assert.Equal(t, []string{"order_$1.marker"}, r.loaded.FileDependencyConditions[0].RequiredFiles)

	r, err = importFile(t, "spec-listeners.bal", importOptions{listener: "secured"})
	require.NoError(t, err)
	assert.Equal(t, "/", r.loaded.Path, "no service: Ballerina's default path")
	assert.True(t, r.loaded.UserDirIsRoot)
	ch := changesOf(r)
	assert.Contains(t, ch, "userDirIsRoot: kept: has no effect")
	assert.Contains(t, ch, `path: set to "/"`)

	r, err = importFile(t, "spec-listeners.bal", importOptions{listener: "clustered"})
	require.NoError(t, err)
	d, err := r.loaded.Coordination.DatabaseConfig.Dialect()
	require.NoError(t, err)
	assert.Equal(t, "mysql", string(d))
	assert.Contains(t, r.loaded.Coordination.DatabaseConfig.Address(), ":3306", "MysqlConfig's default port")
	assert.Contains(t, changesOf(r), `coordination.databaseConfig.type: set to "mysql": Ballerina takes the dialect from the record type <task:MysqlConfig>`)
}
