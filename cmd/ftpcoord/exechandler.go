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

	"github.com/ftpcoord/ftpcoord/core/listener"
)

// execHandler runs a command for each file: exit status 0 commits the
// file, anything else fails the attempt (retried, or rejected at maxTries).
//
// The command runs under /bin/sh -c, with the file's content on stdin, or,
// when the file was staged (--download-dir), stdin empty and the local path
// as its first positional parameter ($1, e.g. --exec 'gzip -t "$1"'). The environment carries FTPCOORD_PATH,
// FTPCOORD_SIZE, FTPCOORD_MTIME (RFC 3339, UTC), FTPCOORD_MTIME_MS,
// FTPCOORD_ATTEMPT, FTPCOORD_IDEMPOTENCY_KEY, FTPCOORD_MEMBER_ID and, when
// staged, FTPCOORD_LOCAL_PATH.
type execHandler struct {
	shell    string
	memberID string
	log      *slog.Logger
}

// tailBytes is how much of a failed command's stderr goes into the error.
const tailBytes = 2048

func (h *execHandler) OnFile(ctx context.Context, f listener.FileInfo, content io.Reader, _ *listener.Caller) error {
	start := time.Now()
	cmd := h.command(ctx, f, content)
	stderr := &tailBuffer{max: tailBytes}
	cmd.Stderr = stderr
	cmd.Stdout = os.Stdout
	err := cmd.Run()
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
		return errors.New(msg)
	}
	return fmt.Errorf("command: %w", err)
}

// command builds the process for one file.
func (h *execHandler) command(ctx context.Context, f listener.FileInfo, content io.Reader) *exec.Cmd {
	args := []string{"-c", h.shell}
	if f.LocalPath != "" {
		args = []string{"-c", h.shell, "ftpcoord", f.LocalPath} // $0 and $1
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", args...)
	cmd.Env = append(os.Environ(), fileEnv(f, h.memberID)...)
	if f.LocalPath == "" {
		cmd.Stdin = content
	}
	// A member that dies takes its handlers with it: their work could not
	// be committed anyway, and the file's lease brings it back.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
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
