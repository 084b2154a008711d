package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// runFlags are the flags of `ftpcoord run`.
type runFlags struct {
	config, exec, downloadDir, logFormat, logLevel, metricsAddr string
	stopTimeout                                                 time.Duration
	execEnv                                                     nameList
	// commitUnprocessed runs without a handler: each file is read, logged
	// and committed. Its name says what it does, so that nobody asks for
	// it by accident.
	commitUnprocessed bool
}

func parseRunFlags(args []string, stderr io.Writer) (runFlags, error) {
	var f runFlags
	fs := flag.NewFlagSet("ftpcoord run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "listener configuration, JSON or .toml (required)")
	fs.StringVar(&f.exec, "exec", "", "shell command run per file: content on stdin, exit 0 commits (required, unless --commit-unprocessed)")
	fs.BoolVar(&f.commitUnprocessed, "commit-unprocessed", false, "no handler: read and log each file, then commit it (DONE, afterProcess applied) without processing it; for trials and benchmarks only")
	fs.Var(&f.execEnv, "exec-env", "pass this environment variable to --exec even though it is withheld (a ${NAME} of the configuration or FTPCOORD_*); repeatable")
	fs.StringVar(&f.downloadDir, "download-dir", "", "stage each file here first; --exec gets its local path as $1 and FTPCOORD_LOCAL_PATH")
	fs.StringVar(&f.logFormat, "log-format", "text", "text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve /metrics (Prometheus), /healthz and /readyz on this address, e.g. 127.0.0.1:9464 (off by default)")
	fs.DurationVar(&f.stopTimeout, "stop-timeout", 25*time.Second, "on SIGTERM, how long running commands may take to finish; then they are stopped and their files given back")
	if err := fs.Parse(args); err != nil {
		return f, exitcode.FlagError(err)
	}
	if fs.NArg() > 0 {
		return f, exitcode.Usagef("run: unexpected argument %q", fs.Arg(0))
	}
	if f.config == "" {
		return f, exitcode.Usagef("run: --config FILE is required")
	}
	for _, name := range f.execEnv {
		if name == "" || strings.ContainsAny(name, "= ") {
			return f, exitcode.Usagef("run: --exec-env %q: give one variable name, e.g. --exec-env PGPASSWORD", name)
		}
	}
	if err := f.checkHandler(); err != nil {
		return f, err
	}
	if f.stopTimeout < 0 {
		return f, exitcode.Usagef("run: --stop-timeout %v: must be 0 or more", f.stopTimeout)
	}
	return f, nil
}

// checkHandler refuses a member that would commit files without a
// handler, unless that is asked for by name.
func (f runFlags) checkHandler() error {
	switch {
	case f.exec != "" && f.commitUnprocessed:
		return exitcode.Usagef("run: --exec and --commit-unprocessed exclude each other: --exec processes each file, --commit-unprocessed commits each file without processing it")
	case f.exec == "" && !f.commitUnprocessed:
		return exitcode.Usagef("run: no handler: add --exec CMD (run for each file, e.g. --exec 'import-invoices \"$1\"' with --download-dir DIR, or the content on stdin); " +
			"only to commit every file without processing it (trials, benchmarks), add --commit-unprocessed")
	}
	return nil
}

// cmdRun runs one member until SIGINT or SIGTERM, then hands over.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	level, err := parseLevel(f.logLevel)
	if err != nil {
		return err
	}
	log, err := newLogger(f.logFormat, stderr, level)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	if f.downloadDir != "" {
		if err := os.MkdirAll(f.downloadDir, 0o700); err != nil {
			return exitcode.With(exitcode.Usage, fmt.Errorf("--download-dir: %w", err))
		}
		cfg.StagingDir = f.downloadDir
	}
	memberID := ""
	if cfg.Coordination != nil {
		memberID = cfg.Coordination.MemberID
		log = log.With("member", memberID)
	}
	m := newMetrics()
	opts := []listener.Option{listener.WithLogger(log), listener.WithObserver(m)}
	tp, err := newTracerProvider(ctx, os.Getenv, memberID)
	if err != nil {
		return err
	}
	if tp != nil {
		opts = append(opts, listener.WithTracerProvider(tp))
		log.Info("tracing: spans go over OTLP/HTTP (OTEL_EXPORTER_OTLP_* settings)")
		defer func() {
			// What the batcher holds goes out before the member exits.
			flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tp.Shutdown(flush); err != nil {
				log.Warn("tracing: could not send the last spans", "err", err)
			}
		}()
	}
	l, err := listener.New(cfg, opts...)
	if err != nil {
		return exitcode.With(exitcode.Config, err)
	}
	m.coord, m.coordinated, m.work, m.listenerReady, m.backlog = l.Coordinator, cfg.Coordination != nil, l.WorkHealth, l.Readiness, l.Backlog
	var handler any
	if f.commitUnprocessed {
		log.Warn("--commit-unprocessed: every file is committed without being processed")
		handler = &logHandler{log: log}
	} else {
		raw, err := os.ReadFile(f.config)
		if err != nil {
			return exitcode.With(exitcode.Config, fmt.Errorf("config: %w", err))
		}
		handler = &execHandler{shell: f.exec, memberID: memberID, env: newExecEnv(raw, f.execEnv), log: log}
	}
	if err := attachServices(l, cfg, handler); err != nil {
		return err
	}
	if f.metricsAddr != "" {
		// Served until the member stopped, so that /readyz says it is
		// stopping while it hands over.
		srvCtx, stopServing := context.WithCancel(context.Background())
		defer stopServing()
		addr, err := serveMetrics(srvCtx, f.metricsAddr, m, log)
		if err != nil {
			l.Halt()
			return err
		}
		log.Info("metrics at http://"+addr.String()+"/metrics", "healthz", "http://"+addr.String()+"/healthz", "readyz", "http://"+addr.String()+"/readyz")
	}
	if err := probeServer(ctx, l, log); err != nil {
		l.Halt()
		return err
	}
	if err := l.Start(ctx); err != nil {
		l.Halt()
		return err
	}
	m.phase.Store(phaseRunning)
	c := l.Config()
	log.Info("member started", "server", fmt.Sprintf("%s://%s:%d%s", strings.ToLower(c.Protocol), c.Host, c.Port, strings.Join(watchedPaths(c), ",")), "coordinated", c.Coordination != nil)
	dupErr := watchRole(ctx, l, log)
	m.phase.Store(phaseStopping)
	log.Info("stopping: no new file; running commands may finish", "stopTimeout", f.stopTimeout)
	stopCtx, cancel := context.WithTimeout(context.Background(), f.stopTimeout)
	defer cancel()
	if err := l.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	if dupErr != nil {
		return dupErr // the member stepped aside: exit non-zero, so that it is seen
	}
	log.Info("stopped")
	return nil
}

// probeServer connects to the file server once before joining the group:
// a refusal that waiting cannot mend (credentials, certificate, host key)
// stops the member with the server's own explanation; anything else is
// logged and left to the polls' retries.
func probeServer(ctx context.Context, l *listener.Listener, log *slog.Logger) error {
	cfg := l.Config()
	timeout := time.Duration(cfg.ConnectTimeout*float64(time.Second)) + 5*time.Second
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, p := range watchedPaths(cfg) {
		isDir, err := l.Caller().IsDirectory(pctx, p)
		switch {
		case errors.Is(err, remote.ErrRefused), errors.Is(err, remote.ErrHostKey):
			return exitcode.With(exitcode.Remote, fmt.Errorf("file server %s:%d: %w", cfg.Host, cfg.Port, err))
		case err != nil:
			log.Warn("cannot check the watched directory yet; polls will retry", "path", p, "err", err)
		case !isDir:
			log.Warn("the watched path is not a directory", "path", p)
		}
	}
	return nil
}

// watchRole logs the member's role changes until ctx ends, or until the
// member stepped aside because another process uses its memberId (then it
// returns that error).
func watchRole(ctx context.Context, l *listener.Listener, log *slog.Logger) error {
	c := l.Coordinator()
	if c == nil {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var last taskcompat.State
	first := true
	for {
		st := c.State()
		if first || st.Role != last.Role || st.Holder != last.Holder || st.Term != last.Term {
			if st.Role == taskcompat.Active {
				log.Info("active", "term", st.Term)
			} else {
				log.Info("standby", "holder", st.Holder, "term", st.Term)
			}
			last, first = st, false
		}
		if err := c.Duplicate(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// logHandler is the handler of --commit-unprocessed: it reads each file
// and logs it; the file is then committed unprocessed.
type logHandler struct{ log *slog.Logger }

func (h *logHandler) OnFile(_ context.Context, f listener.FileInfo, r io.Reader, _ *listener.Caller) error {
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	h.log.Info("file", "path", f.Path, "bytes", n, "attempt", f.Attempt, "idempotencyKey", f.IdempotencyKey)
	return nil
}

func (h *logHandler) OnError(_ context.Context, err error) { h.log.Warn(err.Error()) }
