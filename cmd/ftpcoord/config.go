package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
		return cfg, errors.Join(errs...)
	}
	return cfg, withLine(err, raw, tomlSyntax)
}

// withLine prefixes an error about one field with the line where the field
// is written.
func withLine(err error, raw []byte, tomlSyntax bool) error {
	field := fieldOf(err)
	if field == "" && strings.Contains(err.Error(), "number of seconds") {
		// taskcompat.Seconds reports its bad value without the field's
		// name: find the seconds field whose value is not a number.
		if m := secondsField.FindSubmatchIndex(raw); m != nil {
			field = string(raw[m[2]:m[3]])
			return fmt.Errorf("line %d: coordination.%s: %w", bytes.Count(raw[:m[0]], []byte("\n"))+1, field, err)
		}
	}
	if field == "" {
		if tomlSyntax {
			// A syntax error's position is in the JSON made from the TOML:
			// meaningless to the user, so drop it.
			return errors.New(strings.TrimPrefix(regexp.MustCompile(`line \d+, column \d+: `).ReplaceAllString(err.Error(), ""), "listener config: "))
		}
		return err
	}
	if line := lineOf(raw, field, tomlSyntax); line > 0 {
		return fmt.Errorf("line %d: %w", line, err)
	}
	return err
}

var secondsField = regexp.MustCompile(`"?(heartbeatFrequency|checkPeriod)"?\s*[:=]\s*[^-+\d\s.]`)

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// fieldOf is the dotted name of the field an error is about, or "".
func fieldOf(err error) string {
	var fe *listener.FieldError
	var tfe *taskcompat.FieldError
	switch {
	case errors.As(err, &fe):
		return fe.Field
	case errors.As(err, &tfe):
		return tfe.Field
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

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
		re = regexp.MustCompile(`(?m)^\s*(?:\[+\s*)?(?:[\w.-]+\.)?"?` + regexp.QuoteMeta(key) + `"?\s*(?:=|\]|\.)`)
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
