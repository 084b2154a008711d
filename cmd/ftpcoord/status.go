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
	if err := fs.Parse(args); err != nil {
		return exitcode.FlagError(err)
	}
	if fs.NArg() > 0 {
		return exitcode.Usagef("status: unexpected argument %q", fs.Arg(0))
	}
	c, db, d, err := openGroup(ctx, *config)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := groupstatus.Read(ctx, db, d, c)
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
