package main

import (
	"io"
	"log/slog"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
)

// newLogger makes the command's logger: slog text (for a terminal) or one
// JSON object per line (for log collectors).
func newLogger(format string, w io.Writer, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, exitcode.Usagef("--log-format %q: use text or json", format)
}

// parseLevel reads --log-level.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, exitcode.Usagef("--log-level %q: use debug, info, warn or error", s)
	}
	return l, nil
}
