package listener

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/require"
)

// vsftpdDir makes a directory of the test's own on vsftpd (LIST only,
// with MDTM; anonymous) and returns the listener settings for it and its
// local path.
func vsftpdDir(t *testing.T) (ListenerConfig, string) {
	t.Helper()
	host, p := hostPort(t, "FTPCOORD_TEST_VSFTPD_ADDR")
	dir, local := testDir(t, env(t, "FTPCOORD_TEST_VSFTPD_ROOT"))
	return ListenerConfig{Protocol: FTP, Host: host, Port: p, Path: "/inbox/" + dir, PollingInterval: 0.1}, local
}

// mdtmConn is a real session whose MDTM is counted, or hidden as if the
// server had none.
type mdtmConn struct {
	remote.Conn
	hide  bool
	calls *atomic.Int32
}

func (c mdtmConn) ListPrecision() remote.Precision { return c.Conn.(remote.ExactTimer).ListPrecision() }
func (c mdtmConn) CanTimeExactly() bool {
	return !c.hide && c.Conn.(remote.ExactTimer).CanTimeExactly()
}
func (c mdtmConn) ExactModTime(ctx context.Context, p string) (time.Time, error) {
	c.calls.Add(1)
	if c.hide {
		return time.Time{}, errors.ErrUnsupported
	}
	return c.Conn.(remote.ExactTimer).ExactModTime(ctx, p)
}

// countingMDTM dials as cfg says, counting MDTM commands (or hiding MDTM).
func countingMDTM(cfg ListenerConfig, hide bool, calls *atomic.Int32) Option {
	dial := dialerFor(cfg.WithDefaults(), nil)
	return WithDialer(func(ctx context.Context) (remote.Conn, error) {
		c, err := dial(ctx)
		if err != nil {
			return nil, err
		}
		return mdtmConn{Conn: c, hide: hide, calls: calls}, nil
	})
}

// vsftpd lists a file "Jun 07 01:34" while it is younger than 182 days
// (60*60*24*182 seconds, vsftpd's sysutil.c, against the time of the
// listing) and "Jun 07  2026" after. An unchanged file that crosses that
// line is handled once: without the ledger and with it (PostgreSQL), with
// MDTM and with MDTM hidden, and after a restart that forgets what was
// seen in memory (MDTM is then asked, once, for the file listed with its
// day). A real change after the crossing is still a new version.
func TestSixMonthSwitchIsNoNewVersion(t *testing.T) {
	const margin = 8 * time.Second // time left before the crossing for the first polls
	type run struct {
		name        string
		ledger      bool
		hideMDTM    bool
		cfg         ListenerConfig
		local, path string
		rec         *recorder
		mdtm        atomic.Int32
		l           *Listener
		mtime       time.Time
	}
	runs := []*run{{name: "memory"}, {name: "memory, no MDTM", hideMDTM: true},
		{name: "ledger", ledger: true}, {name: "ledger, no MDTM", ledger: true, hideMDTM: true}}
	start := func(r *run) {
		t.Helper()
		l, err := New(r.cfg, countingMDTM(r.cfg, r.hideMDTM, &r.mdtm))
		require.NoError(t, err, r.name)
		require.NoError(t, l.Attach(r.rec), r.name)
		t.Cleanup(func() { l.Stop(context.Background()) })
		if r.ledger {
			require.NoError(t, l.Start(context.Background()), r.name)
		}
		r.l = l
	}
	pollOnce := func(r *run) {
		t.Helper()
		if r.ledger {
			pollHand(t, r.l)
		} else {
			poll(t, r.l)
		}
	}
	for _, r := range runs {
		r.cfg, r.local = vsftpdDir(t)
		if r.ledger {
			r.cfg, _ = withLedger(t, r.cfg, schema.Postgres, "m")
		}
		r.path = r.cfg.Path + "/report.csv"
		r.rec = newRecorder()
		write(t, r.local, "report.csv", "same content", 0)
		// Each run's file gets its time just before the run's first poll,
		// so that a slow start cannot let it cross first.
		r.mtime = time.Now().Add(-182*24*time.Hour + margin).Truncate(time.Second)
		require.NoError(t, os.Chtimes(filepath.Join(r.local, "report.csv"), r.mtime, r.mtime))
		start(r)
		if r.ledger {
			pollUntil(t, r.l, r.name+": first delivery", func() bool { return r.rec.delivered() >= 1 })
		} else {
			pollOnce(r)
		}
		// The first poll saw the young form: the listing shows it still.
		require.Equal(t, remote.PrecisionMinute, listedPrecision(t, r.cfg, "report.csv"), "%s: the first poll was too slow: the file crossed before it", r.name)
	}
	for _, r := range runs {
		order, _, errs := r.rec.take()
		require.Equal(t, []string{r.path}, order, "%s: first poll", r.name)
		require.Empty(t, errs, "%s: first poll", r.name)
		require.Zero(t, r.mdtm.Load(), "%s: MDTM asked for a file listed with its minute", r.name)
	}

	last := runs[len(runs)-1] // the last to cross
	deadline := time.Now().Add(margin + 30*time.Second)
	for listedPrecision(t, last.cfg, "report.csv") != remote.PrecisionDay {
		require.True(t, time.Now().Before(deadline), "vsftpd never listed the file with its year")
		time.Sleep(200 * time.Millisecond) // between listings of a condition awaited
	}
	for _, r := range runs {
		pollOnce(r)
		order, _, errs := r.rec.take()
		require.Empty(t, order, "%s: the unchanged file was handled again once listed with its day", r.name)
		require.Empty(t, errs, "%s: after the crossing", r.name)
		require.Zero(t, r.mdtm.Load(), "%s: MDTM asked for an unchanged file", r.name)
	}

	// A restart forgets what was seen; the ledger still knows the version.
	for _, r := range runs {
		if !r.ledger {
			continue
		}
		rows := ledgerRows(t, r.l, r.path)
		require.Len(t, rows, 1, "%s: ledger rows", r.name)
		require.NoError(t, r.l.Stop(context.Background()))
		start(r)
		pollHand(t, r.l)
		pollHand(t, r.l)
		order, _, errs := r.rec.take()
		require.Empty(t, order, "%s: handled again after a restart", r.name)
		require.Empty(t, errs, "%s: after a restart", r.name)
		require.Len(t, ledgerRows(t, r.l, r.path), 1, "%s: ledger rows after a restart", r.name)
		want := int32(1) // the one file listed with its day, asked once
		if r.hideMDTM {
			want = 0
		}
		require.Equal(t, want, r.mdtm.Load(), "%s: MDTM commands after the restart", r.name)
	}

	// A real change of an old file (another size, its old time) is a new
	// version.
	for _, r := range runs {
		write(t, r.local, "report.csv", "other content, longer", 0)
		require.NoError(t, os.Chtimes(filepath.Join(r.local, "report.csv"), r.mtime, r.mtime))
		if r.ledger {
			pollUntil(t, r.l, r.name+": the changed file", func() bool { return r.rec.delivered() >= 1 })
		} else {
			pollOnce(r)
		}
		order, _, errs := r.rec.take()
		require.Equal(t, []string{r.path}, order, "%s: the changed file", r.name)
		require.Empty(t, errs, "%s: the changed file", r.name)
		require.Equal(t, "other content, longer", r.rec.files[r.path], "%s: content", r.name)
	}
}

// listedPrecision lists cfg's directory on the server and returns the
// precision of name's listed time.
func listedPrecision(t *testing.T, cfg ListenerConfig, name string) remote.Precision {
	t.Helper()
	return listedEntry(t, cfg, name).Precision
}

// On an MLSD server (pure-ftpd) version keys are what they always were:
// path, size and the listed time to the millisecond.
func TestMLSDVersionKeysUnchanged(t *testing.T) {
	cfg, local := pureDir(t)
	cfg, _ = withLedger(t, cfg, schema.Postgres, "m")
	rec := newRecorder()
	l := startedListener(t, cfg, rec)
	write(t, local, "a.csv", "12345", time.Hour)
	pollUntil(t, l, "a delivery", func() bool { return rec.delivered() >= 1 })
	st, err := os.Stat(filepath.Join(local, "a.csv"))
	require.NoError(t, err)
	p := cfg.Path + "/a.csv"
	f := ledger.File{Path: p, Size: 5, MTime: st.ModTime().Truncate(time.Second).UnixMilli()}
	rows := ledgerRows(t, l, p)
	require.Len(t, rows, 1)
	require.Equal(t, f.MTime, rows[0].MTime, "mtime_ms")
	require.Equal(t, ledger.VersionKey(cfg.Coordination.CoordinationGroup, ledger.PathSizeMTime, f), rows[0].Key, "version key")
}

// Ledgers of earlier releases keyed LIST files on their time as listed,
// read as UTC (the minute, or midnight for a file listed with its day).
// Those versions stay known after the upgrade, with MDTM and without, and
// when serverTimeZone is set at the upgrade, on every dialect: only the
// file without an old row is handled.
func TestLedgerRowsOfEarlierReleasesStayKnown(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		for _, v := range []struct {
			hide bool
			zone string
		}{{false, ""}, {true, ""}, {true, "Europe/Berlin"}} {
			hide := v.hide
			cfg, local := vsftpdDir(t)
			cfg, dbcfg := withLedger(t, cfg, d, "m")
			write(t, local, "old.csv", "old", 200*24*time.Hour)
			write(t, local, "young.csv", "young", 2*time.Hour)
			write(t, local, "new.csv", "new", 2*time.Hour)
			// The rows an earlier release entered and finished.
			db := testdb.Open(t, dbcfg, "UTC")
			lg, err := ledger.New(context.Background(), ledger.Config{DB: db, Dialect: d, GroupID: cfg.Coordination.CoordinationGroup, MemberID: "earlier"})
			require.NoError(t, err)
			var old []ledger.File
			for _, name := range []string{"old.csv", "young.csv"} {
				e := listedEntry(t, cfg, name)
				old = append(old, ledger.File{Path: cfg.Path + "/" + name, Size: e.Size, MTime: e.ModTime.UnixMilli()})
			}
			n, err := lg.Record(context.Background(), old)
			require.NoError(t, err)
			require.Equal(t, 2, n, "rows entered")
			_, err = db.Exec(testdb.Q(d, `UPDATE ftpcoord_file SET status = 'DONE' WHERE group_id = ?`), cfg.Coordination.CoordinationGroup)
			require.NoError(t, err)

			cfg.ServerTimeZone = v.zone // read as UTC by the earlier release
			var mdtm atomic.Int32
			rec := newRecorder()
			l, err := New(cfg, countingMDTM(cfg, hide, &mdtm))
			require.NoError(t, err)
			require.NoError(t, l.Attach(rec))
			t.Cleanup(func() { l.Stop(context.Background()) })
			require.NoError(t, l.Start(context.Background()))
			pollUntil(t, l, "the new file", func() bool { return rec.delivered() >= 1 })
			pollHand(t, l)
			order, _, errs := rec.take()
			require.Equal(t, []string{cfg.Path + "/new.csv"}, order, "MDTM hidden %v, zone %q: handled", hide, v.zone)
			require.Empty(t, errs, "MDTM hidden %v, zone %q", hide, v.zone)
			for _, f := range old {
				require.Len(t, ledgerRows(t, l, f.Path), 1, "MDTM hidden %v, zone %q: rows of %s", hide, v.zone, f.Path)
			}
		}
	})
}

// listedEntry lists cfg's directory on the server and returns name's entry.
func listedEntry(t *testing.T, cfg ListenerConfig, name string) remote.Entry {
	t.Helper()
	c, err := dialerFor(cfg.WithDefaults(), nil)(context.Background())
	require.NoError(t, err)
	defer c.Close()
	var out remote.Entry
	require.NoError(t, c.List(context.Background(), cfg.Path, func(e remote.Entry) error {
		if e.Name == name {
			out = e
		}
		return nil
	}))
	require.Equal(t, name, out.Name, "%s not listed", name)
	return out
}
