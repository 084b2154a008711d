// Command ftpcoord runs and operates ftpcoord members: a member that hands
// each file to a command (run), the group's state (status), the tables
// (schema), the per-file ledger (files), a one-command tour (demo), and
// what it was built from (version).
//
//	ftpcoord run     --config FILE --exec CMD|--commit-unprocessed [--download-dir DIR] [--log-format text|json] [--metrics-addr ADDR] [--stop-timeout D]
//	ftpcoord status  --config FILE [--json] [--liveness N]
//	ftpcoord schema  print|apply --config FILE
//	ftpcoord files   list|show|retry|reject --config FILE [--status S] [PATH]
//	ftpcoord demo
//	ftpcoord version [--json]
//
// Exit codes are in internal/exitcode and docs/command.md; the demo is
// internal/demo.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/demo"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
)

const usage = `ftpcoord: a highly available FTP/FTPS/SFTP file listener

usage:
  ftpcoord run     --config FILE --exec CMD|--commit-unprocessed [--download-dir DIR] [--log-format text|json] [--metrics-addr 127.0.0.1:9464] [--stop-timeout 25s]
  ftpcoord status  --config FILE [--json] [--liveness N]
  ftpcoord schema  print|apply --config FILE
  ftpcoord files   list|show|retry|reject --config FILE [--status S] [--limit N] [--reason TEXT] [PATH]
  ftpcoord config  import [--table T] [--listener L] [--service N] [--values Config.toml] [--format toml|json] [--out FILE] FILE.toml|FILE.bal
  ftpcoord demo    [--files N] [--keep]
  ftpcoord version [--json]

FILE is ballerina/ftp's ListenerConfiguration as JSON, or TOML with the same
names (chosen by the extension .toml). Run "ftpcoord COMMAND -h" for a
command's flags. Exit codes: 0 ok, 1 failure, 2 usage, 3 configuration,
4 database, 5 file server, 6 no active member, 7 demo lost or duplicated files.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitcode.Usage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		err = cmdRun(ctx, rest, stdout, stderr)
	case "status":
		err = cmdStatus(ctx, rest, stdout, stderr)
	case "schema":
		err = cmdSchema(ctx, rest, stdout, stderr)
	case "files":
		err = cmdFiles(ctx, rest, stdout, stderr)
	case "config":
		err = cmdConfig(rest, stdout, stderr)
	case "demo":
		err = demo.Run(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		err = cmdVersion(rest, stdout, stderr)
	case "demo-handler": // hidden: the demo members' --exec handler
		err = demo.Handler(rest, os.Stdin, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitcode.OK
	default:
		fmt.Fprintf(stderr, "ftpcoord: unknown command %q\n\n%s", cmd, usage)
		return exitcode.Usage
	}
	return report(err, stderr)
}
