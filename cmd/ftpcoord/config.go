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

	"github.com/BurntSushi/toml"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// loadConfig reads a listener configuration: ballerina/ftp's
// ListenerConfiguration as JSON, or as TOML with the same names when the
// file ends in .toml. Errors name the file, the line and the field.
func loadConfig(path string) (listener.ListenerConfig, error) {
	if path == "" {
		return listener.ListenerConfig{}, usageError("--config FILE is required")
	}
	configPath = path
	raw, err := os.ReadFile(path)
	if err != nil {
		return listener.ListenerConfig{}, withCode(ExitConfig, fmt.Errorf("config: %w", err))
	}
	cfg, err := parseConfig(raw, isTOML(path))
	if err != nil {
		return cfg, withCode(ExitConfig, fmt.Errorf("config %s: %w", path, err))
	}
	return cfg, nil
}

// configPath is the configuration file the command loaded, for the hints
// of its error messages.
var configPath = "FILE"

func isTOML(path string) bool { return strings.EqualFold(filepath.Ext(path), ".toml") }

// parseConfig decodes and validates a configuration. A field error gets
// the line where the field is written.
func parseConfig(raw []byte, tomlSyntax bool) (listener.ListenerConfig, error) {
	data := raw
	if tomlSyntax {
		var m map[string]any
		if _, err := toml.Decode(string(raw), &m); err != nil {
			var pe toml.ParseError
			if errors.As(err, &pe) {
				return listener.ListenerConfig{}, fmt.Errorf("line %d, column %d: %s", pe.Position.Line, pe.Position.Col, pe.Message)
			}
			return listener.ListenerConfig{}, err
		}
		data, _ = json.Marshal(m)
	}
	cfg, err := listener.DecodeConfig(data)
	if err == nil {
		return cfg, nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range joined.Unwrap() {
			errs = append(errs, withLine(e, raw, tomlSyntax))
		}
		// In the order of the file.
		slices.SortStableFunc(errs, func(a, b error) int { return cmp.Compare(lineNumber(a), lineNumber(b)) })
		return cfg, errors.Join(errs...)
	}
	return cfg, withLine(err, raw, tomlSyntax)
}

// withLine prefixes an error about one field with the line where the field
// is written, and words it for the file's own format: no "json:" or JSON
// object syntax in a TOML file's errors.
func withLine(err error, raw []byte, tomlSyntax bool) error {
	var fe *listener.FieldError
	if !errors.As(err, &fe) {
		msg := strings.TrimPrefix(err.Error(), "listener config: ")
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

// lineOf finds the line where the last part of a dotted field name is
// written as a key, or 0.
func lineOf(raw []byte, field string, tomlSyntax bool) int {
	parts := strings.Split(field, ".")
	key := parts[len(parts)-1]
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i]
	}
	if key == "" {
		return 0
	}
	var re *regexp.Regexp
	if tomlSyntax {
		re = regexp.MustCompile(`(?m)^[ \t]*(?:\[+[ \t]*)?(?:[\w.-]+\.)?"?` + regexp.QuoteMeta(key) + `"?[ \t]*(?:=|\]|\.)`)
	} else {
		re = regexp.MustCompile(`"` + regexp.QuoteMeta(key) + `"\s*:`)
	}
	loc := re.FindIndex(raw)
	if loc == nil {
		return 0
	}
	return bytes.Count(raw[:loc[0]], []byte("\n")) + 1
}

// coordinationOf returns the coordination section, which status, schema and
// files need.
func coordinationOf(cfg listener.ListenerConfig) (taskcompat.Config, error) {
	if cfg.Coordination == nil {
		return taskcompat.Config{}, withCode(ExitConfig, errors.New(`config: no "coordination" section: status, schema and files work on the coordination database`))
	}
	return cfg.Coordination.TaskConfig().WithDefaults(), nil
}
