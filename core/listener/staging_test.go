package listener

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStagedPathRefusesEscapes(t *testing.T) {
	root := "/var/spool/ftpcoord"
	for remote, want := range map[string]string{
		"/in/a.csv":        "/var/spool/ftpcoord/a.csv",
		"/in/sub/b.csv":    "/var/spool/ftpcoord/sub/b.csv",
		"/in/./c.csv":      "/var/spool/ftpcoord/c.csv",
		"/in/we ird ✓.xml": "/var/spool/ftpcoord/we ird ✓.xml",
	} {
		if got, err := stagedPath(root, "/in", remote); err != nil || got != want {
			t.Errorf("%s -> %s, %v; want %s", remote, got, err, want)
		}
	}
	for _, hostile := range []string{"/in/../etc/passwd", "/in/sub/../../x", "/in/a\x00b", "/in/..", "/in/"} {
		if got, err := stagedPath(root, "/in", hostile); !errors.Is(err, ErrUnsafeName) {
			t.Errorf("%q -> %q, %v; want ErrUnsafeName", hostile, got, err)
		}
	}
}

// stagedReader records the staged path and content it was given.
type stagedReader struct {
	*recorder
	local []string
	fail  bool
}

func (s *stagedReader) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	s.mu.Lock()
	s.local = append(s.local, f.LocalPath)
	s.mu.Unlock()
	if s.fail {
		return errors.New("not today")
	}
	return s.recorder.OnFile(ctx, f, r, c)
}

func TestStagingDownloadsResumesAndCleansUp(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.StagingDir = t.TempDir()
	content := strings.Repeat("0123456789", 100000)
	write(t, local, "sub/big.txt", content, time.Hour)
	// An interrupted earlier download left the first part.
	staged := filepath.Join(cfg.StagingDir, "sub", "big.txt")
	os.MkdirAll(filepath.Dir(staged), 0o750)
	os.WriteFile(staged+".part", []byte(content[:123456]), 0o640)
	cfg.Recursive = true
	svc := &stagedReader{recorder: newRecorder(), fail: true}
	l := newListener(t, cfg, svc)
	poll(t, l)
	if len(svc.local) != 1 || svc.local[0] != staged {
		t.Fatalf("LocalPath %q, want %s", svc.local, staged)
	}
	if b, _ := os.ReadFile(staged); string(b) != content {
		t.Fatalf("the resumed copy differs (%d bytes, want %d)", len(b), len(content))
	}
	// The handler failed: the copy stays for the next attempt. (Without
	// the ledger there is no next attempt; call the handler path directly.)
	svc.fail = false
	if err := l.deliver(context.Background(), svc, fileInfoAt(cfg.Path+"/sub/big.txt", int64(len(content)), 0, "")); err != nil {
		t.Fatal(err)
	}
	if svc.files[cfg.Path+"/sub/big.txt"] != content {
		t.Fatal("the handler did not read the staged copy")
	}
	if _, err := os.Stat(staged); !os.IsNotExist(err) {
		t.Fatalf("the staged copy was not removed after success: %v", err)
	}
}
