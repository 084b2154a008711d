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
	if err != nil {
		t.Fatalf("%s: no port", name)
	}
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
	if err := os.Mkdir(local, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(local, 0o777) // the server's user writes here too
	t.Cleanup(func() { os.RemoveAll(local) })
	return name, local
}

func write(t *testing.T, dir, name, content string, age time.Duration) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(p), 0o777) // the FTP server's user moves and deletes here too
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if age > 0 {
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
	}
}

func newListener(t *testing.T, cfg ListenerConfig, svc any) *Listener {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Attach(svc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Stop(context.Background()) })
	return l
}

func poll(t *testing.T, l *Listener) {
	t.Helper()
	if err := l.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPollReportsEachVersionOnce(t *testing.T) {
	cfg, local := pureDir(t)
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
	if !slices.Equal(order, want) || len(deleted) != 0 || len(errs) != 0 {
		t.Fatalf("first poll: files %q deleted %q errors %v; want %q", order, deleted, errs, want)
	}
	if rec.files[cfg.Path+"/a.csv"] != "ay" || rec.files[cfg.Path+"/b.csv"] != "bee" {
		t.Fatalf("contents %q", rec.files)
	}
	if n := len(rec.changes); n != 1 || len(rec.changes[0].AddedFiles) != 3 {
		t.Fatalf("onFileChange calls: %+v", rec.changes)
	}
	f := rec.changes[0].AddedFiles[0]
	if f.Name != "a.csv" || f.Extension != "csv" || !f.IsFile || f.IsFolder || f.Size != 2 || f.URI != "ftp://"+cfg.Host+":"+fmt.Sprint(cfg.Port)+f.Path {
		t.Fatalf("FileInfo %+v", f)
	}

	poll(t, l)
	if order, deleted, _ := rec.take(); len(order)+len(deleted) != 0 {
		t.Fatalf("an unchanged directory reported %q %q", order, deleted)
	}

	write(t, local, "a.csv", "ay, changed", 0)
	os.Remove(filepath.Join(local, "b.csv"))
	poll(t, l)
	order, deleted, _ = rec.take()
	if !slices.Equal(order, []string{cfg.Path + "/a.csv"}) || !slices.Equal(deleted, []string{cfg.Path + "/b.csv"}) {
		t.Fatalf("after a change and a delete: files %q deleted %q", order, deleted)
	}
	if rec.files[cfg.Path+"/a.csv"] != "ay, changed" {
		t.Fatalf("changed content %q", rec.files[cfg.Path+"/a.csv"])
	}
}

func TestFiltersAndRecursion(t *testing.T) {
	cfg, local := pureDir(t)
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
	if !slices.Equal(order, want) || len(errs) != 0 {
		t.Fatalf("files %q errors %v, want %q", order, errs, want)
	}
	// The young file is reported once it is old enough, not lost.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(local, "young.xml"), old, old)
	poll(t, l)
	if order, deleted, _ := rec.take(); !slices.Equal(order, []string{cfg.Path + "/young.xml"}) || len(deleted) != 0 {
		t.Fatalf("second poll: %q %q", order, deleted)
	}
}

func TestStartPollsOnSchedule(t *testing.T) {
	cfg, local := pureDir(t)
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	write(t, local, "late.bin", "arrives while polling", 0)
	select {
	case p := <-rec.arrivals:
		if p != cfg.Path+"/late.bin" {
			t.Fatalf("got %s", p)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no file reported by the scheduled polls")
	}
	if err := l.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.PollOnce(context.Background()); err == nil {
		// A stopped listener's pool is closed.
		t.Fatal("PollOnce after Stop succeeded")
	}
}

func TestCallerOperations(t *testing.T) {
	cfg, _ := pureDir(t)
	l := newListener(t, cfg, newRecorder())
	c, ctx := l.Caller(), context.Background()
	p := cfg.Path + "/c.txt"
	if err := c.Put(ctx, p, strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	if err := c.Append(ctx, p, strings.NewReader("+two")); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Exists(ctx, p); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	if ok, err := c.Exists(ctx, cfg.Path+"/nope"); ok || err != nil {
		t.Fatalf("Exists(missing) = %v, %v", ok, err)
	}
	if n, err := c.Size(ctx, p); n != 7 || err != nil {
		t.Fatalf("Size = %d, %v", n, err)
	}
	if err := c.Mkdir(ctx, cfg.Path+"/d"); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.IsDirectory(ctx, cfg.Path+"/d"); !ok || err != nil {
		t.Fatalf("IsDirectory = %v, %v", ok, err)
	}
	if err := c.Copy(ctx, p, cfg.Path+"/d/copy.txt"); err != nil {
		t.Fatal(err)
	}
	if err := c.Move(ctx, p, cfg.Path+"/d/moved.txt"); err != nil {
		t.Fatal(err)
	}
	list, err := c.List(ctx, cfg.Path+"/d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range list {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"copy.txt", "moved.txt"}) {
		t.Fatalf("List = %q", names)
	}
	r, err := c.Get(ctx, cfg.Path+"/d/copy.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "one+two" {
		t.Fatalf("copied content %q", b)
	}
	for _, f := range []string{"/d/copy.txt", "/d/moved.txt"} {
		if err := c.Delete(ctx, cfg.Path+f); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Rmdir(ctx, cfg.Path+"/d"); err != nil {
		t.Fatal(err)
	}
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
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		b := newListener(t, member("b"), recB)
		if err := b.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !a.Coordinator().IsActive() || b.Coordinator().IsActive() {
			t.Fatal("a should be active, b standby")
		}
		write(t, local, "first.csv", "1", 0)
		if p := <-recA.arrivals; p != cfg.Path+"/first.csv" {
			t.Fatalf("a got %s", p)
		}
		// b keeps polling as a standby: it must not report anything.
		for range 5 {
			if err := b.PollOnce(context.Background()); err != nil && !errors.Is(err, ErrPollInProgress) {
				t.Fatal(err)
			}
		}
		if order, _, _ := recB.take(); len(order) != 0 {
			t.Fatalf("the standby reported %q", order)
		}
		if err := a.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		write(t, local, "second.csv", "2", 0)
		deadline := time.After(20 * time.Second)
		for {
			select {
			case p := <-recB.arrivals:
				if p == cfg.Path+"/second.csv" {
					if !b.Coordinator().IsActive() {
						t.Fatal("b reported while not active")
					}
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
		Auth: &Auth{SecureSocket: &SecureSocket{Cert: env(t, "FTPCOORD_TEST_FTP_CA"), Mode: "IMPLICIT"}}}
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "statement.xml", "<ok/>", time.Hour)
	poll(t, l)
	order, _, errs := rec.take()
	if !slices.Equal(order, []string{cfg.Path + "/statement.xml"}) || len(errs) != 0 || rec.files[order[0]] != "<ok/>" {
		t.Fatalf("files %q errors %v contents %q", order, errs, rec.files)
	}

	// Without the CA the certificate is refused, and the error says why.
	cfg.Auth.SecureSocket.Cert = ""
	rec2 := newRecorder()
	l2 := newListener(t, cfg, rec2)
	err := l2.PollOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	if _, _, errs := rec2.take(); len(errs) != 1 {
		t.Fatalf("OnError got %v", errs)
	}
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
	if order, _, _ := rec.take(); len(order) != 20 {
		t.Fatalf("first poll reported %d files", len(order))
	}
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
	if err := l.PollOnce(context.Background()); !errors.Is(err, remote.ErrTruncated) {
		t.Fatalf("PollOnce on a truncated listing: %v", err)
	}
	order, deleted, errs := rec.take()
	if len(deleted) != 0 {
		t.Fatalf("a truncated listing reported %d deletions", len(deleted))
	}
	if len(errs) != 1 || !errors.Is(errs[0], remote.ErrTruncated) {
		t.Fatalf("OnError got %v", errs)
	}
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
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d sessions opened for a poll that found one file, want 1 (the listing's, reused)", n)
	}
	for i := range 10 {
		write(t, local, fmt.Sprintf("f%02d.csv", i), "x", time.Hour)
	}
	poll(t, l)
	if n := dials.Load(); n != 4 {
		t.Fatalf("%d sessions opened in all after a poll that found 10 files with 4 workers, want 4", n)
	}
}

// A file far larger than memory bounds reaches OnFile as a stream.
func TestLargeFileIsStreamed(t *testing.T) {
	const size = 300 << 20
	cfg, local := pureDir(t)
	f, err := os.Create(filepath.Join(local, "big.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: quick to make, real bytes on the wire
		t.Fatal(err)
	}
	f.Close()
	old := time.Now().Add(-time.Hour)
	os.Chtimes(f.Name(), old, old)
	h := &streamCheck{}
	l := newListener(t, cfg, h)
	runtime.GC()
	runtime.ReadMemStats(&h.before)
	poll(t, l)
	if h.n != size || h.err != nil {
		t.Fatalf("OnFile read %d of %d bytes: %v", h.n, size, h.err)
	}
	if h.peak-int64(h.before.HeapInuse) > 32<<20 {
		t.Fatalf("heap grew by %d MiB while streaming %d MiB", (h.peak-int64(h.before.HeapInuse))>>20, size>>20)
	}
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
	if err := l.PollOnce(context.Background()); !errors.Is(err, ErrPollInProgress) {
		t.Fatalf("second poll during the first: %v, want ErrPollInProgress", err)
	}
	close(svc.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if order, _, _ := svc.take(); len(order) != 1 {
		t.Fatalf("files %q", order)
	}
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
		if err := l.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Start's first poll runs at once; wait for it to deliver.
		select {
		case <-svc.arrivals:
		case <-time.After(20 * time.Second):
			t.Fatal("no delivery")
		}
		if svc.err != nil {
			t.Fatal(svc.err)
		}
		l.Stop(context.Background())
		if order, _, _ := svc.take(); !slices.Equal(order, []string{cfg.Path + "/f0"}) {
			t.Fatalf("delivered %q after losing the token with the first file", order)
		}
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
	if !slices.Equal(order, want) {
		t.Fatalf("first poll %q, want %q (order_1 and pair_x wait for their markers)", order, want)
	}
	write(t, local, "order_1.marker", "", time.Hour)
	write(t, local, "x.b", "", time.Hour)
	poll(t, l)
	order, deleted, _ := rec.take()
	slices.Sort(order)
	want = []string{cfg.Path + "/order_1.csv", cfg.Path + "/pair_x.csv"}
	if !slices.Equal(order, want) || len(deleted) != 0 {
		t.Fatalf("second poll %q deleted %q, want %q", order, deleted, want)
	}
}

func TestStableListingsWaitForGrowingFiles(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.StableListings = 2
	rec := newRecorder()
	l := newListener(t, cfg, rec)
	write(t, local, "growing.dat", "part", time.Hour)
	poll(t, l)
	if order, _, _ := rec.take(); len(order) != 0 {
		t.Fatalf("reported after one listing: %q", order)
	}
	write(t, local, "growing.dat", "part two", time.Hour) // still being written
	poll(t, l)
	if order, _, _ := rec.take(); len(order) != 0 {
		t.Fatalf("reported while it grew: %q", order)
	}
	poll(t, l) // unchanged since the last listing
	if order, _, _ := rec.take(); !slices.Equal(order, []string{cfg.Path + "/growing.dat"}) {
		t.Fatalf("a stable file was not reported: %q", order)
	}
	if rec.files[cfg.Path+"/growing.dat"] != "part two" {
		t.Fatalf("content %q", rec.files[cfg.Path+"/growing.dat"])
	}
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
	if !slices.Equal(order, []string{local + "/statement ✓.xml"}) || len(errs) != 0 {
		t.Fatalf("files %q errors %v", order, errs)
	}
	if rows := ledgerRows(t, l, local+"/statement ✓.xml"); len(rows) != 1 || rows[0].Status != ledger.Done {
		t.Fatalf("ledger %+v", rows)
	}

	// A server whose key is not the one in known_hosts is refused, saying how to fix it.
	wrong := cfg
	wrong.Coordination = nil
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, nil, 0o600)
	wrong.SftpSshKnownHosts = kh
	l2 := newListener(t, wrong, newRecorder())
	if err := l2.PollOnce(context.Background()); !errors.Is(err, remote.ErrHostKey) || !strings.Contains(err.Error(), "ssh-keyscan") {
		t.Fatalf("unknown host key: %v", err)
	}
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
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if got := len(order); got != 12 || len(svc.files) != 12 {
		t.Fatalf("%d deliveries of %d files, want 12 of 12", got, len(svc.files))
	}
	if svc.most < 2 {
		t.Fatalf("at most %d handler ran at once with 4 workers", svc.most)
	}
	poll(t, l) // nothing new: nothing delivered again
	if order, _, _ := svc.take(); len(order) != 0 {
		t.Fatalf("delivered again: %v", order)
	}
}
