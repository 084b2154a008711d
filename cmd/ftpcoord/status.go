package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
)

// cmdStatus prints the group's state; it fails when no member is active.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ftpcoord status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "listener configuration, JSON or .toml (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	liveness := fs.Int("liveness", 0, "judge the heartbeats by this livenessCheckInterval (whole seconds) instead of the members' own (or, when they recorded none, the one in --config)")
	if err := fs.Parse(args); err != nil {
		return exitcode.FlagError(err)
	}
	if fs.NArg() > 0 {
		return exitcode.Usagef("status: unexpected argument %q", fs.Arg(0))
	}
	if *liveness < 0 {
		return exitcode.Usagef("status: --liveness %d: want whole seconds, 1 or more", *liveness)
	}
	c, db, d, err := openGroup(ctx, *config)
	if err != nil {
		return err
	}
	defer db.Close()
	judge := groupstatus.Judge{Override: *liveness, Fallback: c.LivenessCheckInterval, Source: "--config " + *config}
	st, err := groupstatus.ReadJudged(ctx, db, d, c, judge)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return err
		}
	} else {
		groupstatus.Write(stdout, st)
	}
	if !st.Active {
		return exitcode.With(exitcode.Inactive, fmt.Errorf("no active member in group %s", st.Group))
	}
	return nil
}
