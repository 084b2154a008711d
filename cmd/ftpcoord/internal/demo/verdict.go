package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// handled is what the handler log says about one file.
type handled struct {
	ends  []string // members whose handler finished it, in order
	fails int
}

// readHandlerLog parses the demo handlers' log.
func readHandlerLog(path string) (map[string]*handled, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	out := map[string]*handled{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 6 {
			continue
		}
		h := out[f[5]]
		if h == nil {
			h = &handled{}
			out[f[5]] = h
		}
		switch f[1] {
		case "end":
			h.ends = append(h.ends, f[2])
		case "fail":
			h.fails++
		}
	}
	return out, nil
}

func (d *demo) retries() int {
	log, _ := readHandlerLog(d.logPath)
	n := 0
	for _, h := range log {
		n += h.fails
	}
	return n
}

// verdict is the outcome of the demo, from the ledger and the handler log.
type verdict struct {
	uploaded, seen, done, retries int
	lost                          []string // uploaded but not DONE, or never finished by a handler
	duplicates                    []string // finished twice with no crash to explain it
	redelivered                   []string // finished by the killed member, then again: it died before its commit
}

// judge compares the uploads, the ledger and the handler log. A file may be
// finished twice only when the first run was the killed member's: it died
// between its handler and its commit (at-least-once; the idempotency key is
// there for handlers to skip such a repeat).
func judge(uploaded map[string]bool, rows []ledger.Entry, log map[string]*handled, killed string) verdict {
	v := verdict{uploaded: len(uploaded), seen: len(rows)}
	done := map[string]bool{}
	for _, r := range rows {
		if r.Status == ledger.Done {
			done[r.Path] = true
			v.done++
		}
	}
	for _, h := range log {
		v.retries += h.fails
	}
	paths := make([]string, 0, len(uploaded))
	for p := range uploaded {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		h := log[p]
		if !done[p] || h == nil || len(h.ends) == 0 {
			v.lost = append(v.lost, p)
			continue
		}
		if len(h.ends) == 1 {
			continue
		}
		explained := true
		for _, m := range h.ends[:len(h.ends)-1] {
			if m != killed {
				explained = false
			}
		}
		if explained {
			v.redelivered = append(v.redelivered, p)
		} else {
			v.duplicates = append(v.duplicates, p)
		}
	}
	return v
}

func (d *demo) summary(ctx context.Context, uploaded map[string]bool, killed string, failover time.Duration) error {
	rows, err := d.ledger.List(ctx, "", 1_000_000)
	if err != nil {
		return err
	}
	log, err := readHandlerLog(d.logPath)
	if err != nil {
		return err
	}
	v := judge(uploaded, rows, log, killed)
	fmt.Fprintf(d.out, "\nsummary (%.1f s)\n", time.Since(d.start).Seconds())
	fmt.Fprintf(d.out, "  files uploaded          %d\n", v.uploaded)
	fmt.Fprintf(d.out, "  files seen (ledger)     %d\n", v.seen)
	fmt.Fprintf(d.out, "  processed once each     %s (%d DONE, each committed once)\n", yesNo(len(v.lost) == 0 && len(v.duplicates) == 0), v.done)
	fmt.Fprintf(d.out, "  lost                    %d\n", len(v.lost))
	fmt.Fprintf(d.out, "  duplicates              %d\n", len(v.duplicates))
	fmt.Fprintf(d.out, "  failed attempts retried %d\n", v.retries)
	if killed != "" {
		fmt.Fprintf(d.out, "  failover delay          %.1f s (SIGKILL of %s to the new holder's takeover)\n", failover.Seconds(), killed)
	}
	if len(v.redelivered) > 0 {
		fmt.Fprintf(d.out, "  reruns after the crash  %d (%s finished them but died before its commit; the rerun carried the same\n"+
			"                          FTPCOORD_IDEMPOTENCY_KEY, so a handler can tell and skip the work)\n", len(v.redelivered), killed)
	}
	if len(v.lost) > 0 || len(v.duplicates) > 0 {
		return exitcode.With(exitcode.Lost, fmt.Errorf("demo failed: lost %v, duplicated %v", v.lost, v.duplicates))
	}
	if v.seen != v.uploaded {
		return exitcode.With(exitcode.Lost, fmt.Errorf("demo failed: %d files uploaded, %d in the ledger", v.uploaded, v.seen))
	}
	fmt.Fprintln(d.out, "ok: every file was processed once, across a crash of the active member")
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
