package listener

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handovers records every call of OnFile, whatever its read ends with: a
// version handed over is one call, complete or not.
type handovers struct {
	mu    sync.Mutex
	calls map[string][]string // path -> what each call read, in order
	errs  []error
}

func newHandovers() *handovers { return &handovers{calls: map[string][]string{}} }

func (h *handovers) OnFile(_ context.Context, f FileInfo, r io.Reader, _ *Caller) error {
	b, err := io.ReadAll(r)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls[f.Path] = append(h.calls[f.Path], string(b))
	if err == nil && int64(len(b)) != f.Size {
		return fmt.Errorf("read %d bytes of a file listed with %d", len(b), f.Size)
	}
	return err
}

func (h *handovers) OnError(_ context.Context, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, err)
}

func (h *handovers) of(p string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls[p])
}

func (h *handovers) errors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.errs...)
}

// writeSlowly writes content to path in place, a chunk every 80 ms, with a
// pause of stall halfway (an upload over a slow link that stalls briefly),
// and closes done when the last byte is written.
func writeSlowly(t *testing.T, path string, content []byte, chunk int, stall time.Duration) (done <-chan struct{}) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	require.NoError(t, err)
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer f.Close()
		for off := 0; off < len(content); off += chunk {
			if off > 0 {
				time.Sleep(80 * time.Millisecond)
			}
			if off == len(content)/2/chunk*chunk {
				time.Sleep(stall)
			}
			if _, err := f.Write(content[off:min(off+chunk, len(content))]); err != nil {
				t.Errorf("write %s: %v", path, err)
				return
			}
		}
	}()
	t.Cleanup(func() { <-ch })
	return ch
}

// sizes is how many bytes each handover read.
func sizes(calls []string) []int {
	out := make([]int, len(calls))
	for i, c := range calls {
		out[i] = len(c)
	}
	return out
}

// sftpDir makes a directory of the test's own on OpenSSH and returns the
// listener settings for it (its path is the local one).
func sftpDir(t *testing.T) (ListenerConfig, string) {
	t.Helper()
	host, p := hostPort(t, "FTPCOORD_TEST_SFTP_ADDR")
	_, local := testDir(t, env(t, "FTPCOORD_TEST_SFTP_ROOT"))
	return ListenerConfig{Protocol: SFTP, Host: host, Port: p, Path: local, SftpSshKnownHosts: env(t, "FTPCOORD_TEST_SFTP_KNOWN_HOSTS"),
		Auth: &Auth{Credentials: &Credentials{Username: env(t, "FTPCOORD_TEST_SFTP_USER")},
			PrivateKey: &PrivateKey{Path: env(t, "FTPCOORD_TEST_SFTP_KEY")}}}, local
}

// The case: a file uploaded slowly in place, with a brief stall,
// into a directory polled every second, the guard at its default. It is
// handed over once, complete (not once per poll, partial), on FTP and SFTP,
// without the ledger and with it (one row, DONE), and nothing is reported.
func TestSlowlyWrittenFileIsHandedOverOnceComplete(t *testing.T) {
	servers := map[string]func(*testing.T) (ListenerConfig, string){"pure-ftpd": pureDir, "OpenSSH": sftpDir}
	ledgers := []schema.Dialect{"", schema.SQLite, schema.Postgres, schema.MySQL}
	for server, dir := range servers {
		for _, d := range ledgers {
			name := server + "/" + string(d)
			if d == "" {
				name = server + "/no ledger"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				cfg, local := dir(t)
				if d != "" {
					cfg, _ = withLedger(t, cfg, d, "m")
				}
				cfg.PollingInterval = 1
				require.Nil(t, cfg.SettleTime, "the test runs the default guard")
				svc := newHandovers()
				l := startedListener(t, cfg, svc)
				content := bytes.Repeat([]byte("0123456789abcdef"), 12<<10) // 192 KiB: streamed, not prefetched
				done := writeSlowly(t, filepath.Join(local, "upload.bin"), content, 8<<10, 600*time.Millisecond)
				p := cfg.Path + "/upload.bin"
				<-done
				waitUntil(t, "the upload's handover", func() bool { return len(svc.of(p)) > 0 })
				if d != "" {
					waitUntil(t, "its commit", func() bool {
						rows := ledgerRows(t, l, p)
						return len(rows) == 1 && rows[0].Status == ledger.Done
					})
				}
				pollHand(t, l) // later polls hand over nothing more
				pollHand(t, l)
				calls := svc.of(p)
				require.Equal(t, []int{len(content)}, sizes(calls), "bytes read by each handover of the upload")
				require.True(t, calls[0] == string(content), "the content handed over is not the upload's")
				require.Empty(t, svc.errors(), "errors")
				if d != "" {
					rows := ledgerRows(t, l, p)
					require.Len(t, rows, 1, "ledger rows %+v", rows)
					assert.Equal(t, ledger.Done, rows[0].Status, "ledger %+v", rows)
					assert.Equal(t, int64(len(content)), rows[0].Size, "ledger %+v", rows)
				}
			})
		}
	}
}

// A complete file costs one settle time, within the poll that finds it: one
// PollOnce hands it over, by a stat where the listing's times are exact and
// the new files few (pure-ftpd's MLSD, OpenSSH), by listing the directory
// again where they are many or the listing's times have only minutes
// (vsftpd's LIST).
func TestCompleteFilesAreHandedOverByThePollThatFindsThem(t *testing.T) {
	vsftpd := func(t *testing.T) (ListenerConfig, string) {
		host, p := hostPort(t, "FTPCOORD_TEST_VSFTPD_IMPLICIT_ADDR")
		dir, local := testDir(t, env(t, "FTPCOORD_TEST_VSFTPD_ROOT"))
		return ListenerConfig{Protocol: FTPS, Host: host, Port: p, Path: "/inbox/" + dir,
			Auth: &Auth{SecureSocket: &SecureSocket{Cert: TrustStore{Path: env(t, "FTPCOORD_TEST_FTP_CA")}, Mode: "IMPLICIT"}}}, local
	}
	for _, tc := range []struct {
		name  string
		dir   func(*testing.T) (ListenerConfig, string)
		files int
		age   time.Duration
	}{
		{"pure-ftpd, a stat", pureDir, 1, 0},
		{"pure-ftpd, a listing for many", pureDir, statLimit + 4, 0},
		{"OpenSSH, a stat", sftpDir, 1, 0},
		{"vsftpd LIST, a listing", vsftpd, 1, 0},
		// Listed with its day only: its version time comes from MDTM,
		// and the second look compares listings as listed.
		{"vsftpd LIST, a file older than six months", vsftpd, 1, 200 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, local := tc.dir(t)
			svc := newHandovers()
			l := newListener(t, cfg, svc)
			var want []string
			for i := range tc.files {
				write(t, local, fmt.Sprintf("f%02d.csv", i), fmt.Sprint("content ", i), tc.age)
				want = append(want, fmt.Sprintf("%s/f%02d.csv", cfg.Path, i))
			}
			poll(t, l)
			for i, p := range want {
				require.Equal(t, []string{fmt.Sprint("content ", i)}, svc.of(p), "handovers of %s", p)
			}
			require.Empty(t, svc.errors(), "errors")
			require.False(t, l.settled.listOnly, "the server's stat disagreed with its listing")
			if tc.age > 0 {
				// The version keeps its time at the server's grain
				// (MDTM's minute), not the day its listing shows.
				st, err := os.Stat(filepath.Join(local, "f00.csv"))
				require.NoError(t, err)
				require.Equal(t, st.ModTime().Truncate(time.Minute).UnixMilli(), l.seen[want[0]].mtime, "the version's time")
			}
		})
	}
}

// settleTime 0 turns the guard off: a file whose writer has paused is handed
// over as it is, and again once it grew (the behaviour before the guard).
func TestSettleTimeZeroHandsOverWhatIsListed(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.SettleTime = new(0.0)
	svc := newHandovers()
	l := newListener(t, cfg, svc)
	write(t, local, "upload.csv", "first half,", 0)
	poll(t, l)
	write(t, local, "upload.csv", "first half,second half", 0)
	poll(t, l)
	require.Equal(t, []string{"first half,", "first half,second half"}, svc.of(cfg.Path+"/upload.csv"), "handovers")
}

// A file still being written when a poll lists it, finished within the
// settle time, is handed over complete by that same poll or the next:
// once either way.
func TestFileFinishedDuringTheSettleIsHandedOverOnce(t *testing.T) {
	cfg, local := sftpDir(t)
	svc := newHandovers()
	l := newListener(t, cfg, svc)
	poll(t, l) // the session is open: the next listing follows the writer closely
	content := bytes.Repeat([]byte("x"), 5*1000)
	path := filepath.Join(local, "late.bin")
	done := writeSlowly(t, path, content, 1000, 0)
	waitUntil(t, "the first bytes", func() bool { fi, err := os.Stat(path); return err == nil && fi.Size() > 0 })
	poll(t, l)
	<-done
	poll(t, l)
	poll(t, l)
	calls := svc.of(cfg.Path + "/late.bin")
	require.Equal(t, []int{len(content)}, sizes(calls), "bytes read by each handover")
	require.True(t, calls[0] == string(content), "the content handed over is not the file's")
	require.Empty(t, svc.errors(), "errors")
}

func TestSettleTimeIsValidated(t *testing.T) {
	for in, want := range map[string]string{
		`{"settleTime": -1}`: "settleTime: must be between 0 (no guard) and 60 seconds, got -1",
		`{"settleTime": 61}`: "settleTime: must be between 0 (no guard) and 60 seconds, got 61",
	} {
		_, err := DecodeConfig([]byte(in))
		assert.ErrorContains(t, err, want, "%s", in)
	}
	c, err := DecodeConfig([]byte(`{"settleTime": 0}`))
	require.NoError(t, err)
	require.NotNil(t, c.SettleTime, "settleTime 0 is kept apart from an absent one")
	assert.Zero(t, c.WithDefaults().settleTime(), "settleTime 0: the guard is off")
	c, err = DecodeConfig([]byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, time.Second, c.WithDefaults().settleTime(), "the default")
	c, err = DecodeConfig([]byte(`{"settleTime": 2.5}`))
	require.NoError(t, err)
	assert.Equal(t, 2500*time.Millisecond, c.WithDefaults().settleTime(), "settleTime 2.5")
}

// spy counts a listener's listings and stats; lie makes its stats give
// another time than the listing does (as a server whose MLST and MLSD
// disagree would).
type spy struct {
	mu           sync.Mutex
	lists, stats int
	lie          bool
}

func (s *spy) counts() (lists, stats int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists, s.stats
}

type spyConn struct {
	remote.Conn
	spy *spy
}

// List counts listings that ended.
func (c spyConn) List(ctx context.Context, dir string, fn func(remote.Entry) error) error {
	err := c.Conn.List(ctx, dir, fn)
	c.spy.mu.Lock()
	c.spy.lists++
	c.spy.mu.Unlock()
	return err
}

func (c spyConn) Stat(ctx context.Context, p string) (remote.Entry, error) {
	c.spy.mu.Lock()
	c.spy.stats++
	lie := c.spy.lie
	c.spy.mu.Unlock()
	e, err := c.Conn.Stat(ctx, p)
	if lie {
		e.ModTime = e.ModTime.Add(time.Second)
	}
	return e, err
}

// spied is a listener on cfg whose sessions go through s.
func spied(t *testing.T, cfg ListenerConfig, s *spy, svc any) *Listener {
	t.Helper()
	real := dialerFor(cfg.WithDefaults(), slog.Default())
	l, err := New(cfg, WithDialer(func(ctx context.Context) (remote.Conn, error) {
		c, err := real(ctx)
		if err != nil {
			return nil, err
		}
		return spyConn{Conn: c, spy: s}, nil
	}))
	require.NoError(t, err)
	require.NoError(t, l.Attach(svc))
	t.Cleanup(func() { l.Stop(context.Background()) })
	return l
}

// The guard costs a poll that finds nothing new no request: one listing,
// no stat. A poll that finds one new file adds one stat.
func TestSettleCostsNothingWhenNothingIsNew(t *testing.T) {
	cfg, local := sftpDir(t)
	s := &spy{}
	svc := newHandovers()
	l := spied(t, cfg, s, svc)
	write(t, local, "a.csv", "a", 0)
	poll(t, l)
	require.Equal(t, []string{"a"}, svc.of(cfg.Path+"/a.csv"), "handovers")
	lists, stats := s.counts()
	require.Equal(t, 1, lists, "listings of a poll that found a new file")
	require.Equal(t, 1, stats, "stats of a poll that found a new file")
	poll(t, l)
	poll(t, l)
	lists, stats = s.counts()
	require.Equal(t, 3, lists, "listings after two polls that found nothing new")
	require.Equal(t, 1, stats, "stats after two polls that found nothing new")
}

// A server whose stat disagrees with its listing about an unchanged file
// does not hold files back: the directory is listed again, the file is
// handed over by the same poll, and the guard looks by listing from then on.
func TestStatThatDisagreesWithTheListingFallsBackToListing(t *testing.T) {
	cfg, local := sftpDir(t)
	s := &spy{lie: true}
	svc := newHandovers()
	l := spied(t, cfg, s, svc)
	write(t, local, "a.csv", "a", 0)
	poll(t, l)
	require.Equal(t, []string{"a"}, svc.of(cfg.Path+"/a.csv"), "handovers")
	require.True(t, l.settled.listOnly, "the guard still trusts the stat")
	lists, stats := s.counts()
	require.Equal(t, 2, lists, "listings: the poll's and the second look's")
	require.Equal(t, 1, stats, "stats")
	write(t, local, "b.csv", "b", 0)
	poll(t, l)
	require.Equal(t, []string{"b"}, svc.of(cfg.Path+"/b.csv"), "handovers")
	lists, stats = s.counts()
	require.Equal(t, 4, lists, "listings")
	require.Equal(t, 1, stats, "stats once the stat disagreed")
}

// A version that changed during the settle time gets another look only if
// the other guards would let it through now: never while stableListings
// counts listings (its count starts again), and only once fileAgeFilter
// finds it old enough.
func TestChangedVersionsMeetTheOtherGuardsAgain(t *testing.T) {
	now := time.Now()
	changed := func() []listed {
		return []listed{
			{dir: "/in", entry: remote.Entry{Name: "young", Size: 2, ModTime: now}},
			{dir: "/in", entry: remote.Entry{Name: "old", Size: 2, ModTime: now.Add(-time.Hour)}},
		}
	}
	names := func(fs []listed) (out []string) {
		for _, f := range fs {
			out = append(out, f.entry.Name)
		}
		return out
	}
	l, err := New(ListenerConfig{})
	require.NoError(t, err)
	assert.Equal(t, []string{"young", "old"}, names(l.stillWanted(changed())), "no other guard")
	l, err = New(ListenerConfig{FileAgeFilter: &FileAgeFilter{MinAge: 60}})
	require.NoError(t, err)
	assert.Equal(t, []string{"old"}, names(l.stillWanted(changed())), "fileAgeFilter.minAge 60")
	l, err = New(ListenerConfig{StableListings: 2})
	require.NoError(t, err)
	assert.Empty(t, names(l.stillWanted(changed())), "stableListings 2")
}

// A graceful stop during the settle time ends the wait at once: nothing is
// handed over (the next poll, or member, lists the file again) and nothing
// is reported, as no transfer was started and cut.
func TestStopDuringTheSettleHandsNothingOver(t *testing.T) {
	cfg, local := sftpDir(t)
	cfg.PollingInterval = 3600
	s := &spy{}
	svc := newHandovers()
	l := spied(t, cfg, s, svc)
	write(t, local, "a.csv", "a", 0)
	require.NoError(t, l.Start(context.Background()))
	waitUntil(t, "the end of the first listing", func() bool { lists, _ := s.counts(); return lists > 0 })
	require.NoError(t, l.Stop(context.Background()))
	_, stats := s.counts()
	require.Zero(t, stats, "a second look after the stop")
	require.Empty(t, svc.of(cfg.Path+"/a.csv"), "handovers")
	require.Empty(t, svc.errors(), "errors")
}
