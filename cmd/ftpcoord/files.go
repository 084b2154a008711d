package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/safetext"
	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// filesFlags are the flags of `ftpcoord files`.
type filesFlags struct {
	action, config, status, reason, path, service string
	limit                                         int
	json                                          bool
}

func parseFilesFlags(args []string, stderr io.Writer) (filesFlags, error) {
	var f filesFlags
	if len(args) == 0 {
		return f, exitcode.Usagef("files: want list, show, retry or reject")
	}
	f.action = args[0]
	if isHelp(f.action) {
		fmt.Fprintln(stderr, "usage: ftpcoord files list|show|retry|reject --config FILE [--service NAME] [--status S] [--limit N] [--reason TEXT] [--json] [PATH]\n"+
			"  list: the group's files, oldest first\n  show PATH: every version of a file\n"+
			"  retry PATH: requeue a REJECTED file\n  reject PATH: reject a waiting file by hand")
		return f, flag.ErrHelp
	}
	switch f.action {
	case "list", "show", "retry", "reject":
	default:
		return f, exitcode.Usagef("files: unknown action %q: want list, show, retry or reject", f.action)
	}
	fs := flag.NewFlagSet("ftpcoord files "+f.action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "listener configuration, JSON or .toml (required)")
	fs.StringVar(&f.status, "status", "", "list: only files in this state (PENDING, IN_PROGRESS, DONE, FAILED, REJECTED)")
	fs.IntVar(&f.limit, "limit", 1000, "list: at most this many rows")
	fs.StringVar(&f.reason, "reason", "rejected by hand", "reject: the reason recorded as the last error")
	fs.BoolVar(&f.json, "json", false, "list, show: print JSON")
	fs.StringVar(&f.service, "service", "", "with services: the files of the service of this name (default: the one without a name, whose are the group's own)")
	// Flags may come after the path too.
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return f, exitcode.FlagError(err)
		}
		if fs.NArg() == 0 {
			break
		}
		if f.path != "" {
			return f, exitcode.Usagef("files %s: one PATH only, got %q and %q", f.action, f.path, fs.Arg(0))
		}
		f.path, rest = fs.Arg(0), fs.Args()[1:]
	}
	switch {
	case f.config == "":
		return f, exitcode.Usagef("files %s: --config FILE is required", f.action)
	case f.action != "list" && f.path == "":
		return f, exitcode.Usagef("files %s: PATH is required, e.g. ftpcoord files %s --config FILE /inbox/a.csv", f.action, f.action)
	case f.action == "list" && f.path != "":
		return f, exitcode.Usagef("files list takes no PATH (use files show PATH)")
	case f.status != "" && !validStatus(f.status):
		return f, exitcode.Usagef("--status %q: want PENDING, IN_PROGRESS, DONE, FAILED or REJECTED", f.status)
	case f.limit <= 0:
		return f, exitcode.Usagef("--limit must be positive")
	}
	return f, nil
}

func validStatus(s string) bool {
	switch ledger.Status(s) {
	case ledger.Pending, ledger.InProgress, ledger.Done, ledger.Failed, ledger.Rejected:
		return true
	}
	return false
}

// cmdFiles inspects and fixes the group's ledger.
func cmdFiles(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFilesFlags(args, stderr)
	if err != nil {
		return err
	}
	c, db, d, err := openGroup(ctx, f.config)
	if err != nil {
		return err
	}
	defer db.Close()
	space, err := serviceSpace(f.config, f.service)
	if err != nil {
		return err
	}
	lg, err := openLedger(ctx, c, db, d, space)
	if err != nil {
		return err
	}
	switch f.action {
	case "list":
		rows, err := lg.List(ctx, ledger.Status(f.status), f.limit)
		if err != nil {
			return err
		}
		return writeEntries(stdout, rows, f.json)
	case "show":
		rows, err := lg.Show(ctx, f.path)
		if err != nil {
			return notFound(err)
		}
		if f.json {
			return writeEntries(stdout, rows, true)
		}
		writeDetails(stdout, rows)
	case "retry":
		n, err := lg.Requeue(ctx, f.path)
		if err != nil {
			return err
		}
		if n == 0 {
			return nothingDone(ctx, lg, f.path, "retry", "only REJECTED files are requeued")
		}
		fmt.Fprintf(stdout, "requeued %d version(s) of %s: PENDING, tries reset; the active member picks them up at its next poll\n", n, safetext.Escape(f.path))
	case "reject":
		n, err := lg.Reject(ctx, f.path, f.reason)
		if err != nil {
			return notFound(err)
		}
		if n == 0 {
			return nothingDone(ctx, lg, f.path, "reject", "only PENDING, FAILED and abandoned IN_PROGRESS files are rejected")
		}
		fmt.Fprintf(stdout, "rejected %d version(s) of %s; requeue with: ftpcoord files retry --config %s %s\n", n, safetext.Escape(f.path), safetext.Escape(f.config), safetext.Escape(f.path))
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, ledger.ErrNotFound) || errors.Is(err, ledger.ErrBusy) {
		return exitcode.With(exitcode.Failure, err)
	}
	return err
}

// nothingDone explains why retry or reject changed nothing.
func nothingDone(ctx context.Context, lg *ledger.Ledger, path, action, rule string) error {
	rows, err := lg.Show(ctx, path)
	if err != nil {
		return notFound(err)
	}
	states := ""
	for i, r := range rows {
		if i > 0 {
			states += ", "
		}
		states += string(r.Status)
	}
	return exitcode.With(exitcode.Failure, fmt.Errorf("%s %s: nothing to do: its versions are %s; %s", action, path, states, rule))
}

// entryJSON is a ledger row in JSON.
type entryJSON struct {
	Path      string    `json:"path"`
	Status    string    `json:"status"`
	Tries     int       `json:"tries"`
	Size      int64     `json:"size"`
	MTime     time.Time `json:"mtime"`
	Owner     string    `json:"owner,omitempty"`
	Term      int64     `json:"term,omitempty"`
	FirstSeen time.Time `json:"firstSeen"`
	LastTry   time.Time `json:"lastTry,omitzero"`
	DoneAt    time.Time `json:"doneAt,omitzero"`
	LastError string    `json:"lastError,omitempty"`
	Key       string    `json:"idempotencyKey"`
}

func writeEntries(w io.Writer, rows []ledger.Entry, asJSON bool) error {
	if asJSON {
		out := make([]entryJSON, len(rows))
		for i, r := range rows {
			out[i] = entryJSON{Path: r.Path, Status: string(r.Status), Tries: r.Tries, Size: r.Size,
				MTime: time.UnixMilli(r.MTime).UTC(), Owner: r.Owner, Term: r.Term, FirstSeen: r.FirstSeen,
				LastTry: r.LastTry, DoneAt: r.DoneAt, LastError: r.LastError, Key: r.Key}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tSTATUS\tTRIES\tSIZE\tOWNER\tLAST ERROR")
	for _, r := range rows {
		e := []rune(safetext.Escape(r.LastError))
		if len(e) > 80 {
			e = append(e[:77], []rune("...")...)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", safetext.Escape(r.Path), r.Status, r.Tries, r.Size, safetext.Escape(r.Owner), string(e))
	}
	return tw.Flush()
}

// writeDetails prints every field of each version, the whole last error included.
func writeDetails(w io.Writer, rows []ledger.Entry) {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	for i, r := range rows {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "path        %s\nstatus      %s\ntries       %d\nsize        %d\nmtime       %s\n", safetext.Escape(r.Path), r.Status, r.Tries, r.Size, when(time.UnixMilli(r.MTime)))
		if r.Owner != "" {
			fmt.Fprintf(w, "owner       %s (term %d)\n", safetext.Escape(r.Owner), r.Term)
		}
		fmt.Fprintf(w, "first seen  %s\nlast try    %s\ndone at     %s\nkey         %s\n", when(r.FirstSeen), when(r.LastTry), when(r.DoneAt), r.Key)
		if r.LastError != "" {
			fmt.Fprintf(w, "last error  %s\n", safetext.Escape(r.LastError))
		}
	}
}
