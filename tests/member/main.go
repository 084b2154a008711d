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
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
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
	fmt.Fprintf(h.log, "%d "+format+"\n", append([]any{h.pid}, args...)...)
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
	flag.Parse()
	switch *dieAt {
	case "", "mid-download", "mid-handler", "after-handler":
	default:
		fmt.Fprintln(os.Stderr, "member: -die-at: want mid-download, mid-handler or after-handler")
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	h := &handler{pid: os.Getpid(), work: *work, dieAt: *dieAt}
	h.left.Store(*dieAfter)
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
	l, err := listener.New(cfg)
	if err != nil {
		return err
	}
	h.log = logFile
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
