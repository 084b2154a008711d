// Command member runs one listener process for the multi-process tests: its
// handler reads each file, logs the start and the end of every run to a
// shared log (one O_APPEND write per line, so lines of several processes
// never mix), and succeeds. The tests kill and pause these processes and then
// prove from the log and the ledger that nothing was lost or done twice.
//
//	member -config listener.json -log handler.log
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

type handler struct {
	log  *os.File
	pid  int
	work time.Duration
}

func (h *handler) line(format string, args ...any) {
	fmt.Fprintf(h.log, "%d "+format+"\n", append([]any{h.pid}, args...)...)
}

func (h *handler) OnFile(ctx context.Context, f listener.FileInfo, r io.Reader, _ *listener.Caller) error {
	h.line("start %s %d %s", f.IdempotencyKey, f.Attempt, f.Path)
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	if n != f.Size {
		return fmt.Errorf("read %d of %d bytes", n, f.Size)
	}
	time.Sleep(h.work) // the work a real handler does
	h.line("end %s %d %s", f.IdempotencyKey, f.Attempt, f.Path)
	return nil
}

func (h *handler) OnError(_ context.Context, err error) {
	h.line("error %q", err.Error())
}

func main() {
	configPath := flag.String("config", "", "listener configuration (JSON)")
	logPath := flag.String("log", "", "handler log to append to")
	work := flag.Duration("work", 5*time.Millisecond, "time each handler run takes")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := run(*configPath, *logPath, *work); err != nil {
		fmt.Fprintln(os.Stderr, "member:", err)
		os.Exit(1)
	}
}

func run(configPath, logPath string, work time.Duration) error {
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
	if err := l.Attach(&handler{log: logFile, pid: os.Getpid(), work: work}); err != nil {
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
