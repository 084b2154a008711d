package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

// execHandler runs a command for each file: exit status 0 commits the
// file, anything else fails the attempt (retried, or rejected at maxTries).
//
// The command runs under /bin/sh -c, with the file's content on stdin, or,
// when the file was staged (--download-dir), stdin empty and the local path
// as its first positional parameter ($1, e.g. --exec 'gzip -t "$1"'). The environment carries FTPCOORD_PATH,
// FTPCOORD_SIZE, FTPCOORD_MTIME (RFC 3339, UTC), FTPCOORD_MTIME_MS,
// FTPCOORD_ATTEMPT, FTPCOORD_IDEMPOTENCY_KEY, FTPCOORD_MEMBER_ID,
// FTPCOORD_SERVICE (the service's name, with services) and, when staged,
// FTPCOORD_LOCAL_PATH.
type execHandler struct {
	shell    string
	memberID string
	service  string // the configured service's name; "" for the one without
	env      execEnv
	log      *slog.Logger
}

// tailBytes is how much of a failed command's stderr goes into the error.
const tailBytes = 2048

func (h *execHandler) OnFile(ctx context.Context, f listener.FileInfo, content io.Reader, _ *listener.Caller) error {
	start := time.Now()
	stderr := &tailBuffer{max: tailBytes}
	err := h.run(ctx, f, content, stderr)
	attrs := []any{"path", f.Path, "attempt", f.Attempt, "took", time.Since(start).Round(time.Millisecond).String()}
	if err == nil {
		h.log.Info("handler finished", attrs...)
		return nil
	}
	h.log.Info("handler finished", append(attrs, "err", err)...)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		msg := fmt.Sprintf("command exited with %s", ee.ProcessState)
		if t := strings.TrimSpace(stderr.String()); t != "" {
			msg += ": " + t
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: stopped: %w", msg, context.Cause(ctx))
		}
		return errors.New(msg)
	}
	return fmt.Errorf("command: %w", err)
}

// stderrDrain bounds how long the stderr of a finished command is read
// after its process group ended: only a child that left the group (setsid)
// can still hold it open.
const stderrDrain = time.Second

// run runs the command in its own process group and waits for the
// command's own process only. When that exits, or ctx is cancelled, the
// whole group is killed: a background child neither outlives the attempt
// nor, by holding an inherited pipe open, keeps a finished command from
// counting. The pipes are ours (os.Pipe), so exec.Cmd has no copying
// goroutine to wait for.
func (h *execHandler) run(ctx context.Context, f listener.FileInfo, content io.Reader, stderr io.Writer) error {
	cmd := h.command(f)
	if tp := listener.TraceParent(ctx); tp != "" {
		cmd.Env = append(cmd.Env, "TRACEPARENT="+tp) // the handler's span, for a command that traces on
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer errR.Close()
	cmd.Stderr = errW
	var inW *os.File
	if f.LocalPath == "" {
		inR, w, err := os.Pipe()
		if err != nil {
			errW.Close()
			return err
		}
		cmd.Stdin, inW = inR, w
		defer inR.Close()
		defer inW.Close()
	}
	err = cmd.Start()
	errW.Close() // the child holds its own copies
	if c, ok := cmd.Stdin.(*os.File); ok {
		c.Close()
	}
	if err != nil {
		return err
	}
	pgid := cmd.Process.Pid // Setpgid: the group's id is the leader's pid
	killGroup := func() { syscall.Kill(-pgid, syscall.SIGKILL) }
	stopOnCancel := context.AfterFunc(ctx, killGroup)

	fed := make(chan struct{})
	if inW != nil {
		go func() {
			defer close(fed)
			io.Copy(inW, content) // a command that stops reading ends it with EPIPE
			inW.Close()
		}()
	} else {
		close(fed)
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		io.Copy(stderr, errR)
	}()

	// Wait for the leader's exit without reaping it: until it is reaped
	// its pid, the group's id, cannot be reused, so the kill below hits
	// this group and no other.
	var info unix.Siginfo
	for {
		err = unix.Waitid(unix.P_PID, pgid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	stopOnCancel()
	killGroup()
	waitErr := cmd.Wait()
	if err != nil && waitErr == nil {
		waitErr = err
	}
	inW.Close() // unblocks a feeder stuck writing to a pipe nobody reads
	<-fed
	errR.SetReadDeadline(time.Now().Add(stderrDrain))
	<-drained
	return waitErr
}

// command builds the process for one file.
func (h *execHandler) command(f listener.FileInfo) *exec.Cmd {
	args := []string{"-c", h.shell}
	if f.LocalPath != "" {
		args = []string{"-c", h.shell, "ftpcoord", f.LocalPath} // $0 and $1
	}
	cmd := exec.Command("/bin/sh", args...)
	cmd.Env = append(append(handlerEnv(os.Environ(), h.env), fileEnv(f, h.memberID)...), "FTPCOORD_SERVICE="+h.service)
	cmd.Stdout = os.Stdout
	// A member that dies takes its handlers with it: their work could not
	// be committed anyway, and the file's lease brings it back.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	return cmd
}

// fileEnv is the environment that describes a file to the command.
func fileEnv(f listener.FileInfo, memberID string) []string {
	env := []string{
		"FTPCOORD_PATH=" + f.Path,
		"FTPCOORD_SIZE=" + strconv.FormatInt(f.Size, 10),
		"FTPCOORD_MTIME=" + f.ModTime().Format(time.RFC3339Nano),
		"FTPCOORD_MTIME_MS=" + strconv.FormatInt(f.LastModifiedTimestamp, 10),
		"FTPCOORD_ATTEMPT=" + strconv.Itoa(f.Attempt),
		"FTPCOORD_IDEMPOTENCY_KEY=" + f.IdempotencyKey,
		"FTPCOORD_MEMBER_ID=" + memberID,
	}
	if f.LocalPath != "" {
		env = append(env, "FTPCOORD_LOCAL_PATH="+f.LocalPath)
	}
	return env
}

// OnError logs what the listener reports: failed attempts, rejections,
// listing and connection problems (their text says how to fix them, e.g.
// the ssh-keyscan line for an unknown host key).
func (h *execHandler) OnError(_ context.Context, err error) {
	var rej *listener.RejectedError
	if errors.As(err, &rej) {
		h.log.Error("file rejected; requeue it with: ftpcoord files retry --config "+configPath+" "+rej.Path, "path", rej.Path, "tries", rej.Tries, "reason", rej.Reason)
		return
	}
	h.log.Warn(err.Error())
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf bytes.Buffer
	cut bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > t.max {
		p = p[len(p)-t.max:]
		t.cut = true
	}
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
		t.cut = true
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	if t.cut {
		return "..." + t.buf.String()
	}
	return t.buf.String()
}
