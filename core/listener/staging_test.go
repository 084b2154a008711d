package listener

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStagedPathRefusesEscapes(t *testing.T) {
	root := "/var/spool/ftpcoord"
	for remote, want := range map[string]string{
		"/in/a.csv":        "/var/spool/ftpcoord/a.csv",
		"/in/sub/b.csv":    "/var/spool/ftpcoord/sub/b.csv",
		"/in/./c.csv":      "/var/spool/ftpcoord/c.csv",
		"/in/we ird ✓.xml": "/var/spool/ftpcoord/we ird ✓.xml",
	} {
		got, err := stagedPath(root, "/in", remote)
		if assert.NoError(t, err, "%s", remote) {
			assert.Equal(t, want, got, "%s", remote)
		}
	}
	for _, hostile := range []string{"/in/.ftpcoord-partial/x", "/in/../etc/passwd", "/in/sub/../../x", "/in/a\x00b", "/in/..", "/in/"} {
		got, err := stagedPath(root, "/in", hostile)
		assert.ErrorIs(t, err, ErrUnsafeName, "%q -> %q", hostile, got)
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

// On every server: REST on FTP, a read offset on SFTP.
func TestStagingDownloadsResumesAndCleansUp(t *testing.T) {
	eachServer(t, func(t *testing.T, s testServer) { testStagingResumes(t, s.dir) })
}

func testStagingResumes(t *testing.T, dir serverDir) {
	cfg, local := dir(t)
	cfg.StagingDir = t.TempDir()
	content := strings.Repeat("0123456789", 100000)
	write(t, local, "sub/big.txt", content, time.Hour)
	mtime := time.Now().Add(-time.Hour).Truncate(time.Minute) // whole minutes, as every listing gives them
	os.Chtimes(filepath.Join(local, "sub", "big.txt"), mtime, mtime)
	// An interrupted earlier download left the first part.
	staged := filepath.Join(cfg.StagingDir, "sub", "big.txt")
	part := partialPath(cfg.StagingDir, cfg.Path+"/sub/big.txt", int64(len(content)), mtime.UnixMilli())
	os.MkdirAll(filepath.Dir(part), 0o750)
	os.WriteFile(part, []byte(content[:123456]), 0o640)
	// A resumed download would not read the start again: mark it.
	os.WriteFile(part, []byte("R"+content[1:123456]), 0o640)
	cfg.Recursive = true
	svc := &stagedReader{recorder: newRecorder(), fail: true}
	l := newListener(t, cfg, svc)
	poll(t, l)
	require.Equal(t, []string{staged}, svc.local, "LocalPath")
	b, _ := os.ReadFile(staged)
	require.True(t, string(b) == "R"+content[1:], "the copy was not resumed from the partial download (%d bytes, want %d)", len(b), len(content))
	_, err := os.Stat(part)
	require.ErrorIs(t, err, fs.ErrNotExist, "the partial download is still there")
	os.WriteFile(staged, []byte(content), 0o640)
	// The handler failed: the copy stays for the next attempt. (Without
	// the ledger there is no next attempt; call the handler path directly.)
	svc.fail = false
	require.NoError(t, l.deliver(context.Background(), svc, fileInfoAt(cfg.Path+"/sub/big.txt", int64(len(content)), 0, "")))
	require.True(t, svc.files[cfg.Path+"/sub/big.txt"] == content, "the handler did not read the staged copy")
	_, err = os.Stat(staged)
	require.ErrorIs(t, err, fs.ErrNotExist, "the staged copy was not removed after success")
}

func TestFitNameKeepsStagedNamesWithinTheFilesystemLimit(t *testing.T) {
	for _, name := range []string{"a.csv", strings.Repeat("n", 250), "ünïcødé.xml"} {
		assert.Equal(t, name, fitName(name), "fitName: want it unchanged")
	}
	long := []string{
		strings.Repeat("n", 251),
		strings.Repeat("n", 255) + ".csv",
		strings.Repeat("ü", 127) + ".xml", // 254 bytes of two-byte characters and an extension
		strings.Repeat("€", 85) + "x",     // 256 bytes, cut inside a character
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
		assert.NotContains(t, seen, got, "%q and %q both stage as %q", seen[got], name, got)
		seen[got] = name
	}
	a, b := strings.Repeat("n", 300)+"a", strings.Repeat("n", 300)+"b"
	assert.NotEqual(t, fitName(a), fitName(b), "two names that differ past the cut stage as one")
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
		require.Equal(t, "1,2,3", svc.files[p], "delivered via %q, errors %v", svc.local, svc.errs)
		require.Len(t, svc.local, 1, "delivered %q, errors %v", svc.files[p], svc.errs)
		base := filepath.Base(svc.local[0])
		require.Less(t, len(base), len(name), "staged as %q: not shortened", base)
		require.True(t, strings.HasSuffix(base, ".csv"), "staged as %q: lost the extension", base)
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
		require.Empty(t, left, "the staging directory still holds files")
		require.Empty(t, svc.local, "a handler ran for a file the server refused")
	})
}

// failingFor fails the files whose base name it lists.
type failingFor struct {
	*recorder
	fail map[string]bool
}

func (s *failingFor) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	if s.fail[filepath.Base(f.Path)] {
		return errors.New("not today")
	}
	return s.recorder.OnFile(ctx, f, r, c)
}

// A remote "d.csv.part" whose staged copy waits for its next attempt is
// never taken for the partial download of "d.csv" of the same size: d.csv's
// handler gets d.csv's bytes. (It once got d.csv.part's, and d.csv ended
// DONE with the wrong content.)
func TestStagedCopyOfAnotherNameIsNotAPartialDownload(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.StagingDir = t.TempDir()
	cfg, _ = withLedger(t, cfg, schema.SQLite, "m")
	cfg.MaxTries = 100
	write(t, local, "d.csv.part", "AAAA", time.Hour)
	svc := &failingFor{recorder: newRecorder(), fail: map[string]bool{"d.csv.part": true}}
	l := startedListener(t, cfg, svc)
	pollUntil(t, l, "d.csv.part to fail once", func() bool {
		rows := ledgerRows(t, l, cfg.Path+"/d.csv.part")
		return len(rows) == 1 && rows[0].Tries >= 1
	})
	_, err := os.Stat(filepath.Join(cfg.StagingDir, "d.csv.part"))
	require.NoError(t, err, "the failed file's staged copy is kept for its next attempt")
	write(t, local, "d.csv", "BBBB", time.Hour)
	p := cfg.Path + "/d.csv"
	pollUntil(t, l, "d.csv to be DONE", func() bool {
		rows := ledgerRows(t, l, p)
		return len(rows) == 1 && rows[0].Status == ledger.Done
	})
	svc.mu.Lock()
	defer svc.mu.Unlock()
	require.Equal(t, "BBBB", svc.files[p], "d.csv's handler got another file's bytes")
}
