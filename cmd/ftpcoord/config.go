package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// loadConfig reads a listener configuration: ballerina/ftp's
// ListenerConfiguration as JSON, or as TOML with the same names when the
// file ends in .toml. Errors name the file, the line and the field.
func loadConfig(path string) (listener.ListenerConfig, error) {
	if path == "" {
		return listener.ListenerConfig{}, exitcode.Usagef("--config FILE is required")
	}
	configPath = path
	raw, err := os.ReadFile(path)
	if err != nil {
		return listener.ListenerConfig{}, exitcode.With(exitcode.Config, fmt.Errorf("config: %w", err))
	}
	cfg, err := parseConfig(raw, isTOML(path))
	if err != nil {
		return cfg, exitcode.With(exitcode.Config, fmt.Errorf("config %s: %w", path, err))
	}
	return cfg, nil
}

// configPath is the configuration file the command loaded, for the hints
// of its error messages.
var configPath = "FILE"

func isTOML(path string) bool { return strings.EqualFold(filepath.Ext(path), ".toml") }

// parseConfig decodes and validates a configuration. A field error gets
// the line where the field is written.
//
// ${NAME} in a string value is replaced by the environment variable NAME
// (an error when it is not set, or empty where it is the whole value), so
// that passwords can come from a systemd EnvironmentFile or a Kubernetes
// Secret rather than the file; $${ stands for a literal ${. A whole value
// "$NAME" outside passwords is an error too: it would stay literal.
func parseConfig(raw []byte, tomlSyntax bool) (listener.ListenerConfig, error) {
	data := raw
	var tree any
	if tomlSyntax {
		var m map[string]any
		if _, err := toml.Decode(string(raw), &m); err != nil {
			var pe toml.ParseError
			if errors.As(err, &pe) {
				return listener.ListenerConfig{}, fmt.Errorf("line %d, column %d: %s", pe.Position.Line, pe.Position.Col, withoutFileText(pe.Message))
			}
			return listener.ListenerConfig{}, err
		}
		tree = m
		data, _ = json.Marshal(m)
	} else if bytes.Contains(raw, []byte("$")) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&tree) != nil {
			tree = nil // DecodeConfig reports the syntax error with its position
		}
	}
	if tree != nil && bytes.Contains(raw, []byte("$")) {
		var errs []error
		tree = expandEnv(tree, "", &errs)
		if len(errs) > 0 {
			return listener.ListenerConfig{}, joinWithLines(errs, raw, tomlSyntax)
		}
		data, _ = json.Marshal(tree)
	}
	cfg, err := listener.DecodeConfig(data)
	if err == nil {
		return cfg, nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return cfg, joinWithLines(joined.Unwrap(), raw, tomlSyntax)
	}
	return cfg, withLine(err, raw, tomlSyntax)
}

// quotedText is a parser's quotation of the file's own text.
var quotedText = regexp.MustCompile(`"[^"]*"|'[^']*'`)

// withoutFileText words a syntax error without the text of the file it
// quotes: the text may be a secret written without its quotes (password =
// s3cret once came back as `found "s3cret"`). Quotations of the grammar's
// own punctuation (expected ']') stay.
func withoutFileText(msg string) string {
	hid := false
	msg = quotedText.ReplaceAllStringFunc(msg, func(q string) string {
		if strings.IndexFunc(q[1:len(q)-1], func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r >= utf8.RuneSelf }) < 0 {
			return q
		}
		hid = true
		return q[:1] + "…" + q[:1]
	})
	if hid {
		msg += " (the file's text is not shown, as it may be a secret; a string value must be quoted: password = \"...\")"
	}
	return msg
}

var envRef = regexp.MustCompile(`\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// bareRef is a whole value that looks meant for the environment but lacks
// the braces ("$HOSTNAME"): it would silently stay literal.
var bareRef = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)$`)

// isSecretField: a password may be any text, "$abc" too.
func isSecretField(path string) bool { return strings.HasSuffix(strings.ToLower(path), "password") }

// unsetHint explains the usual reason why a variable is not set: the shell
// has it but did not export it to ftpcoord (HOSTNAME above all: bash sets it
// for itself and exports it only when told).
func unsetHint(name string) string {
	switch name {
	case "HOSTNAME", "HOST", "UID", "USER", "PWD":
		return fmt.Sprintf(" (%s is a shell variable that is often not exported to programs: run export %s before ftpcoord; under systemd set it with Environment=, in Kubernetes from the downward API, e.g. POD_NAME from metadata.name)", name, name)
	}
	return fmt.Sprintf(" (a shell variable must be exported: export %s)", name)
}

// expandEnv replaces ${NAME} in every string of a decoded configuration.
// An unset variable is a *listener.FieldError naming the field and the
// variable, never a value.
func expandEnv(v any, path string, errs *[]error) any {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch v := v.(type) {
	case string:
		if m := bareRef.FindStringSubmatch(v); m != nil && !isSecretField(path) {
			*errs = append(*errs, &listener.FieldError{Field: path, Problem: fmt.Sprintf("%q is not expanded: write ${%s} (with braces) to take the environment variable %s", v, m[1], m[1])})
			return v
		}
		return envRef.ReplaceAllStringFunc(v, func(ref string) string {
			if ref == "$${" {
				return "${"
			}
			name := ref[2 : len(ref)-1]
			val, ok := os.LookupEnv(name)
			switch {
			case !ok:
				*errs = append(*errs, &listener.FieldError{Field: path, Problem: fmt.Sprintf("${%s}: the environment variable %s is not set%s", name, name, unsetHint(name))})
			case val == "" && ref == v:
				*errs = append(*errs, &listener.FieldError{Field: path, Problem: fmt.Sprintf("${%s}: the environment variable %s is empty, which would leave the field empty: give it a value, or leave the field out", name, name)})
			}
			return val
		})
	case map[string]any:
		for k, e := range v {
			v[k] = expandEnv(e, join(k), errs)
		}
	case []map[string]any: // TOML's arrays of tables
		for i, e := range v {
			expandEnv(e, fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case []any:
		for i, e := range v {
			v[i] = expandEnv(e, fmt.Sprintf("%s[%d]", path, i), errs)
		}
	}
	return v
}

// joinWithLines words each error for the file, in the order of the file.
func joinWithLines(errs []error, raw []byte, tomlSyntax bool) error {
	var out []error
	for _, e := range errs {
		out = append(out, withLine(e, raw, tomlSyntax))
	}
	slices.SortStableFunc(out, func(a, b error) int { return cmp.Compare(lineNumber(a), lineNumber(b)) })
	return errors.Join(out...)
}

// withLine prefixes an error about one field with the line where the field
// is written, and words it for the file's own format: no "json:" or JSON
// object syntax in a TOML file's errors.
func withLine(err error, raw []byte, tomlSyntax bool) error {
	var fe *listener.FieldError
	if !errors.As(err, &fe) {
		msg := strings.TrimPrefix(err.Error(), "listener config: ")
		if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
			msg = withoutFileText(msg)
		}
		if tomlSyntax {
			// A syntax error's position is in the JSON made from the TOML:
			// meaningless to the user, so drop it.
			msg = strings.TrimPrefix(jsonPosition.ReplaceAllString(msg, ""), "json: ")
		}
		return &configError{msg: msg, err: err}
	}
	problem := fe.Problem
	if tomlSyntax {
		problem = strings.NewReplacer(`{"moveTo": "/dir", "preserveSubDirs": true}`, `{ moveTo = "/dir", preserveSubDirs = true }`,
			`{"path": "/trust.p12", "password": "..."}`, `{ path = "/trust.p12", password = "..." }`,
			"an object", "a table").Replace(problem)
	}
	msg := fe.Field + ": " + problem
	if line := lineOf(raw, fe.Field, tomlSyntax); line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	return &configError{msg: msg, err: err}
}

// configError is an error worded for the configuration file; it still
// matches the library's error (a *listener.FieldError) with errors.As.
type configError struct {
	msg string
	err error
}

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return e.err }

// lineNumber is the line an error of withLine names, or 0.
func lineNumber(err error) int {
	n := 0
	fmt.Sscanf(err.Error(), "line %d:", &n)
	return n
}

var jsonPosition = regexp.MustCompile(`line \d+, column \d+: `)

// lineOf finds the line where a dotted field name is written: each part
// as a key (or, in TOML, in a table's header) after the one before it, or
// else the last part anywhere; 0 when it is not found.
func lineOf(raw []byte, field string, tomlSyntax bool) int {
	keyRE := func(key string) *regexp.Regexp {
		if tomlSyntax {
			return regexp.MustCompile(`(?m)^[ \t]*(?:\[+[ \t]*)?(?:[\w.-]+\.)?"?` + regexp.QuoteMeta(key) + `"?[ \t]*(?:=|\]|\.)`)
		}
		return regexp.MustCompile(`"` + regexp.QuoteMeta(key) + `"\s*:`)
	}
	var keys []string
	for _, p := range strings.Split(field, ".") {
		if i := strings.IndexByte(p, '['); i >= 0 {
			p = p[:i]
		}
		if p == "" {
			return 0
		}
		keys = append(keys, p)
	}
	if len(keys) == 0 {
		return 0
	}
	line := func(at int) int { return bytes.Count(raw[:at], []byte("\n")) + 1 }
	pos, at, deepest := 0, -1, -1
	for _, k := range keys {
		loc := keyRE(k).FindIndex(raw[pos:])
		if loc == nil {
			deepest, at = at, -1
			break
		}
		at = pos + loc[0]
		pos += loc[1]
		if tomlSyntax { // go on from the next line: ^ anchors the next key
			if nl := bytes.IndexByte(raw[pos:], '\n'); nl >= 0 {
				pos += nl + 1
			} else {
				pos = len(raw)
			}
		}
	}
	if at >= 0 {
		return line(at)
	}
	if loc := keyRE(keys[len(keys)-1]).FindIndex(raw); loc != nil {
		return line(loc[0])
	}
	if deepest >= 0 { // e.g. a key inside a TOML inline table: the table's line
		return line(deepest)
	}
	return 0
}

// coordinationOf returns the coordination section, which status, schema and
// files need.
func coordinationOf(cfg listener.ListenerConfig) (taskcompat.Config, error) {
	if cfg.Coordination == nil {
		return taskcompat.Config{}, exitcode.With(exitcode.Config, errors.New(`config: no "coordination" section: status, schema and files work on the coordination database`))
	}
	return cfg.Coordination.TaskConfig().WithDefaults(), nil
}
