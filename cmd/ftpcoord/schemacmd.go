package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/schema"
)

// cmdSchema prints the DDL of the configured dialect or applies it.
func cmdSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stderr, "usage: ftpcoord schema print|apply --config FILE\n  print: the DDL of the configured dialect\n  apply: create the missing tables (idempotent)")
		return flag.ErrHelp
	}
	if len(args) == 0 || (args[0] != "print" && args[0] != "apply") {
		return exitcode.Usagef("schema: want print or apply, e.g. ftpcoord schema apply --config FILE")
	}
	action := args[0]
	fs := flag.NewFlagSet("ftpcoord schema "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "listener configuration, JSON or .toml (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitcode.FlagError(err)
	}
	if fs.NArg() > 0 {
		return exitcode.Usagef("schema %s: unexpected argument %q", action, fs.Arg(0))
	}
	c, err := groupOf(*config)
	if err != nil {
		return err
	}
	d, err := c.Database.Dialect()
	if err != nil {
		return exitcode.With(exitcode.Config, err)
	}
	if action == "print" {
		ddl, err := schema.DDL(d)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, strings.TrimRight(ddl, "\n")+"\n")
		return nil
	}
	db, _, err := groupstatus.Open(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := schema.Apply(ctx, db, d); err != nil {
		return exitcode.With(exitcode.Database, err)
	}
	fmt.Fprintf(stdout, "schema applied on %s: token_holder, health_check, ftpcoord_file\n", c.Database)
	return nil
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }
