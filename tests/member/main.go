// Command member runs one listener process for the multi-process tests: its
// handler reads each file, logs the start and the end of every run to a
// shared log (one O_APPEND write per line, so lines of several processes
// never mix), and succeeds. The tests kill and pause these processes and then
// prove from the log and the ledger that nothing was lost or done twice.
//
//	member -config listener.json -log handler.log [-die-at POINT -die-after N]
//
// With -die-at the process kills itself with SIGKILL when the Nth file
// reaches POINT: mid-download (half the content read), mid-handler (content
// read, work not done) or after-handler (the handler's work is done and
// logged, the ledger commit not yet made). The tests aim kills at the points
// where a file is most easily lost or done twice.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

type handler struct {
	log   *os.File
	pid   int
	work  time.Duration
	dieAt string       // "", mid-download, mid-handler or after-handler
	left  atomic.Int64 // files still to pass dieAt before dying
}

// maybeDie kills the process at point when it is the aimed one and its
// countdown runs out. SIGKILL, not exit: no deferred code, no goodbye.
func (h *handler) maybeDie(point string, f listener.FileInfo) {
	if point != h.dieAt || h.left.Add(-1) != 0 { // exactly one worker dies for the process
		return
	}
	h.line("die %s %d %s %s", f.IdempotencyKey, f.Attempt, point, f.Path)
	syscall.Kill(h.pid, syscall.SIGKILL)
	select {} // the signal is on its way
}

func (h *handler) line(format string, args ...any) {
	h.lineAt(time.Now(), format, args...)
}

func (h *handler) lineAt(at time.Time, format string, args ...any) {
	fmt.Fprintf(h.log, "%d %d "+format+"\n", append([]any{h.pid, at.UnixNano()}, args...)...)
}

// roleHandler passes records on to next and writes a role line for the
// coordinator's "became active" and "stopped being active" records, which it
// logs at the moment of the change.
type roleHandler struct {
	next slog.Handler
	h    *handler
}

func (r roleHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (r roleHandler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == "became active" || rec.Message == "stopped being active" {
		var term int64
		reason := "-"
		rec.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "term":
				term = a.Value.Int64()
			case "reason":
				reason = a.Value.String()
			}
			return true
		})
		role := "active"
		if rec.Message != "became active" {
			role = "standby"
		}
		r.h.lineAt(rec.Time, "role %s %d %q", role, term, reason)
	}
	if !r.next.Enabled(ctx, rec.Level) {
		return nil
	}
	return r.next.Handle(ctx, rec)
}

func (r roleHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return roleHandler{next: r.next.WithAttrs(as), h: r.h}
}

func (r roleHandler) WithGroup(name string) slog.Handler {
	return roleHandler{next: r.next.WithGroup(name), h: r.h}
}

// Stats is what -stats writes.
type Stats struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heapAlloc"`
	HeapInuse  uint64 `json:"heapInuse"`
	Sys        uint64 `json:"sys"`
	NumGC      uint32 `json:"numGC"`
}

// writeStats replaces path (write, then rename) with the current Stats.
func writeStats(path string) error {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b, _ := json.Marshal(Stats{Goroutines: runtime.NumGoroutine(), HeapAlloc: m.HeapAlloc,
		HeapInuse: m.HeapInuse, Sys: m.Sys, NumGC: m.NumGC})
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (h *handler) OnFile(ctx context.Context, f listener.FileInfo, r io.Reader, _ *listener.Caller) error {
	h.line("start %s %d %s", f.IdempotencyKey, f.Attempt, f.Path)
	half, err := io.CopyN(io.Discard, r, f.Size/2)
	if err != nil {
		return err
	}
	h.maybeDie("mid-download", f)
	rest, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	if n := half + rest; n != f.Size {
		return fmt.Errorf("read %d of %d bytes", n, f.Size)
	}
	h.maybeDie("mid-handler", f)
	time.Sleep(h.work) // the work a real handler does
	h.line("end %s %d %s", f.IdempotencyKey, f.Attempt, f.Path)
	h.maybeDie("after-handler", f)
	return nil
}

func (h *handler) OnError(_ context.Context, err error) {
	h.line("error %q", err.Error())
}

func main() {
	configPath := flag.String("config", "", "listener configuration (JSON)")
	logPath := flag.String("log", "", "handler log to append to")
	work := flag.Duration("work", 5*time.Millisecond, "time each handler run takes")
	dieAt := flag.String("die-at", "", "kill this process at mid-download, mid-handler or after-handler")
	dieAfter := flag.Int64("die-after", 1, "with -die-at: the file number at which to die")
	statsPath := flag.String("stats", "", "rewrite this file with goroutine and memory statistics (JSON)")
	statsEvery := flag.Duration("stats-every", time.Second, "with -stats: how often")
	flag.Parse()
	switch *dieAt {
	case "", "mid-download", "mid-handler", "after-handler":
	default:
		fmt.Fprintln(os.Stderr, "member: -die-at: want mid-download, mid-handler or after-handler")
		os.Exit(2)
	}
	h := &handler{pid: os.Getpid(), work: *work, dieAt: *dieAt}
	h.left.Store(*dieAfter)
	if *statsPath != "" {
		if err := writeStats(*statsPath); err != nil {
			fmt.Fprintln(os.Stderr, "member: -stats:", err)
			os.Exit(2)
		}
		go func() {
			for range time.Tick(*statsEvery) {
				writeStats(*statsPath)
			}
		}()
	}
	if err := run(*configPath, *logPath, h); err != nil {
		fmt.Fprintln(os.Stderr, "member:", err)
		os.Exit(1)
	}
}

func run(configPath, logPath string, h *handler) error {
	raw, err := os.ReadFile(configPath)
	if err != nil {
		return err
	}
	cfg, err := listener.DecodeConfig(raw)
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	h.log = logFile
	log := slog.New(roleHandler{next: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), h: h})
	slog.SetDefault(log)
	l, err := listener.New(cfg, listener.WithLogger(log))
	if err != nil {
		return err
	}
	if err := l.Attach(h); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := l.Start(ctx); err != nil {
		return err
	}
	fmt.Println("started") // the test waits for this line
	<-ctx.Done()
	return l.Stop(context.Background())
}
