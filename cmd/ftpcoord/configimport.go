package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/core/listener"
)

// `ftpcoord config import` turns a ballerina/ftp listener configuration (a
// Config.toml table, or the listener literal and @ftp:ServiceConfig of a .bal
// file) into an ftpcoord configuration, and says what it changed and why.

const configUsage = `usage: ftpcoord config import [flags] FILE.toml|FILE.bal
  Reads a ballerina/ftp 2.18 listener configuration: a Config.toml table holding an
  ftp:ListenerConfiguration, or a .bal file's new ftp:Listener({...}) literal with its
  services' @ftp:ServiceConfig and @ftp:FunctionConfig (every service, or one with
  --service N). Writes the ftpcoord configuration (TOML, or JSON with --format json)
  to stdout or --out, and lists on stderr every field it changed, added or dropped,
  and why. Exit code 3 when something
  cannot be carried over (the message names the field and what to do).
`

func cmdConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(stderr, configUsage)
		if len(args) == 0 {
			return exitcode.Usagef("config: want import, e.g. ftpcoord config import Config.toml")
		}
		return flag.ErrHelp
	}
	if args[0] != "import" {
		return exitcode.Usagef("config: unknown subcommand %q: want import", args[0])
	}
	fs := flag.NewFlagSet("ftpcoord config import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o importOptions
	fs.StringVar(&o.table, "table", "", "Config.toml: the dotted name of the table holding the listener configuration (default: the only table that looks like one)")
	fs.StringVar(&o.listener, "listener", "", ".bal: the listener variable to import (default: the only one)")
	fs.IntVar(&o.service, "service", 0, ".bal: import only this one of the listener's services (1 is the first in the file); default: every service")
	fs.StringVar(&o.values, "values", "", ".bal: a Config.toml whose values resolve the file's configurable variables")
	fs.StringVar(&o.knownHosts, "known-hosts", "/etc/ftpcoord/known_hosts", "SFTP without sftpSshKnownHosts: the known_hosts file the server's key is pinned in on first use")
	format := fs.String("format", "toml", "toml or json")
	out := fs.String("out", "", "write the configuration to this file (default stdout)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitcode.FlagError(err)
	}
	if fs.NArg() != 1 {
		return exitcode.Usagef("config import: want one FILE.toml or FILE.bal, e.g. ftpcoord config import Config.toml")
	}
	if *format != "toml" && *format != "json" {
		return exitcode.Usagef("config import: --format %q: want toml or json", *format)
	}
	in := fs.Arg(0)
	raw, err := os.ReadFile(in)
	if err != nil {
		return exitcode.With(exitcode.Config, fmt.Errorf("config import: %w", err))
	}
	if o.values != "" {
		if o.valuesRaw, err = os.ReadFile(o.values); err != nil {
			return exitcode.With(exitcode.Config, fmt.Errorf("config import: --values: %w", err))
		}
	}
	res, err := importBallerina(raw, strings.EqualFold(filepath.Ext(in), ".bal"), o)
	if err != nil {
		return exitcode.With(exitcode.Config, fmt.Errorf("config import %s: %w", in, err))
	}
	text, err := res.encode(*format)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, text, 0o600); err != nil {
			return fmt.Errorf("config import: %w", err)
		}
	} else if _, err := stdout.Write(text); err != nil {
		return err
	}
	for _, c := range res.changes {
		fmt.Fprintln(stderr, "ftpcoord: config import: "+c.String())
	}
	return nil
}

type importOptions struct {
	table, listener, values, knownHosts string
	service                             int
	valuesRaw                           []byte
}

// importChange is one thing the import did to carry a configuration over.
type importChange struct {
	field, what, why string
}

func (c importChange) String() string {
	return c.field + ": " + c.what + ": " + c.why
}

type importResult struct {
	config  map[string]any
	changes []importChange
	loaded  listener.ListenerConfig
}

func (r *importResult) change(field, what, why string, args ...any) {
	r.changes = append(r.changes, importChange{field, what, fmt.Sprintf(why, args...)})
}

func (r *importResult) encode(format string) ([]byte, error) {
	if format == "json" {
		b, err := json.MarshalIndent(r.config, "", "  ")
		return append(b, '\n'), err
	}
	var b bytes.Buffer
	b.WriteString("# ftpcoord configuration imported from ballerina/ftp by `ftpcoord config import`\n")
	err := toml.NewEncoder(&b).Encode(r.config)
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	return b.Bytes(), err
}

// importBallerina converts and checks one configuration.
func importBallerina(raw []byte, bal bool, o importOptions) (*importResult, error) {
	r := &importResult{}
	var cfg map[string]any
	var svcs []balService
	var err error
	if bal {
		cfg, svcs, err = r.fromBal(string(raw), o)
	} else {
		cfg, err = r.fromTOML(raw, o.table)
	}
	if err != nil {
		return nil, err
	}
	svc, err := r.services(cfg, svcs, o)
	if err != nil {
		return nil, err
	}
	if err := r.convert(cfg, svc, o); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(cfg)
	c, err := listener.DecodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("the imported configuration does not load: %w", err)
	}
	r.config, r.loaded = cfg, c
	for _, n := range c.Unhonoured() {
		field, why, _ := strings.Cut(n, ": ")
		r.change(field, "kept", "%s", why)
	}
	return r, nil
}

// listenerFields are the top-level names of ballerina/ftp's ListenerConfiguration
// that tell a table holding one from any other.
var listenerFields = []string{"protocol", "host", "port", "auth", "path", "fileNamePattern", "pollingInterval",
	"fileAgeFilter", "fileDependencyConditions", "coordination", "sftpSshKnownHosts", "connectTimeout", "retryConfig"}

func looksLikeListener(m map[string]any) bool {
	n := 0
	for _, f := range listenerFields {
		if _, ok := m[f]; ok {
			n++
		}
	}
	_, hasProtocol := m["protocol"]
	return n >= 2 || hasProtocol
}

func (r *importResult) fromTOML(raw []byte, table string) (map[string]any, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(raw), &doc); err != nil {
		return nil, fmt.Errorf("%s", withoutFileText(err.Error()))
	}
	if table != "" {
		var cur any = doc
		for _, k := range strings.Split(table, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("--table %s: no such table", table)
			}
			if cur, ok = m[k]; !ok {
				return nil, fmt.Errorf("--table %s: no table %q", table, k)
			}
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("--table %s: not a table", table)
		}
		return m, nil
	}
	var found []string
	var tables []map[string]any
	var walk func(m map[string]any, at string)
	walk = func(m map[string]any, at string) {
		if at != "" && looksLikeListener(m) {
			found, tables = append(found, at), append(tables, m)
			return
		}
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok && at == "" || ok && !slices.Contains(listenerFields, k) {
				walk(sub, strings.TrimPrefix(at+"."+k, "."))
			}
		}
	}
	walk(doc, "")
	switch {
	case len(found) == 1:
		r.change(found[0], "imported", "the one table holding a listener configuration")
		return tables[0], nil
	case len(found) > 1:
		sort.Strings(found)
		return nil, fmt.Errorf("several tables hold a listener configuration (%s): choose one with --table", strings.Join(found, ", "))
	case looksLikeListener(doc):
		return doc, nil // the file is the configuration itself, at the top level
	}
	return nil, fmt.Errorf("no table holds a ballerina/ftp listener configuration (protocol, host, port, auth...): name it with --table")
}

func (r *importResult) fromBal(src string, o importOptions) (map[string]any, []balService, error) {
	f, err := readBal(src)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range f.services {
		if s.inline != nil {
			f.listeners = append(f.listeners, balListener{config: s.inline, line: s.line, name: fmt.Sprintf("(inline, line %d)", s.line)})
		}
	}
	if len(f.listeners) == 0 {
		return nil, nil, fmt.Errorf("no new ftp:Listener(...) found")
	}
	l := f.listeners[0]
	if o.listener != "" || len(f.listeners) > 1 {
		var names []string
		found := false
		for _, c := range f.listeners {
			names = append(names, c.name)
			if c.name == o.listener {
				l, found = c, true
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("the file has the listeners %s: choose one with --listener", strings.Join(names, ", "))
		}
	}
	if l.config == nil {
		return nil, nil, fmt.Errorf("line %d: the listener is made from %s, which is not a record literal in this file: write the literal in, or import the Config.toml that holds it", l.line, l.varRef)
	}
	var mine []balService
	for _, s := range f.services {
		if (s.on != "" && s.on == l.name) || (s.inline != nil && fmt.Sprintf("(inline, line %d)", s.line) == l.name) {
			mine = append(mine, s)
		}
	}
	values := f.consts
	if o.valuesRaw != nil {
		var doc map[string]any
		if _, err := toml.Decode(string(o.valuesRaw), &doc); err != nil {
			return nil, nil, fmt.Errorf("--values: %s", withoutFileText(err.Error()))
		}
		flattenValues(doc, values)
	}
	cfg, err := r.resolve(l.config, "", values)
	if err != nil {
		return nil, nil, err
	}
	for i := range mine {
		s := &mine[i]
		if s.config != nil {
			m, err := r.resolve(s.config, "@ftp:ServiceConfig.", values)
			if err != nil {
				return nil, nil, err
			}
			s.config = m
		}
		for name, fc := range s.functions {
			m, err := r.resolve(fc, "@ftp:FunctionConfig("+name+").", values)
			if err != nil {
				return nil, nil, err
			}
			s.functions[name] = m
		}
	}
	return cfg, mine, nil
}

// flattenValues adds a Config.toml's values by their name in any module table.
func flattenValues(m map[string]any, into map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && !looksLikeListener(sub) {
			flattenValues(sub, into)
			continue
		}
		into[k] = v
	}
}

var envName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// resolve turns the reader's values into plain ones: a cast mapping keeps
// its type for databaseConfig, a variable takes its value from values, or,
// for a string field, becomes ${NAME} read from the environment.
func (r *importResult) resolve(m map[string]any, at string, values map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range sortedKeys(m) {
		v := m[k]
		field := at + k
		if k == "..." {
			return nil, fmt.Errorf("%s: a spread (...%v) cannot be read: write its fields out", strings.TrimSuffix(at, "."), v)
		}
		nv, err := r.resolveValue(v, field, values)
		if err != nil {
			return nil, err
		}
		out[k] = nv
	}
	return out, nil
}

func (r *importResult) resolveValue(v any, field string, values map[string]any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		return r.resolve(t, field+".", values)
	case balTyped:
		m, err := r.resolve(t.value, field+".", values)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(field, "databaseConfig") {
			if _, has := m["type"]; !has {
				switch {
				case strings.Contains(strings.ToLower(t.typ), "postgres"):
					m["type"] = "postgresql"
				case strings.Contains(strings.ToLower(t.typ), "mysql"):
					m["type"] = "mysql"
				}
				if m["type"] != nil {
					r.change(field+".type", fmt.Sprintf("set to %q", m["type"]), "Ballerina takes the dialect from the record type <%s>; ftpcoord from this field", t.typ)
				}
			}
		}
		return m, nil
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			ev, err := r.resolveValue(e, fmt.Sprintf("%s[%d]", field, i), values)
			if err != nil {
				return nil, err
			}
			l[i] = ev
		}
		return l, nil
	case balRef:
		if val, ok := values[t.text]; ok {
			r.change(field, "resolved", "the variable %s, from its value in the file or --values", t.text)
			return val, nil
		}
		if regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(t.text) && stringField(field) {
			name := strings.ToUpper(envName.ReplaceAllString(camelToSnake(t.text), "_"))
			r.change(field, fmt.Sprintf("set to ${%s}", name), "the variable %s has no value here (give its Config.toml with --values); ftpcoord reads ${%s} from the environment at start", t.text, name)
			return "${" + name + "}", nil
		}
		shown := t.text
		if isSecretField(field) {
			shown = "the expression (not shown: it may hold the secret)"
		}
		return nil, fmt.Errorf("%s: %s is not a literal the import can read: write the value in, or give the Config.toml of its configurable with --values", field, shown)
	}
	return v, nil
}

func camelToSnake(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// stringField: the ListenerConfiguration field at this path holds a string.
func stringField(field string) bool {
	last := field[strings.LastIndexByte(field, '.')+1:]
	return slices.Contains([]string{"host", "username", "password", "path", "fileNamePattern", "sftpSshKnownHosts",
		"memberId", "coordinationGroup", "user", "database", "moveTo", "targetPattern", "cert", "command"}, last)
}

// monitoringFields are the listener-level fields Ballerina ignores once a
// service has @ftp:ServiceConfig.
var monitoringFields = []string{"path", "fileNamePattern", "fileAgeFilter", "fileDependencyConditions"}

// typedMethods are the service methods that take a file's content.
var typedMethods = []string{"onFile", "onFileText", "onFileJson", "onFileXml", "onFileCsv"}

// convert applies every rule that carries a Ballerina configuration over.
// One rule per Ballerina/ftpcoord difference; the rest loads unchanged.
func (r *importResult) convert(cfg map[string]any, svc *balService, o importOptions) error {
	sftp := strings.EqualFold(fmt.Sprint(cfg["protocol"]), "SFTP")
	if svc != nil && svc.config != nil {
		for _, f := range monitoringFields {
			if _, ok := cfg[f]; ok {
				delete(cfg, f)
				r.change(f, "dropped (listener level)", "the service has @ftp:ServiceConfig, and Ballerina then ignores the listener's %s", f)
			}
		}
		for _, k := range sortedKeys(svc.config) {
			cfg[k] = svc.config[k]
			r.change(k, "taken from @ftp:ServiceConfig", "one service without per-method after-actions: its settings at the top level (the same as one entry of services)")
		}
	}
	if _, ok := cfg["path"]; !ok && cfg["services"] == nil {
		cfg["path"] = "/"
		r.change("path", `set to "/"`, "Ballerina's default; ftpcoord warns at start when path is not set")
	}
	if sftp {
		if _, ok := cfg["port"]; !ok {
			cfg["port"] = int64(21)
			r.change("port", "set to 21", "Ballerina's default port is 21 for every protocol, SFTP too; ftpcoord's SFTP default is 22 (remove the line if the server listens on 22)")
		}
		if _, ok := cfg["sftpSshKnownHosts"]; !ok {
			cfg["sftpSshKnownHosts"] = o.knownHosts
			cfg["sftpTrustOnFirstUse"] = true
			r.change("sftpSshKnownHosts", fmt.Sprintf("set to %q with sftpTrustOnFirstUse = true", o.knownHosts),
				"Ballerina does not check the host key without it; ftpcoord does: the key the server presents first is pinned there (compare its logged SHA256 fingerprint with `ssh-keygen -lf` on the server's key)")
		}
	}
	if err := r.patterns(cfg, ""); err != nil {
		return err
	}
	if db, ok := dig(cfg, "coordination", "databaseConfig").(map[string]any); ok {
		if _, typed := db["type"]; !typed {
			port, hasPort := db["port"]
			if !hasPort {
				return fmt.Errorf("coordination.databaseConfig: neither type nor port says the dialect, which Ballerina takes from the record type (MysqlConfig or PostgresqlConfig): add type = \"postgresql\" or \"mysql\" to the table and import again")
			}
			if hasPort && fmt.Sprint(port) != "5432" && fmt.Sprint(port) != "3306" {
				return fmt.Errorf("coordination.databaseConfig: port %v, and no record type says the dialect (Ballerina's MysqlConfig or PostgresqlConfig): add type = \"postgresql\" or \"mysql\" to the table and import again", port)
			}
		}
	}
	if _, ok := cfg["retryConfig"]; ok {
		r.change("retryConfig", "kept", "same names and defaults; ftpcoord retries connecting with it, Ballerina retries fetching content (ftpcoord retries a failed file after retryTimeout, up to maxTries)")
	}
	if svc != nil {
		r.afterActions(cfg, svc)
	}
	return nil
}

// patterns carries the patterns of m (the listener, or services[i] with at
// "services[i].") over to RE2, or says why it cannot.
func (r *importResult) patterns(m map[string]any, at string) error {
	if p, ok := m["fileNamePattern"].(string); ok {
		if np := posixClasses(p); np != p {
			m["fileNamePattern"] = np
			r.change(at+"fileNamePattern", fmt.Sprintf("%q rewritten as %q", p, np), "Java's \\p{Alpha}-style classes are written [[:alpha:]] in Go's RE2; both are ASCII")
			p = np
		}
		if err := listener.CheckPattern(p); err != nil {
			return fmt.Errorf("%sfileNamePattern: %w: rewrite it in RE2 syntax (https://github.com/google/re2/wiki/Syntax)", at, err)
		}
	}
	if conds, ok := m["fileDependencyConditions"].([]any); ok {
		for i, c := range conds {
			if m, ok := c.(map[string]any); ok {
				if p, ok := m["targetPattern"].(string); ok {
					if err := listener.CheckPattern(posixClasses(p)); err != nil {
						return fmt.Errorf("%sfileDependencyConditions[%d].targetPattern: %w", at, i, err)
					}
				}
			}
		}
	}
	return nil
}

// afterActions: Ballerina's are per method (@ftp:FunctionConfig), ftpcoord's
// per listener; the import carries them over when the methods agree.
func (r *importResult) afterActions(cfg map[string]any, svc *balService) {
	var typed []string
	for _, m := range svc.methods {
		if slices.Contains(typedMethods, m) {
			typed = append(typed, m)
		}
	}
	if len(typed) > 0 && !slices.Contains(typed, "onFile") {
		r.change("service", "typed content methods "+strings.Join(typed, ", "),
			"`ftpcoord run` hands every file's bytes to --exec; the Java bindings and Spring (PayloadType.CONTENT) route by extension as Ballerina does")
	}
	names := make([]string, 0, len(svc.functions))
	for n := range svc.functions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, key := range []string{"afterProcess", "afterError"} {
		var chosen any
		var from string
		for _, n := range names {
			v, ok := svc.functions[n][key]
			if !ok {
				continue
			}
			if chosen == nil {
				chosen, from = v, n
				continue
			}
			if fmt.Sprint(v) != fmt.Sprint(chosen) {
				r.change(key, fmt.Sprintf("%s's dropped", n), "Ballerina's are per method, ftpcoord's one per listener: %s's is used", from)
			}
		}
		if chosen != nil {
			cfg[key] = chosen
			r.change(key, "taken from @ftp:FunctionConfig of "+from, "ftpcoord's after-actions are per listener; preserveSubDirs defaults to true in both")
		}
	}
	for _, n := range names {
		if p, ok := svc.functions[n]["fileNamePattern"]; ok {
			r.change("@ftp:FunctionConfig("+n+").fileNamePattern", fmt.Sprintf("dropped (%v)", p),
				"the configuration has no per-method routing: in Java annotate the method with @FileNamePattern, in Go call ContentService.Route; `ftpcoord run` hands every file to --exec")
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// javaPosix maps Java's POSIX classes to RE2's names; both are ASCII-only.
var javaPosix = map[string]string{"Lower": "lower", "Upper": "upper", "ASCII": "ascii", "Alpha": "alpha", "Digit": "digit",
	"Alnum": "alnum", "Punct": "punct", "Graph": "graph", "Print": "print", "Blank": "blank", "Cntrl": "cntrl",
	"XDigit": "xdigit", "Space": "space"}

var javaPosixRef = regexp.MustCompile(`\\([pP])\{(Lower|Upper|ASCII|Alpha|Digit|Alnum|Punct|Graph|Print|Blank|Cntrl|XDigit|Space)\}`)

// posixClasses rewrites \p{Alpha} as [[:alpha:]] (and [:alpha:] inside a
// bracket expression); \P{...} as its negation.
func posixClasses(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			if loc := javaPosixRef.FindStringSubmatchIndex(p[i:]); loc != nil && loc[0] == 0 {
				neg := p[i+loc[2]:i+loc[3]] == "P"
				name := javaPosix[p[i+loc[4]:i+loc[5]]]
				cls := "[:" + name + ":]"
				if neg {
					cls = "[:^" + name + ":]"
				}
				if !inClass {
					cls = "[" + cls + "]"
				}
				b.WriteString(cls)
				i += loc[1] - 1
				continue
			}
			b.WriteString(p[i : i+2])
			i++
			continue
		}
		switch p[i] {
		case '[':
			inClass = true
		case ']':
			inClass = false
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
