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
	"unicode/utf8"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
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

func TestFitNameKeepsStagedNamesWithinTheFilesystemLimit(t *testing.T) {
	for _, name := range []string{"a.csv", strings.Repeat("n", 250), "ünïcødé.xml"} {
		if got := fitName(name); got != name {
			t.Errorf("fitName(%q) = %q, want it unchanged", name, got)
		}
	}
	long := []string{
		strings.Repeat("n", 251),
		strings.Repeat("n", 255) + ".csv",
		strings.Repeat("ü", 127) + ".xml",    // 254 bytes of two-byte characters and an extension
		strings.Repeat("€", 85) + "x",        // 256 bytes, cut inside a character
		strings.Repeat("n", 240) + ".ext-longer-than-sixteen",
	}
	seen := map[string]string{}
	for _, name := range long {
		got := fitName(name)
		switch {
		case len(got)+len(partSuffix) > nameMax:
			t.Errorf("fitName(%d bytes) = %d bytes: its .part does not fit %d", len(name), len(got), nameMax)
		case !utf8.ValidString(got):
			t.Errorf("fitName(%q) = %q: not UTF-8", name, got)
		case filepath.Ext(name) == ".csv" && !strings.HasSuffix(got, ".csv"):
			t.Errorf("fitName lost the extension: %q", got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q both stage as %q", other, name, got)
		}
		seen[got] = name
	}
	a, b := strings.Repeat("n", 300)+"a", strings.Repeat("n", 300)+"b"
	if fitName(a) == fitName(b) {
		t.Errorf("two names that differ past the cut stage as one: %q", fitName(a))
	}
}

// A 255-byte name, as the server allows, is staged under a shorter local
// name; the handler gets the real name, the content is whole.
func TestLongestNameIsStaged(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg.StagingDir = t.TempDir()
		cfg, _ = withLedger(t, cfg, d, "m")
		name := strings.Repeat("r", 251) + ".csv"
		write(t, local, name, "1,2,3", time.Hour)
		svc := &stagedReader{recorder: newRecorder()}
		l := startedListener(t, cfg, svc)
		p := cfg.Path + "/" + name
		pollUntil(t, l, "the long name to be DONE", func() bool {
			rows := ledgerRows(t, l, p)
			return len(rows) == 1 && rows[0].Status == ledger.Done
		})
		svc.mu.Lock()
		defer svc.mu.Unlock()
		if svc.files[p] != "1,2,3" || len(svc.local) != 1 {
			t.Fatalf("delivered %q via %q, errors %v", svc.files[p], svc.local, svc.errs)
		}
		if base := filepath.Base(svc.local[0]); len(base) >= len(name) || !strings.HasSuffix(base, ".csv") {
			t.Fatalf("staged as %q (%d bytes)", base, len(base))
		}
	})
}

// A transfer the server refuses leaves no empty .part behind, and a file
// that ends REJECTED leaves nothing in the staging directory.
func TestRefusedTransfersLeaveNoPartialFiles(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		cfg.StagingDir = t.TempDir()
		cfg, _ = withLedger(t, cfg, d, "m")
		cfg.MaxTries = 2
		write(t, local, "locked.csv", "secret", time.Hour)
		os.Chmod(filepath.Join(local, "locked.csv"), 0) // the server's user cannot read it
		svc := &stagedReader{recorder: newRecorder()}
		l := startedListener(t, cfg, svc)
		p := cfg.Path + "/locked.csv"
		pollUntil(t, l, "the unreadable file to be REJECTED", func() bool {
			rows := ledgerRows(t, l, p)
			return len(rows) == 1 && rows[0].Status == ledger.Rejected
		})
		var left []string
		filepath.Walk(cfg.StagingDir, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if len(left) != 0 {
			t.Fatalf("the staging directory still holds %q", left)
		}
		if len(svc.local) != 0 {
			t.Fatalf("a handler ran for a file the server refused: %q", svc.local)
		}
	})
}
