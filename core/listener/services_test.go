package listener

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// servicesOn makes a listener of cfg's server and coordination with the
// services given, each attached to its recorder.
func servicesOn(t *testing.T, cfg ListenerConfig, svcs []ServiceConfig, handlers ...any) *Listener {
	t.Helper()
	cfg.Path = ""
	cfg.Services = svcs
	l, err := New(cfg)
	require.NoError(t, err)
	for i, s := range svcs {
		require.NoError(t, l.AttachService(s.Name, handlers[i]))
	}
	t.Cleanup(func() { l.Stop(context.Background()) })
	return l
}

func sortedOrder(r *recorder) []string {
	order, _, _ := r.take()
	slices.Sort(order)
	return order
}

// Two services on one listener, each with its own path and
// fileNamePattern: one poll lists both directories, and each service gets
// its own files only, each once; its deletions too.
func TestServicesWatchTheirOwnPaths(t *testing.T) {
	cfg, local := pureDir(t) // settleTime and workers at their documented defaults
	base := cfg.Path
	require.Equal(t, DefaultSettleTime, *cfg.WithDefaults().SettleTime)
	write(t, local, "in/a.csv", "a", time.Hour)
	write(t, local, "in/a.txt", "not a csv", time.Hour)
	write(t, local, "out/b.xml", "b", time.Hour)
	write(t, local, "out/c.csv", "not xml", time.Hour)
	in, out := newRecorder(), newRecorder()
	l := servicesOn(t, cfg, []ServiceConfig{
		{Name: "in", Path: base + "/in", FileNamePattern: `.*\.csv`},
		{Name: "out", Path: base + "/out/", FileNamePattern: `.*\.xml`},
	}, in, out)
	poll(t, l)
	assert.Equal(t, []string{base + "/in/a.csv"}, sortedOrder(in))
	assert.Equal(t, []string{base + "/out/b.xml"}, sortedOrder(out))
	poll(t, l)
	assert.Empty(t, sortedOrder(in), "unchanged: nothing again")
	assert.Empty(t, sortedOrder(out), "unchanged: nothing again")

	require.NoError(t, os.Remove(filepath.Join(local, "in/a.csv")))
	write(t, local, "out/d.xml", "d", time.Hour)
	poll(t, l)
	order, deleted, errs := in.take()
	assert.Empty(t, order)
	assert.Equal(t, []string{base + "/in/a.csv"}, deleted, "the deletion told to its own service")
	assert.Empty(t, errs)
	order, deleted, _ = out.take()
	assert.Equal(t, []string{base + "/out/d.xml"}, order)
	assert.Empty(t, deleted, "another service's deletion")
}

// Each service's fileAgeFilter and fileDependencyConditions are its own.
func TestServicesFiltersAreTheirOwn(t *testing.T) {
	cfg, local := pureDir(t)
	base := cfg.Path
	cfg.SettleTime = new(0.0)
	write(t, local, "x/young.csv", "y", 0)
	write(t, local, "x/old.csv", "o", time.Hour)
	write(t, local, "x/data.csv", "d", time.Hour) // no marker
	aged, marked := newRecorder(), newRecorder()
	l := servicesOn(t, cfg, []ServiceConfig{
		{Name: "aged", Path: base + "/x", FileNamePattern: `.*\.csv`, FileAgeFilter: &FileAgeFilter{MinAge: 600}},
		{Name: "marked", Path: base + "/x", FileNamePattern: `data\.csv|old\.csv`,
			FileDependencyConditions: []FileDependencyCondition{{TargetPattern: `data\.csv`, RequiredFiles: []string{`data\.ok`}}}},
	}, aged, marked)
	poll(t, l)
	assert.Equal(t, []string{base + "/x/data.csv", base + "/x/old.csv"}, sortedOrder(aged), "minAge 600: the young file waits, no dependency condition here")
	assert.Equal(t, []string{base + "/x/old.csv"}, sortedOrder(marked), "data.csv waits for its marker; no age filter here")
	write(t, local, "x/data.ok", "", time.Hour)
	poll(t, l)
	assert.Empty(t, sortedOrder(aged))
	assert.Equal(t, []string{base + "/x/data.csv"}, sortedOrder(marked), "its marker came")
}

// Two services watching the same directory through the ledger: each gets
// every file once, in its own key space; the service without a name keeps
// the group's own rows. Status counts per service.
func TestServicesOverlappingPathsEachGetTheFileOnceWithTheLedger(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		base := cfg.Path
		cfg.SettleTime = new(0.0)
		cfg, _ = withLedger(t, cfg, d, "a")
		for i := range 5 {
			write(t, local, fmt.Sprintf("f%d.csv", i), fmt.Sprint(i), time.Hour)
		}
		write(t, local, "sub/g.csv", "g", time.Hour)
		whole, all := newRecorder(), newRecorder()
		recursive := true
		cfg.Recursive = recursive
		l := servicesOn(t, cfg, []ServiceConfig{
			{Path: base},
			{Name: "all", Path: base + "/sub"},
		}, whole, all)
		require.NoError(t, l.Start(context.Background()))
		pollUntil(t, l, "every file to each service", func() bool { return whole.delivered() == 6 && all.delivered() == 1 })
		pollHand(t, l)
		pollHand(t, l)
		assert.Len(t, sortedOrder(whole), 6, "each file once")
		assert.Equal(t, []string{base + "/sub/g.csv"}, sortedOrder(all), "the file both watch, once for this service too")

		p := base + "/sub/g.csv"
		for _, s := range l.services.scopes {
			rows, err := s.ledger.Get(context.Background(), p)
			require.NoError(t, err)
			require.Len(t, rows, 1, "service %q: one row of its own", s.name)
			assert.Equal(t, ledger.Done, rows[0].Status)
		}
		st, err := l.Status(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 7, st.Ledger[ledger.Done], "summed over the services")
		assert.Equal(t, 6, st.Services[base][ledger.Done], "the service without a name, by its path")
		assert.Equal(t, 1, st.Services["all"][ledger.Done])
		_, _, errs := whole.take()
		assert.Empty(t, errs)
	})
}

// A listener with one service keeps its ledger rows when it gains a
// second: the first, left without a name, processes nothing again; the new
// one processes everything of its path.
func TestServicesKeepASingleServicesLedgerRows(t *testing.T) {
	cfg, local := pureDir(t)
	cfg.SettleTime = new(0.0)
	cfg, db := withLedger(t, cfg, schema.Postgres, "a")
	for i := range 3 {
		write(t, local, fmt.Sprintf("f%d", i), fmt.Sprint(i), time.Hour)
	}
	first := newRecorder()
	l := startedListener(t, cfg, first)
	pollUntil(t, l, "the single service's files", func() bool { return first.delivered() == 3 })
	require.NoError(t, l.Stop(context.Background()))

	again, second := newRecorder(), newRecorder()
	cfg2 := member2(cfg, db, "a")
	l2 := servicesOn(t, cfg2, []ServiceConfig{{Path: cfg.Path}, {Name: "second", Path: cfg.Path}}, again, second)
	require.NoError(t, l2.Start(context.Background()))
	pollUntil(t, l2, "the new service's files", func() bool { return second.delivered() == 3 })
	pollHand(t, l2)
	assert.Zero(t, again.delivered(), "the service that kept the group's rows processed its files again")
}

// A failover with two services: the member that dies holds a file of the
// first; the one that takes over reclaims it in that service's space and
// processes the second service's files, each once.
func TestServicesFailover(t *testing.T) {
	testdb.EachServerDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg, local := pureDir(t)
		base := cfg.Path
		cfg.SettleTime = new(0.0)
		cfg, db := withLedger(t, cfg, d, "a")
		write(t, local, "one/x", "x", time.Hour)
		write(t, local, "two/y", "y", time.Hour)
		write(t, local, "two/z", "z", time.Hour)
		svcs := []ServiceConfig{{Name: "one", Path: base + "/one"}, {Name: "two", Path: base + "/two"}}
		dead1, dead2 := newHolding(), newHolding()
		a := servicesOn(t, cfg, svcs, dead1, dead2)
		require.NoError(t, a.Start(context.Background()))
		go a.PollOnce(context.Background())
		<-dead1.started // a holds service one's file; service two waits its turn

		b1, b2 := newRecorder(), newRecorder()
		lb := servicesOn(t, member2(cfg, db, "b"), svcs, b1, b2)
		require.NoError(t, lb.Start(context.Background()))
		waitUntil(t, "b to wait on a's session lock", func() bool { return lb.Coordinator().State().CrashSignal })
		require.NoError(t, a.Halt())
		waitUntil(t, "b to process both services' files", func() bool { return b1.delivered() == 1 && b2.delivered() == 2 })
		assert.Equal(t, []string{base + "/one/x"}, sortedOrder(b1))
		assert.Equal(t, []string{base + "/two/y", base + "/two/z"}, sortedOrder(b2))
		assert.Empty(t, dead2.tries, "the dead member never reached service two")
		for _, s := range lb.services.scopes {
			st := s
			waitUntil(t, "service "+s.name+"'s rows DONE", func() bool {
				c, err := st.ledger.Counts(context.Background())
				return err == nil && c[ledger.Done] == map[string]int{"one": 1, "two": 2}[st.name] && c[ledger.InProgress] == 0
			})
		}
		rows, err := lb.services.scopes[0].ledger.Get(context.Background(), base+"/one/x")
		require.NoError(t, err)
		require.Len(t, rows, 1)
		assert.Equal(t, "b", rows[0].Owner)
		assert.Equal(t, 2, rows[0].Tries, "the dead member's attempt counted")
	})
}

// contentRecorder is a ContentService whose onFileCsv and onFile record
// the files they took; files named bad* fail (rejected at once).
func contentRecorder(rec *recorder) *ContentService {
	take := func(ctx context.Context, f FileInfo, body string) error {
		if strings.HasPrefix(f.Name, "bad") {
			return fmt.Errorf("bad: %w", ErrReject)
		}
		return rec.OnFile(ctx, f, strings.NewReader(body), nil)
	}
	return &ContentService{
		CSV: CSVAs(func(ctx context.Context, rows [][]string, f FileInfo, _ *Caller) error {
			return take(ctx, f, fmt.Sprint(rows))
		}),
		File: func(ctx context.Context, f FileInfo, r io.Reader, _ *Caller) error {
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			return take(ctx, f, string(b))
		},
	}
}

// The after-action of the method that handled a file applies (Ballerina's
// @ftp:FunctionConfig): a ContentService's onFileCsv moves, its onFile does
// nothing; a method without one does nothing to the file
// (Ballerina's default), unless the service gives one; a move decoded from
// JSON keeps the subdirectories (preserveSubDirs defaults to true).
func TestServicesPerMethodAfterActions(t *testing.T) {
	for _, ledgered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ledger=%v", ledgered), func(t *testing.T) {
			cfg, local := pureDir(t)
			base := cfg.Path
			cfg.SettleTime = new(0.0)
			cfg.Recursive = true
			if ledgered {
				cfg, _ = withLedger(t, cfg, schema.Postgres, "a")
			}
			var methods map[string]MethodConfig
			require.NoError(t, json.Unmarshal([]byte(fmt.Sprintf(`{
				"onFileCsv": {"afterProcess": {"moveTo": %q}, "afterError": "DELETE"},
				"onFile": {}
			}`, base+"-csv")), &methods))
			require.True(t, methods["onFileCsv"].AfterProcess.PreserveSubDirs, "Ballerina's default")
			write(t, local, "in/sub/a.csv", "h\na", time.Hour)
			write(t, local, "in/b.txt", "b", time.Hour)
			write(t, local, "in/bad.csv", "h\nbad", time.Hour)
			write(t, local, "in/bad.txt", "bad", time.Hour)
			write(t, local, "other/c.txt", "c", time.Hour)
			rec, other := newRecorder(), newRecorder()
			t.Cleanup(func() { os.RemoveAll(local + "-csv") })
			l := servicesOn(t, cfg, []ServiceConfig{
				{Name: "in", Path: base + "/in", Methods: methods},
				{Name: "other", Path: base + "/other", AfterProcess: &PostAction{Delete: true}, Methods: map[string]MethodConfig{"onFileCsv": {AfterProcess: &PostAction{MoveTo: base + "-csv"}}}},
			}, contentRecorder(rec), other)
			if ledgered {
				require.NoError(t, l.Start(context.Background()))
			}
			pollUntil(t, l, "the good files", func() bool { return rec.delivered() == 2 && other.delivered() == 1 })
			gone := func(p string) bool { _, err := os.Stat(filepath.Join(local, p)); return errors.Is(err, os.ErrNotExist) }
			waitUntil(t, "the after-actions", func() bool { return gone("in/sub/a.csv") && gone("in/bad.csv") && gone("other/c.txt") })
			_, err := os.Stat(filepath.Join(local+"-csv", "sub/a.csv"))
			assert.NoError(t, err, "onFileCsv's afterProcess moved it, keeping sub/")
			assert.FileExists(t, filepath.Join(local, "in/b.txt"), "onFile has no afterProcess: nothing done")
			assert.FileExists(t, filepath.Join(local, "in/bad.txt"), "onFile has no afterError: nothing done")
			assert.NoFileExists(t, filepath.Join(local+"-csv", "c.txt"), "other's onFile takes the service's DELETE, not onFileCsv's move")
		})
	}
}

// The configuration's errors name the field and the fix.
func TestServicesConfigErrors(t *testing.T) {
	for _, c := range []struct{ json, field, says string }{
		{`{"path": "/a", "services": [{"path": "/b"}]}`, "path", "move it into services[i].path"},
		{`{"fileNamePattern": ".*", "services": [{"path": "/b"}]}`, "fileNamePattern", "set both at the top level and in services"},
		{`{"afterProcess": "DELETE", "services": [{"path": "/b"}]}`, "afterProcess", "set both"},
		{`{"services": [{"name": "x"}]}`, "services[0].path", "required"},
		{`{"services": [{"path": "/a"}, {"path": "/b"}]}`, "services[1].name", "only one service may go without"},
		{`{"services": [{"name": "x", "path": "/a"}, {"name": "x", "path": "/b"}]}`, "services[1].name", `"x" is also services[0]'s`},
		{`{"services": [{"name": "a b", "path": "/a"}]}`, "services[0].name", "letters, digits"},
		{`{"services": [{"path": "b"}]}`, "services[0].path", "must be absolute"},
		{`{"services": [{"path": "/a", "fileNamePattern": "(?=x)"}]}`, "services[0].fileNamePattern", ""},
		{`{"services": [{"path": "/a", "afterProcess": {"moveTo": "/a"}}]}`, "services[0].afterProcess.moveTo", "watched directory itself"},
		{`{"services": [{"path": "/a", "methods": {"onFileJSON": {}}}]}`, "services[0].methods.onFileJSON", "onFileJson"},
		{`{"services": [{"path": "/a", "methods": {"onFileXml": {"afterError": {"moveTo": "/a"}}}}]}`, "services[0].methods.onFileXml.afterError.moveTo", "watched directory itself"},
		{`{"services": [{"path": "/a", "fileAgeFilter": {"minAge": -1}}]}`, "services[0].fileAgeFilter", ""},
	} {
		_, err := DecodeConfig([]byte(c.json))
		require.Error(t, err, c.json)
		var fe *FieldError
		found := false
		for _, e := range unjoin(err) {
			if errors.As(e, &fe) && fe.Field == c.field || errors.As(e, &fe) && strings.HasPrefix(fe.Field, c.field+".") {
				found = true
				assert.Contains(t, fe.Problem, c.says, c.json)
			}
		}
		assert.True(t, found, "%s: want an error on %s, got %v", c.json, c.field, err)
	}
	cfg, err := DecodeConfig([]byte(`{"services": [{"path": "/a"}, {"name": "b", "path": "/b", "fileNamePattern": ".*\\.csv",
		"methods": {"onFileCsv": {"afterProcess": {"moveTo": "/done"}}}}]}`))
	require.NoError(t, err)
	require.Len(t, cfg.Services, 2)
	assert.True(t, cfg.Services[1].Methods["onFileCsv"].AfterProcess.PreserveSubDirs)
	assert.Empty(t, cfg.Unhonoured(), "no warning about an unset path when the services have theirs")
	cfg, err = DecodeConfig([]byte(`{"services": [{"path": "/a", "fileAgeFilter": {"minAge": 1, "ageCalculationMode": "CREATION_TIME"}}]}`))
	require.NoError(t, err)
	require.Len(t, cfg.Unhonoured(), 1)
	assert.Contains(t, cfg.Unhonoured()[0], "services[0].fileAgeFilter.ageCalculationMode CREATION_TIME: has no effect")
	_, err = DecodeConfig([]byte(`{"services": [{"path": "/a", "fileAgeFilter": {"ageCalculationMode": "BIRTH"}}]}`))
	assert.ErrorContains(t, err, "services[0].fileAgeFilter.ageCalculationMode")
}

// A listener with several services attaches each by name; Start names the
// services still without one.
func TestServicesAttachByName(t *testing.T) {
	l, err := New(ListenerConfig{Services: []ServiceConfig{{Path: "/a"}, {Name: "b", Path: "/b"}}})
	require.NoError(t, err)
	rec := newRecorder()
	assert.ErrorContains(t, l.Attach(rec), "attach each with AttachService")
	assert.ErrorContains(t, l.AttachService("c", rec), `no service named "c"`)
	require.NoError(t, l.AttachService("b", rec))
	err = l.Start(context.Background())
	require.ErrorIs(t, err, ErrNoService)
	assert.ErrorContains(t, err, `services ""`)
	assert.Equal(t, "/a", l.Config().Services[0].Path)
}

// A ContentService names the method a file reaches as OnFile routes it:
// by Route's pattern, else the extension, else onFile when no typed
// method takes the kind.
func TestContentServiceMethodFor(t *testing.T) {
	s := &ContentService{
		Text: func(context.Context, string, FileInfo, *Caller) error { return nil },
		CSV:  CSVAs(func(context.Context, [][]string, FileInfo, *Caller) error { return nil }),
	}
	require.NoError(t, s.Route(`report_.*\.json`, ContentText))
	for name, want := range map[string]string{"a.txt": "onFileText", "a.CSV": "onFileCsv", "a.json": "onFile",
		"report_1.json": "onFileText", "a.bin": "onFile"} {
		assert.Equal(t, want, methodOf(s, fileNamed(name)), name)
	}
	assert.Equal(t, "onFile", methodOf(newRecorder(), fileNamed("a.csv")), "a FileService")
	assert.Equal(t, "onFileChange", methodOf(changesOnly{}, fileNamed("a.csv")))
}

type changesOnly struct{}

func (changesOnly) OnFileChange(context.Context, WatchEvent, *Caller) error { return nil }

// A service whose directory cannot be listed fails its own listing only:
// the other service's files still arrive, the poll's error and the
// listing health name the failing service, and its failure is not ended
// by the other's listing.
func TestServicesListingFailsPerService(t *testing.T) {
	cfg, local := pureDir(t)
	base := cfg.Path
	cfg.SettleTime = new(0.0)
	write(t, local, "ok/a", "a", time.Hour)
	good, bad := newRecorder(), newRecorder()
	l := servicesOn(t, cfg, []ServiceConfig{{Name: "gone", Path: base + "/missing"}, {Name: "ok", Path: base + "/ok"}}, bad, good)
	err := l.PollOnce(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "service gone: listener: list "+base+"/missing")
	assert.Equal(t, []string{base + "/ok/a"}, sortedOrder(good))
	h := l.ListingHealth()
	assert.True(t, h.Failing)
	assert.Contains(t, h.Error, "service gone: ")
	_, _, errs := bad.take()
	assert.Len(t, errs, 1, "the failing service's OnError")
	require.Error(t, l.PollOnce(context.Background()))
	assert.Equal(t, 2, l.ListingHealth().Failures, "the other service's listing does not end this failure")
	require.NoError(t, os.Mkdir(filepath.Join(local, "missing"), 0o777))
	require.NoError(t, l.PollOnce(context.Background()))
	assert.False(t, l.ListingHealth().Failing)
}
