package listener

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// recorder is a service that implements every method and records the calls.
type recorder struct {
	mu       sync.Mutex
	changes  []WatchEvent
	files    map[string]string // path -> content
	order    []string
	deleted  []string
	errs     []error
	arrivals chan string
}

func newRecorder() *recorder {
	return &recorder{files: map[string]string{}, arrivals: make(chan string, 1000)}
}

func (r *recorder) OnFileChange(_ context.Context, ev WatchEvent, _ *Caller) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, ev)
	return nil
}

func (r *recorder) OnFile(_ context.Context, f FileInfo, content io.Reader, _ *Caller) error {
	b, err := io.ReadAll(content)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.files[f.Path] = string(b)
	r.order = append(r.order, f.Path)
	r.mu.Unlock()
	r.arrivals <- f.Path
	return nil
}

func (r *recorder) OnFileDelete(_ context.Context, p string, _ *Caller) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deleted = append(r.deleted, p)
	return nil
}

func (r *recorder) OnError(_ context.Context, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

// delivered counts the files handled since the last take.
func (r *recorder) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

// take returns what was recorded since the last take.
func (r *recorder) take() (order, deleted []string, errs []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	order, deleted, errs = r.order, r.deleted, r.errs
	r.order, r.deleted, r.errs = nil, nil, nil
	return
}

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run `make services` (tests/services/start.sh) and export what it prints, or `make test`", name)
	}
	return v
}

// pureDir makes a directory of the test's own on pure-ftpd and returns the
// listener settings for it and its local path.
func pureDir(t *testing.T) (ListenerConfig, string) {
	t.Helper()
	host, p := hostPort(t, "FTPCOORD_TEST_PUREFTPD_ADDR")
	dir, local := testDir(t, env(t, "FTPCOORD_TEST_PUREFTPD_ROOT"))
	return ListenerConfig{Protocol: FTP, Host: host, Port: p, Path: "/" + dir, PollingInterval: 0.1,
		Auth: &Auth{Credentials: &Credentials{Username: env(t, "FTPCOORD_TEST_PUREFTPD_USER"), Password: env(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD")}},
	}, local
}

// hostPort reads a host:port test variable.
func hostPort(t *testing.T, name string) (string, int) {
	t.Helper()
	host, port, _ := strings.Cut(env(t, name), ":")
	p, err := strconv.Atoi(port)
	require.NoError(t, err, "%s: no port", name)
	return host, p
}

// testDir makes a directory of the test's own under a server's local root,
// writable by the server's user, removed at the end.
func testDir(t *testing.T, root string) (name, local string) {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	name = fmt.Sprintf("l-%s-%x", strings.ReplaceAll(t.Name(), "/", "-"), b)
	local = filepath.Join(root, name)
	require.NoError(t, os.Mkdir(local, 0o777))
	os.Chmod(local, 0o777) // the server's user writes here too
	t.Cleanup(func() { os.RemoveAll(local) })
	return name, local
}

func write(t *testing.T, dir, name, content string, age time.Duration) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o777))
	os.Chmod(filepath.Dir(p), 0o777) // the FTP server's user moves and deletes here too
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	if age > 0 {
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
	}
}

func newListener(t *testing.T, cfg ListenerConfig, svc any) *Listener {
	t.Helper()
	l, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, l.Attach(svc))
	t.Cleanup(func() { l.Stop(context.Background()) })
	return l
}

func poll(t *testing.T, l *Listener) {
	t.Helper()
	require.NoError(t, l.PollOnce(context.Background()))
}

func TestPollReportsEachVersionOnce(t *testing.T) { eachServer(t, testPollReportsEachVersionOnce) }

func testPollReportsEachVersionOnce(t *testing.T, s testServer) {
	cfg, local := s.dir(t)
	cfg.FileNamePattern = `.*\.csv`
	rec := newRecorder()
	l := newListener(t, cfg, rec)

	write(t, local, "b.csv", "bee", time.Hour)
	write(t, local, "a.csv", "ay", 2*time.Hour)
	write(t, local, "notes.txt", "ignored by the pattern", 0)
	write(t, local, ".hidden.csv", "hidden", 0)
	write(t, local, "with space ✓.csv", "", 0)
	poll(t, l)
	order, deleted, errs := rec.take()
	want := []string{cfg.Path + "/a.csv", cfg.Path + "/b.csv", cfg.Path + "/with space ✓.csv"} // oldest first
	require.Equal(t, want, order, "first poll: files")
	require.Empty(t, deleted, "first poll: deleted")
	require.Empty(t, errs, "first poll: errors")
	require.Equal(t, "ay", rec.files[cfg.Path+"/a.csv"], "contents %q", rec.files)
	require.Equal(t, "bee", rec.files[cfg.Path+"/b.csv"], "contents %q", rec.files)
	require.Len(t, rec.changes, 1, "onFileChange calls")
	require.Len(t, rec.changes[0].AddedFiles, 3, "onFileChange calls: %+v", rec.changes)
	f := rec.changes[0].AddedFiles[0]
	require.Equal(t, "a.csv", f.Name, "FileInfo %+v", f)
	require.Equal(t, "csv", f.Extension, "FileInfo %+v", f)
	require.True(t, f.IsFile, "FileInfo %+v", f)
	require.False(t, f.IsFolder, "FileInfo %+v", f)
	require.Equal(t, int64(2), f.Size, "FileInfo %+v", f)
	require.Equal(t, strings.ToLower(cfg.Protocol)+"://"+cfg.Host+":"+fmt.Sprint(cfg.Port)+f.Path, f.URI, "FileInfo %+v", f)

	poll(t, l)
	order, deleted, _ = rec.take()
	require.Empty(t, order, "an unchanged directory reported files")
	require.Empty(t, deleted, "an unchanged directory reported deletions")

	write(t, local, "a.csv", "ay, changed", 0)
	os.Remove(filepath.Join(local, "b.csv"))
	poll(t, l)
	order, deleted, _ = rec.take()
	require.Equal(t, []string{cfg.Path + "/a.csv"}, order, "after a change and a delete: files")
	require.Equal(t, []string{cfg.Path + "/b.csv"}, deleted, "after a change and a delete: deleted")
	require.Equal(t, "ay, changed", rec.files[cfg.Path+"/a.csv"], "changed content")
}

func TestFiltersAndRecursion(t *testing.T) { eachServer(t, testFiltersAndRecursion) }

func testFiltersAndRecursion(t *testing.T, s testServer) {
	cfg, local := s.dir(t)
	cfg.FileAgeFilter = &FileAgeFilter{MinAge: 600, MaxAge: 86400}
	cfg.Recursive, cfg.MaxDepth, cfg.IncludeHidden = true, 1, true
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "young.xml", "still being written", 0)
	write(t, local, "ripe.xml", "x", time.Hour)
	write(t, local, "ancient.xml", "x", 48*time.Hour)
	write(t, local, ".dot", "x", time.Hour)
	write(t, local, "sub/deep.xml", "x", time.Hour)
	write(t, local, "sub/subsub/too-deep.xml", "x", time.Hour)
	poll(t, l)
	order, _, errs := rec.take()
	slices.Sort(order)
	want := []string{cfg.Path + "/.dot", cfg.Path + "/ripe.xml", cfg.Path + "/sub/deep.xml"}
	if s.hidesDots {
		want = want[1:] // the server never lists it (see testServer.hidesDots)
	}
	require.Equal(t, want, order, "files")
	require.Empty(t, errs, "errors")
	// The young file is reported once it is old enough, not lost.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(local, "young.xml"), old, old)
	poll(t, l)
	order, deleted, _ := rec.take()
	require.Equal(t, []string{cfg.Path + "/young.xml"}, order, "second poll: files")
	require.Empty(t, deleted, "second poll: deleted")
}

func TestStartPollsOnSchedule(t *testing.T) {
	cfg, local := pureDir(t)
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	require.NoError(t, l.Start(context.Background()))
	write(t, local, "late.bin", "arrives while polling", 0)
	select {
	case p := <-rec.arrivals:
		require.Equal(t, cfg.Path+"/late.bin", p)
	case <-time.After(20 * time.Second):
		t.Fatal("no file reported by the scheduled polls")
	}
	require.NoError(t, l.Stop(context.Background()))
	// A stopped listener's pool is closed.
	require.Error(t, l.PollOnce(context.Background()), "PollOnce after Stop succeeded")
}

func TestCallerOperations(t *testing.T) {
	cfg, _ := pureDir(t)
	l := newListener(t, cfg, newRecorder())
	c, ctx := l.Caller(), context.Background()
	p := cfg.Path + "/c.txt"
	require.NoError(t, c.Put(ctx, p, strings.NewReader("one")))
	require.NoError(t, c.Append(ctx, p, strings.NewReader("+two")))
	ok, err := c.Exists(ctx, p)
	require.NoError(t, err, "Exists")
	require.True(t, ok, "Exists")
	ok, err = c.Exists(ctx, cfg.Path+"/nope")
	require.NoError(t, err, "Exists(missing)")
	require.False(t, ok, "Exists(missing)")
	n, err := c.Size(ctx, p)
	require.NoError(t, err, "Size")
	require.EqualValues(t, 7, n, "Size")
	require.NoError(t, c.Mkdir(ctx, cfg.Path+"/d"))
	ok, err = c.IsDirectory(ctx, cfg.Path+"/d")
	require.NoError(t, err, "IsDirectory")
	require.True(t, ok, "IsDirectory")
	require.NoError(t, c.Copy(ctx, p, cfg.Path+"/d/copy.txt"))
	require.NoError(t, c.Move(ctx, p, cfg.Path+"/d/moved.txt"))
	list, err := c.List(ctx, cfg.Path+"/d")
	require.NoError(t, err)
	var names []string
	for _, f := range list {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	require.Equal(t, []string{"copy.txt", "moved.txt"}, names, "List")
	r, err := c.Get(ctx, cfg.Path+"/d/copy.txt")
	require.NoError(t, err)
	b, _ := io.ReadAll(r)
	r.Close()
	require.Equal(t, "one+two", string(b), "copied content")
	for _, f := range []string{"/d/copy.txt", "/d/moved.txt"} {
		require.NoError(t, c.Delete(ctx, cfg.Path+f))
	}
	require.NoError(t, c.Rmdir(ctx, cfg.Path+"/d"))
}

// Two listeners in one coordination group on one directory: only the active
// one reports; when it stops, the other takes over and reports new files.
func TestOnlyTheActiveMemberPolls(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		db := testdb.NewWithSchema(t, d)
		cfg, local := pureDir(t)
		member := func(id string) ListenerConfig {
			c := cfg
			c.Coordination = &taskcompat.CoordinationConfig{DatabaseConfig: db, MemberID: id, CoordinationGroup: "inbox",
				LivenessCheckInterval: 2, HeartbeatFrequency: taskcompat.Secs(0.25)}
			return c
		}
		recA, recB := newRecorder(), newRecorder()
		a := newListener(t, member("a"), recA)
		require.NoError(t, a.Start(context.Background()))
		b := newListener(t, member("b"), recB)
		require.NoError(t, b.Start(context.Background()))
		require.True(t, a.Coordinator().IsActive(), "a should be active")
		require.False(t, b.Coordinator().IsActive(), "b should be standby")
		write(t, local, "first.csv", "1", 0)
		require.Equal(t, cfg.Path+"/first.csv", <-recA.arrivals, "a got")
		// b keeps polling as a standby: it must not report anything.
		for range 5 {
			if err := b.PollOnce(context.Background()); !errors.Is(err, ErrPollInProgress) {
				require.NoError(t, err)
			}
		}
		order, _, _ := recB.take()
		require.Empty(t, order, "the standby reported files")
		require.NoError(t, a.Stop(context.Background()))
		write(t, local, "second.csv", "2", 0)
		deadline := time.After(20 * time.Second)
		for {
			select {
			case p := <-recB.arrivals:
				if p == cfg.Path+"/second.csv" {
					require.True(t, b.Coordinator().IsActive(), "b reported while not active")
					return
				}
			case <-deadline:
				t.Fatal("b never reported the new file after a stopped")
			}
		}
	})
}

// FTPS through the configuration: vsftpd with implicit TLS, LIST only.
func TestFTPSListenerOnVsftpd(t *testing.T) {
	host, p := hostPort(t, "FTPCOORD_TEST_VSFTPD_IMPLICIT_ADDR")
	dir, local := testDir(t, env(t, "FTPCOORD_TEST_VSFTPD_ROOT"))
	cfg := ListenerConfig{Protocol: FTPS, Host: host, Port: p, Path: "/inbox/" + dir,
		Auth: &Auth{SecureSocket: &SecureSocket{Cert: TrustStore{Path: env(t, "FTPCOORD_TEST_FTP_CA")}, Mode: "IMPLICIT"}}}
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "statement.xml", "<ok/>", time.Hour)
	poll(t, l)
	order, _, errs := rec.take()
	require.Equal(t, []string{cfg.Path + "/statement.xml"}, order, "files")
	require.Empty(t, errs, "errors")
	require.Equal(t, "<ok/>", rec.files[order[0]], "contents")

	// Without the CA the certificate is refused, and the error says why.
	cfg.Auth.SecureSocket.Cert = TrustStore{}
	rec2 := newRecorder()
	l2 := newListener(t, cfg, rec2)
	err := l2.PollOnce(context.Background())
	require.ErrorContains(t, err, "not trusted", "untrusted certificate")
	_, _, errs = rec2.take()
	require.Len(t, errs, 1, "OnError")
}

// A server that truncates its listing (pure-ftpd at its limit) must not make
// the missing files look deleted.
func TestTruncatedListingDeletesNothing(t *testing.T) {
	cfg, local := pureDir(t)
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	for i := range 20 {
		write(t, local, fmt.Sprintf("f%02d", i), "x", time.Hour)
	}
	poll(t, l)
	order, _, _ := rec.take()
	require.Len(t, order, 20, "first poll reported files")
	// The same directory through the twin server that cuts at 50 entries,
	// after it has grown past that.
	for i := 20; i < 80; i++ {
		write(t, local, fmt.Sprintf("f%02d", i), "x", time.Hour)
	}
	host, port, _ := strings.Cut(env(t, "FTPCOORD_TEST_PUREFTPD_SMALL_LIMIT_ADDR"), ":")
	small := cfg
	small.Host = host
	fmt.Sscan(port, &small.Port)
	l.dial = dialerFor(small.WithDefaults(), l.log)
	l.pool = remote.NewPool(l.dial, remote.PoolConfig{Size: 1})
	require.ErrorIs(t, l.PollOnce(context.Background()), remote.ErrTruncated, "PollOnce on a truncated listing")
	order, deleted, errs := rec.take()
	require.Empty(t, deleted, "a truncated listing reported deletions")
	require.Len(t, errs, 1, "OnError")
	require.ErrorIs(t, errs[0], remote.ErrTruncated, "OnError")
	t.Logf("%d new files reported from the truncated listing", len(order))
}

// A listing that finds new files opens sessions for the workers while it
// goes on: one per file found, up to workers, the listing's own included.
// One new file costs no session beyond the listing's.
func TestListingWarmsASessionPerFileUpToWorkers(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.Workers, cfg.MaxConnections = 4, 4
	l := newListener(t, cfg, newRecorder())
	var dials atomic.Int32
	dial := dialerFor(l.cfg, l.log)
	l.dial = func(ctx context.Context) (remote.Conn, error) { dials.Add(1); return dial(ctx) }
	l.pool = remote.NewPool(l.dial, remote.PoolConfig{Size: cfg.MaxConnections})
	write(t, local, "one.csv", "1", time.Hour)
	poll(t, l)
	require.EqualValues(t, 1, dials.Load(), "sessions opened for a poll that found one file, want 1 (the listing's, reused)")
	for i := range 10 {
		write(t, local, fmt.Sprintf("f%02d.csv", i), "x", time.Hour)
	}
	poll(t, l)
	require.EqualValues(t, 4, dials.Load(), "sessions opened in all after a poll that found 10 files with 4 workers")
}

// A file far larger than memory bounds reaches OnFile as a stream.
func TestLargeFileIsStreamed(t *testing.T) {
	const size = 300 << 20
	cfg, local := pureDir(t)
	f, err := os.Create(filepath.Join(local, "big.dat"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size)) // sparse: quick to make, real bytes on the wire
	f.Close()
	old := time.Now().Add(-time.Hour)
	os.Chtimes(f.Name(), old, old)
	h := &streamCheck{}
	l := newListener(t, cfg, h)
	runtime.GC()
	runtime.ReadMemStats(&h.before)
	poll(t, l)
	require.NoError(t, h.err, "OnFile")
	require.EqualValues(t, size, h.n, "OnFile read bytes")
	grown := h.peak - int64(h.before.HeapInuse)
	require.LessOrEqual(t, grown, int64(32<<20), "heap grew by %d MiB while streaming %d MiB", grown>>20, size>>20)
}

// streamCheck reads OnFile's content in small chunks, checking it is all
// zeros and sampling the heap.
type streamCheck struct {
	before runtime.MemStats
	peak   int64
	n      int64
	err    error
}

func (s *streamCheck) OnFile(_ context.Context, f FileInfo, r io.Reader, _ *Caller) error {
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Read(buf)
		for _, b := range buf[:k] {
			if b != 0 {
				s.err = fmt.Errorf("byte %d is %d", s.n, b)
				return s.err
			}
		}
		s.n += int64(k)
		if s.n%(32<<20) < int64(k) {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			s.peak = max(s.peak, int64(m.HeapInuse))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			s.err = err
			return err
		}
	}
}

// slowService holds its first OnFile until released.
type slowService struct {
	*recorder
	started, release chan struct{}
	once             sync.Once
}

func (s *slowService) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	s.once.Do(func() { close(s.started); <-s.release })
	return s.recorder.OnFile(ctx, f, r, c)
}

func TestPollsNeverOverlap(t *testing.T) {
	cfg, local := pureDir(t)
	svc := &slowService{recorder: newRecorder(), started: make(chan struct{}), release: make(chan struct{})}
	l := newListener(t, cfg, svc)
	write(t, local, "a", "1", time.Hour)
	done := make(chan error, 1)
	go func() { done <- l.PollOnce(context.Background()) }()
	<-svc.started
	require.ErrorIs(t, l.PollOnce(context.Background()), ErrPollInProgress, "second poll during the first")
	close(svc.release)
	require.NoError(t, <-done)
	order, _, _ := svc.take()
	require.Len(t, order, 1, "files")
}

// tokenThief takes the coordination token away (as a Ballerina node's
// unconditional upsert would) while the first file is handled, and waits
// until the listener's member has noticed.
type tokenThief struct {
	*recorder
	db    *sql.DB
	coord func() *taskcompat.Coordinator
	once  sync.Once
	err   error
}

func (s *tokenThief) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	s.once.Do(func() {
		_, s.err = s.db.Exec(`INSERT INTO health_check(task_id, group_id, last_heartbeat) VALUES ('thief', 'inbox', CURRENT_TIMESTAMP)`)
		if s.err == nil {
			_, s.err = s.db.Exec(`UPDATE token_holder SET task_id = 'thief', term = term + 1 WHERE group_id = 'inbox'`)
		}
		deadline := time.Now().Add(10 * time.Second)
		for s.coord().IsActive() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	})
	return s.recorder.OnFile(ctx, f, r, c)
}

// A member that loses the token in the middle of a poll dispatches nothing
// more from that poll.
func TestLosingTheTokenMidPollStopsDispatching(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		db := testdb.NewWithSchema(t, d)
		cfg, local := pureDir(t)
		cfg.PollingInterval = 3600 // this test polls by hand
		cfg.Coordination = &taskcompat.CoordinationConfig{DatabaseConfig: db, MemberID: "m", CoordinationGroup: "inbox",
			LivenessCheckInterval: 2, HeartbeatFrequency: taskcompat.Secs(0.25)}
		for i := range 3 {
			write(t, local, fmt.Sprintf("f%d", i), "x", time.Duration(3-i)*time.Hour)
		}
		svc := &tokenThief{recorder: newRecorder(), db: testdb.Open(t, db, "UTC")}
		l := newListener(t, cfg, svc)
		svc.coord = l.Coordinator
		require.NoError(t, l.Start(context.Background()))
		// Start's first poll runs at once; wait for it to deliver.
		select {
		case <-svc.arrivals:
		case <-time.After(20 * time.Second):
			t.Fatal("no delivery")
		}
		require.NoError(t, svc.err)
		l.Stop(context.Background())
		order, _, _ := svc.take()
		require.Equal(t, []string{cfg.Path + "/f0"}, order, "delivered after losing the token with the first file")
	})
}

func TestDependencyConditionsHoldFilesBack(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.FileNamePattern = `.*\.csv`
	cfg.FileDependencyConditions = []FileDependencyCondition{
		{TargetPattern: `order_(\d+)\.csv`, RequiredFiles: []string{`order_$1\.marker`}},
		{TargetPattern: `pair_(.+)\.csv`, RequiredFiles: []string{`$1\.a`, `$1\.b`}, MatchingMode: "ANY"},
	}
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "order_1.csv", "1", time.Hour)
	write(t, local, "order_2.csv", "2", time.Hour)
	write(t, local, "order_2.marker", "", time.Hour)
	write(t, local, "pair_x.csv", "x", time.Hour)
	write(t, local, "free.csv", "f", time.Hour)
	poll(t, l)
	order, _, _ := rec.take()
	slices.Sort(order)
	want := []string{cfg.Path + "/free.csv", cfg.Path + "/order_2.csv"}
	require.Equal(t, want, order, "first poll (order_1 and pair_x wait for their markers)")
	write(t, local, "order_1.marker", "", time.Hour)
	write(t, local, "x.b", "", time.Hour)
	poll(t, l)
	order, deleted, _ := rec.take()
	slices.Sort(order)
	want = []string{cfg.Path + "/order_1.csv", cfg.Path + "/pair_x.csv"}
	require.Equal(t, want, order, "second poll")
	require.Empty(t, deleted, "second poll: deleted")
}

func TestStableListingsWaitForGrowingFiles(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.StableListings = 2
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "growing.dat", "part", time.Hour)
	poll(t, l)
	order, _, _ := rec.take()
	require.Empty(t, order, "reported after one listing")
	write(t, local, "growing.dat", "part two", time.Hour) // still being written
	poll(t, l)
	order, _, _ = rec.take()
	require.Empty(t, order, "reported while it grew")
	poll(t, l) // unchanged since the last listing
	order, _, _ = rec.take()
	require.Equal(t, []string{cfg.Path + "/growing.dat"}, order, "a stable file was not reported")
	require.Equal(t, "part two", rec.files[cfg.Path+"/growing.dat"], "content")
}

// SFTP through the configuration: OpenSSH, key authentication, host key
// checked against known_hosts; files go through the ledger.
func TestSFTPListener(t *testing.T) {
	host, p := hostPort(t, "FTPCOORD_TEST_SFTP_ADDR")
	_, local := testDir(t, env(t, "FTPCOORD_TEST_SFTP_ROOT"))
	cfg := ListenerConfig{Protocol: SFTP, Host: host, Port: p, Path: local, SftpSshKnownHosts: env(t, "FTPCOORD_TEST_SFTP_KNOWN_HOSTS"),
		Auth: &Auth{Credentials: &Credentials{Username: env(t, "FTPCOORD_TEST_SFTP_USER")},
			PrivateKey: &PrivateKey{Path: env(t, "FTPCOORD_TEST_SFTP_KEY")}}}
	cfg, _ = withLedger(t, cfg, schema.Postgres, "s")
	rec := newRecorder()
	l := startedListener(t, cfg, rec)
	write(t, local, "statement ✓.xml", "<ok/>", time.Hour)
	write(t, local, "sub/ignored.xml", "not recursive", time.Hour)
	pollUntil(t, l, "a delivery", func() bool { return rec.delivered() >= 1 })
	pollHand(t, l)
	order, _, errs := rec.take()
	require.Equal(t, []string{local + "/statement ✓.xml"}, order, "files")
	require.Empty(t, errs, "errors")
	rows := ledgerRows(t, l, local+"/statement ✓.xml")
	require.Len(t, rows, 1, "ledger")
	require.Equal(t, ledger.Done, rows[0].Status, "ledger %+v", rows)

	// A server whose key is not the one in known_hosts is refused, saying how to fix it.
	wrong := cfg
	wrong.Coordination = nil
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, nil, 0o600)
	wrong.SftpSshKnownHosts = kh
	l2 := newListener(t, wrong, newRecorder())
	err := l2.PollOnce(context.Background())
	require.ErrorIs(t, err, remote.ErrHostKey, "unknown host key")
	require.ErrorContains(t, err, "ssh-keyscan", "unknown host key")
}

// overlap is a recorder whose handlers each wait, at most a few seconds,
// until two of them run at once: it tells whether files are processed
// concurrently without making a sequential listener hang.
type overlap struct {
	*recorder
	mu      sync.Mutex
	running int
	most    int
	met     chan struct{} // closed when two handlers ran at once
}

func (o *overlap) OnFile(ctx context.Context, f FileInfo, r io.Reader, c *Caller) error {
	o.mu.Lock()
	o.running++
	if o.running > o.most {
		o.most = o.running
		if o.most == 2 {
			close(o.met)
		}
	}
	o.mu.Unlock()
	defer func() { o.mu.Lock(); o.running--; o.mu.Unlock() }()
	select {
	case <-o.met:
	case <-time.After(5 * time.Second):
	}
	return o.recorder.OnFile(ctx, f, r, c)
}

// Without the ledger too, workers process files at once, each exactly once.
func TestWorkersWithoutLedger(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.Workers, cfg.MaxConnections = 4, 4
	svc := &overlap{recorder: newRecorder(), met: make(chan struct{})}
	for i := range 12 {
		write(t, local, fmt.Sprintf("f%02d.csv", i), fmt.Sprint(i), time.Hour)
	}
	l := newListener(t, cfg, svc)
	poll(t, l)
	order, _, errs := svc.take()
	require.Empty(t, errs, "errors")
	require.Len(t, order, 12, "deliveries, want 12 of 12")
	require.Len(t, svc.files, 12, "files delivered, want 12 of 12")
	require.GreaterOrEqual(t, svc.most, 2, "at most %d handler ran at once with 4 workers", svc.most)
	poll(t, l) // nothing new: nothing delivered again
	order, _, _ = svc.take()
	require.Empty(t, order, "delivered again")
}
