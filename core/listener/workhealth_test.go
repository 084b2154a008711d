package listener

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// workCounter counts, per path, the handler runs that got the whole file,
// and which member ran them.
type workCounter struct {
	mu    sync.Mutex
	runs  map[string]int
	by    map[string]int
	fail  bool // every handler run fails (the file's own failure)
	calls int
}

func newWorkCounter() *workCounter { return &workCounter{runs: map[string]int{}, by: map[string]int{}} }

// member is a service of one member, counted in c.
type counted struct {
	c      *workCounter
	member string
}

func (s counted) OnFile(_ context.Context, f FileInfo, r io.Reader, _ *Caller) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.calls++
	if s.c.fail {
		return errors.New("the handler fails on purpose")
	}
	if int64(len(b)) != f.Size {
		return fmt.Errorf("short content: %d of %d bytes", len(b), f.Size)
	}
	s.c.runs[f.Path]++
	s.c.by[s.member]++
	return nil
}

func (c *workCounter) done() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.runs)
}

// workGroup is the settings of a group whose members poll on their own (the
// real polling loop) and hand over by stepping aside, never by staleness:
// livenessCheckInterval is far longer than the test waits for a takeover.
func workGroup(cfg ListenerConfig, db taskcompat.DatabaseConfig, member string, stepAsideAfter float64) ListenerConfig {
	cfg = member2(cfg, db, member)
	cfg.Coordination.LivenessCheckInterval = 30
	cfg.PollingInterval = 0.3
	cfg.StepAsideAfter = stepAsideAfter
	return cfg
}

// The active member's path to the file server is cut while its database
// stays up: it reports itself unable and gives the token up within
// stepAsideAfter to the member that can reach the server, long before a
// takeover by staleness could happen; files arriving throughout are each
// processed once and all end DONE.
func TestCutOffMemberHandsOverToOneThatReachesTheServer(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		base, local := pureDir(t)
		db := testdb.NewWithSchema(t, d)
		const bound = 2.0
		cfgA, proxy := viaProxy(t, workGroup(base, db, "a", bound))
		cfgB := workGroup(base, db, "b", bound)
		work := newWorkCounter()
		a := startedListener(t, cfgA, counted{work, "a"})
		require.True(t, a.Coordinator().IsActive(), "a, started first, is not active")
		b := startedListener(t, cfgB, counted{work, "b"})

		const n = 30
		var paths []string
		writerDone := make(chan struct{})
		go func() {
			defer close(writerDone)
			for i := range n {
				write(t, local, fmt.Sprintf("f%02d.csv", i), fmt.Sprintf("file %d\n", i), time.Hour)
				time.Sleep(150 * time.Millisecond)
			}
		}()
		for i := range n {
			paths = append(paths, fmt.Sprintf("%s/f%02d.csv", base.Path, i))
		}
		waitUntil(t, "a to process a file", func() bool { return work.done() >= 2 })
		cut := time.Now()
		proxy.SetMode(tcpproxy.Refuse)
		deadline := time.Now().Add(25 * time.Second) // livenessCheckInterval is 30 s
		for !b.Coordinator().IsActive() {
			require.True(t, time.Now().Before(deadline), "b did not take over: a=%+v", a.WorkHealth())
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s: b active %v after the cut (stepAsideAfter %vs)", d, time.Since(cut).Round(time.Millisecond), bound)
		require.False(t, a.Coordinator().IsActive(), "a and b both active")
		st, err := a.Status(context.Background())
		require.NoError(t, err)
		require.False(t, st.Work.Able, "a reports itself able while cut off: %+v", st.Work)
		require.Contains(t, st.Work.Reason, "cannot reach or log in to the file server")
		require.False(t, st.Work.AsideUntil.IsZero(), "a has not stepped aside: %+v", st.Work)
		require.NotContains(t, st.Work.Reason, base.Auth.Credentials.Password)
		require.Equal(t, int64(1), a.Coordinator().Stats().StepAsides)

		<-writerDone
		waitUntil(t, "every file DONE", func() bool {
			for _, p := range paths {
				rows, err := ledgerOf(t, b).Get(context.Background(), p)
				if err != nil || len(rows) != 1 || rows[0].Status != ledger.Done {
					return false
				}
			}
			return true
		})
		work.mu.Lock()
		for _, p := range paths {
			assert.Equal(t, 1, work.runs[p], "%s processed %d times", p, work.runs[p])
		}
		t.Logf("%s: a processed %d files, b %d", d, work.by["a"], work.by["b"])
		assert.NotZero(t, work.by["b"], "b processed nothing")
		work.mu.Unlock()

		// The path heals: a, a standby again once its while is over, is a
		// spare again and does not take the token from a live b.
		proxy.SetMode(tcpproxy.Pass)
		waitUntil(t, "a able again once its while is over", func() bool { return a.WorkHealth().Able })
		require.True(t, b.Coordinator().IsActive(), "b lost the token")
	})
}

// A member with a wrong password, started first, takes the token and gives
// it up within the default stepAsideAfter to a good standby, which then does
// the work; readiness says why, without the password.
func TestWrongPasswordGivesTheTokenUpAtTheDefault(t *testing.T) {
	base, local := pureDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	cfgA := workGroup(base, db, "a", 0) // the default
	auth := *base.Auth
	cred := *auth.Credentials
	cred.Password = "not-the-password"
	auth.Credentials = &cred
	cfgA.Auth = &auth
	cfgB := workGroup(base, db, "b", 0)
	work := newWorkCounter()
	start := time.Now()
	a := startedListener(t, cfgA, counted{work, "a"})
	require.Equal(t, DefaultStepAsideAfter, a.Config().StepAsideAfter)
	require.True(t, a.Coordinator().IsActive(), "a, started first, is not active")
	b := startedListener(t, cfgB, counted{work, "b"})
	write(t, local, "in.csv", "1,2\n", time.Hour)
	// The bound (failures went on through its second half: it gives up at
	// its end, not at the next failed login, which takes pure-ftpd seconds),
	// plus b's next check; never livenessCheckInterval (30 s).
	limit := time.Duration(DefaultStepAsideAfter)*time.Second + 3*time.Second
	for !b.Coordinator().IsActive() {
		require.Less(t, time.Since(start), limit, "a kept the token: %+v", a.WorkHealth())
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("b active %v after a started with a wrong password", time.Since(start).Round(time.Millisecond))
	h := a.WorkHealth()
	require.False(t, h.Able)
	require.Contains(t, h.Reason, "530", "the server's refusal: %s", h.Reason)
	require.NotContains(t, h.Reason, "not-the-password")
	waitUntil(t, "b to process the file", func() bool { return work.done() == 1 })
	require.Equal(t, 1, work.by["b"])
}

// A member alone that cannot reach the server keeps trying: it gives the
// token up and takes it back, never more often than once per stepAsideAfter,
// and works again as soon as the server answers.
func TestAloneCutOffKeepsTryingWithoutFlapping(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		base, local := pureDir(t)
		db := testdb.NewWithSchema(t, d)
		const bound = 1.5
		cfg, proxy := viaProxy(t, workGroup(base, db, "solo", bound))
		work := newWorkCounter()
		l := startedListener(t, cfg, counted{work, "solo"})
		write(t, local, "first.csv", "1\n", time.Hour)
		waitUntil(t, "the first file", func() bool { return work.done() == 1 })
		proxy.SetMode(tcpproxy.Refuse)
		// Watch the term for a while: every change is at least a while
		// after the one before.
		var changes []time.Time
		term := l.Coordinator().State().Term
		watch := time.Now().Add(time.Duration(5 * bound * float64(time.Second)))
		sawUnable := false
		for time.Now().Before(watch) {
			if t2 := l.Coordinator().State().Term; t2 != term {
				term = t2
				changes = append(changes, time.Now())
			}
			if h := l.WorkHealth(); !h.Able {
				sawUnable = true
				require.Contains(t, h.Reason, "cannot reach or log in to the file server")
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s: term changes at %v", d, changes)
		require.True(t, sawUnable, "never reported unable")
		require.NotEmpty(t, changes, "it never took the token back: it stopped trying")
		for i := 1; i < len(changes); i++ {
			gap := changes[i].Sub(changes[i-1])
			require.GreaterOrEqual(t, gap, time.Duration(bound*float64(time.Second))-100*time.Millisecond,
				"the token changed hands %v after the change before", gap)
		}
		// The server comes back: within two whiles it is taken back and
		// works.
		proxy.SetMode(tcpproxy.Pass)
		write(t, local, "second.csv", "2\n", time.Hour)
		waitUntil(t, "the file after the server came back", func() bool { return work.done() == 2 })
		waitUntil(t, "able again", func() bool { return l.WorkHealth().Able })
		require.True(t, l.Coordinator().IsActive())
	})
}

// The failures of files (a handler that always fails, a file the server
// will not send) are not the member's: it keeps the token and stays able
// well past stepAsideAfter.
func TestFileFailuresDoNotStepAside(t *testing.T) {
	base, local := pureDir(t)
	db := testdb.NewWithSchema(t, schema.SQLite)
	cfg := workGroup(base, db, "m", 1)
	cfg.MaxTries = 1000
	work := newWorkCounter()
	work.fail = true
	l := startedListener(t, cfg, counted{work, "m"})
	write(t, local, "bad.csv", "x\n", time.Hour)
	write(t, local, "locked.csv", "y\n", time.Hour)
	require.NoError(t, os.Chmod(filepath.Join(local, "locked.csv"), 0))
	start := time.Now()
	for time.Since(start) < 4*time.Second { // four whiles
		require.True(t, l.Coordinator().IsActive(), "stepped aside over the files' failures")
		h := l.WorkHealth()
		require.True(t, h.Able, "unable over the files' failures: %+v", h)
		time.Sleep(50 * time.Millisecond)
	}
	work.mu.Lock()
	calls := work.calls
	work.mu.Unlock()
	require.Greater(t, calls, 1, "the handler was not retried: the test tested nothing")
	rows := ledgerRows(t, l, cfg.Path+"/locked.csv")
	require.Len(t, rows, 1)
	require.NotEqual(t, ledger.Done, rows[0].Status)
	require.Zero(t, l.Coordinator().Stats().StepAsides)
}

// Without coordination the member reports itself unable, and able again.
func TestUncoordinatedUnableAndBack(t *testing.T) {
	base, _ := pureDir(t)
	base.StepAsideAfter = 1
	cfg, proxy := viaProxy(t, base)
	l := newListener(t, cfg, newRecorder())
	poll(t, l)
	proxy.SetMode(tcpproxy.Refuse)
	start := time.Now()
	for l.WorkHealth().Able {
		require.Less(t, time.Since(start), 20*time.Second, "never unable")
		l.PollOnce(context.Background())
	}
	st, err := l.Status(context.Background())
	require.NoError(t, err)
	require.False(t, st.Work.Able)
	require.Zero(t, st.Work.AsideUntil, "aside without coordination")
	proxy.SetMode(tcpproxy.Pass)
	poll(t, l)
	require.True(t, l.WorkHealth().Able)
}

func TestUnreachableTellsConnectionsFromFiles(t *testing.T) {
	for _, err := range []error{
		&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED},
		fmt.Errorf("list: %w", io.EOF),
		syscall.ECONNRESET,
		&textproto.Error{Code: 425, Msg: "Can't open data connection"},
		&textproto.Error{Code: 421, Msg: "Timeout"},
	} {
		assert.True(t, unreachable(err), "%v", err)
	}
	for _, err := range []error{
		&fs.PathError{Op: "list", Path: "/in", Err: fs.ErrNotExist},
		&fs.PathError{Op: "open", Path: "/in/a", Err: fs.ErrPermission},
		&textproto.Error{Code: 550, Msg: "No such file"},
		context.Canceled,
		errStopping,
	} {
		assert.False(t, unreachable(err), "%v", err)
	}
}

func TestStepAsideAfterValidated(t *testing.T) {
	require.Equal(t, 20.0, ListenerConfig{}.WithDefaults().StepAsideAfter)
	for _, v := range []float64{-1, 0.5, 3601} {
		err := ListenerConfig{StepAsideAfter: v}.Validate()
		var fe *FieldError
		require.ErrorAs(t, err, &fe, "stepAsideAfter %v", v)
		require.Contains(t, err.Error(), "stepAsideAfter: must be between 1 and 3600")
	}
	require.NoError(t, ListenerConfig{StepAsideAfter: 5}.Validate())
}

// An SFTP server whose host key is not trusted makes the member unable once
// stepAsideAfter has passed, with the refusal as the reason.
func TestUntrustedHostKeyMakesTheMemberUnable(t *testing.T) {
	host, p := hostPort(t, "FTPCOORD_TEST_SFTP_ADDR")
	_, local := testDir(t, env(t, "FTPCOORD_TEST_SFTP_ROOT"))
	kh := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(kh, nil, 0o600))
	cfg := ListenerConfig{Protocol: SFTP, Host: host, Port: p, Path: local, SftpSshKnownHosts: kh, StepAsideAfter: 1,
		Auth: &Auth{Credentials: &Credentials{Username: env(t, "FTPCOORD_TEST_SFTP_USER")},
			PrivateKey: &PrivateKey{Path: env(t, "FTPCOORD_TEST_SFTP_KEY")}}}
	l := newListener(t, cfg, newRecorder())
	start := time.Now()
	for l.WorkHealth().Able {
		require.Less(t, time.Since(start), 20*time.Second, "never unable")
		require.ErrorIs(t, l.PollOnce(context.Background()), remote.ErrHostKey)
		time.Sleep(100 * time.Millisecond)
	}
	require.Contains(t, l.WorkHealth().Reason, "host key")
}

// One failed poll is not a run: the poll half-way through the while finds
// the server again (whatever pollingInterval is), and the member keeps the
// token.
func TestOneFailedPollDoesNotStepAside(t *testing.T) {
	base, _ := pureDir(t)
	db := testdb.NewWithSchema(t, schema.SQLite)
	cfg, proxy := viaProxy(t, workGroup(base, db, "m", 2))
	cfg.PollingInterval = 3600 // only the half-way poll looks again
	l := startedListener(t, cfg, newRecorder())
	require.True(t, l.Coordinator().IsActive())
	proxy.SetMode(tcpproxy.Refuse)
	waitUntil(t, "a failed poll", func() bool {
		l.PollOnce(context.Background())
		return !l.WorkHealth().FailingSince.IsZero()
	})
	since := l.WorkHealth().FailingSince
	proxy.SetMode(tcpproxy.Pass)
	waitUntil(t, "the half-way poll to find the server again", func() bool { return l.WorkHealth().FailingSince.IsZero() })
	for time.Now().Before(since.Add(3 * time.Second)) { // past the while's end
		require.Zero(t, l.Coordinator().Stats().StepAsides)
		require.True(t, l.WorkHealth().Able)
		require.True(t, l.Coordinator().IsActive())
		time.Sleep(50 * time.Millisecond)
	}
}
