// Package listener watches a remote directory over FTP, FTPS or SFTP and
// hands new, changed and deleted files to the user's service, with
// ballerina/ftp's configuration names and events. With a coordination
// configured, only the active member of the group polls.
package listener

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// ErrPollInProgress is returned by PollOnce while another poll runs.
var ErrPollInProgress = errors.New("listener: a poll is already running")

// ErrNoService is returned by Start and PollOnce before Attach.
var ErrNoService = errors.New("listener: no service attached")

// Option changes how New builds a Listener.
type Option func(*Listener)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(x *Listener) { x.log = l } }

// WithDialer replaces the connection to the file server (for in-process
// test servers); by default it follows the configuration.
func WithDialer(d remote.Dialer) Option { return func(x *Listener) { x.dial = d } }

// seenFile is the version of a file last reported (path + size + mtime: a
// change of either is a new version), and the poll that last listed it.
type seenFile struct {
	size  int64
	mtime int64  // ms, at the server's grain (see versionTimes)
	gen   uint64 // the last poll that listed it
}

// Listener polls one directory and dispatches its changes.
type Listener struct {
	cfg     ListenerConfig
	log     *slog.Logger
	obs     Observer
	dial    remote.Dialer
	pool    *remote.Pool
	caller  *Caller
	filters filterChain // what a listing reports (filters.go)
	uri     string
	now     func() time.Time
	mode    Mode // cfg.Mode, parsed
	// unentered: the running warm-backup listing's versions not in the
	// ledger yet, counted in the backlog (unentered.go).
	unentered unentered

	mu      sync.Mutex
	member  *membership // with coordination, while started (membership.go)
	cancel  context.CancelFunc
	done    chan struct{}
	drain   chan struct{} // closed when a graceful stop begins
	stopSig *stopSignal   // ends the file-server work when a graceful stop begins (see remote)
	// wake asks the polling loop for a poll now: this member just became
	// active, and the files a crashed holder had in hand are waiting.
	wake chan struct{}

	polling    sync.Mutex // held by the running poll
	*pollState            // used under polling; the entered service's (services.go)
	services   serviceSet
	draining   atomic.Bool // a graceful stop began: no new poll or claim
	halting    atomic.Bool // Halt: stop as a crash would, writing nothing
	work       workWatch   // whether this member can reach the server (workhealth.go)
	watch      pollWatch   // the running poll's progress (deadline.go)
	tracing    *tracing    // nil: no tracing (tracing.go)
}

// pollState is what one poll leaves to the next: the lifecycle of the
// Listener is not in it, and only the running poll (under polling) uses it.
type pollState struct {
	seen      map[string]*seenFile  // by path
	gen       uint64                // polls so far
	unstable  map[string]*candidate // new versions not yet stable
	times     versionTimes          // listed times made comparable
	settled   settleState           // the guard against files still being written
	lastPurge time.Time             // of finished ledger rows
	// present is every path the last listing showed (filters applied),
	// whether or not it was reported yet, collected only for a purge: a
	// file that is listed but not yet stable, old enough or entered in the
	// ledger is not gone.
	present map[string]struct{}
	// unstorable: paths the ledger cannot hold, already reported.
	unstorable map[string]bool
	// listReminder: the listing failure count at which it is reported
	// again.
	listReminder int
	// orphansTerm: the term whose start ended the claims of older terms
	// (warm-backup; see reclaimOrphans).
	orphansTerm int64
	superseded  supersededSet // versions superseded under their transfer
}

func newPollState() *pollState {
	return &pollState{seen: map[string]*seenFile{}, unstable: map[string]*candidate{}, unstorable: map[string]bool{}}
}

// New validates cfg and prepares a listener; nothing connects until Start
// or PollOnce.
func New(cfg ListenerConfig, opts ...Option) (*Listener, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	notes := cfg.Unhonoured() // before the defaults: it tells a field left out
	cfg = cfg.WithDefaults()
	l := &Listener{cfg: cfg, log: slog.Default(), now: time.Now, pollState: newPollState(), wake: make(chan struct{}, 1)}
	for _, o := range opts {
		o(l)
	}
	if l.obs == nil {
		l.obs = nopObserver{}
	}
	l.mode, _ = parseMode(cfg.Mode) // checked by Validate
	l.filters = l.newFilterChain(cfg)
	l.times.loc, _ = checkServerTimeZone(cfg.ServerTimeZone) // checked by Validate
	l.newServices(cfg)
	l.uri = fmt.Sprintf("%s://%s:%d", strings.ToLower(cfg.Protocol), cfg.Host, cfg.Port)
	for _, u := range notes {
		l.log.Warn("listener config: " + u)
	}
	if l.dial == nil {
		l.dial = dialerFor(cfg, l.log)
	}
	l.dial = l.watchDial(l.dial)
	l.pool = remote.NewPool(l.dial, remote.PoolConfig{Size: cfg.MaxConnections, Retry: *cfg.RetryConfig})
	l.caller = &Caller{pool: l.pool, uri: l.uri}
	return l, nil
}

// Config returns the configuration in use, defaults applied.
func (l *Listener) Config() ListenerConfig { return l.services.config }

// Caller returns the listener's Caller, for use outside handlers.
func (l *Listener) Caller() *Caller { return l.caller }

// Attach sets the service; it must implement at least one of
// FileChangeService, FileService, FileDeleteService and ErrorService.
func (l *Listener) Attach(service any) error {
	if err := checkService(service); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.attachOne(service)
}

func checkService(service any) error {
	switch service.(type) {
	case FileChangeService, FileService, FileDeleteService, ErrorService:
		return nil
	}
	return fmt.Errorf("listener: %T implements none of OnFileChange, OnFile, OnFileDelete, OnError", service)
}

// Start joins the coordination group, if configured, and polls every
// pollingInterval until Stop. A poll that outlasts the interval makes the
// next ticks skip, with a log line, rather than overlap.
func (l *Listener) Start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.services.unattached(); err != nil {
		return err
	}
	if l.cancel != nil {
		return errors.New("listener: already started")
	}
	if c := l.cfg.Coordination; c != nil {
		m, err := l.join(ctx, c)
		if err != nil {
			return err
		}
		l.member = m
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel, l.done, l.drain = cancel, make(chan struct{}), make(chan struct{})
	sigCtx, sigCancel := context.WithCancelCause(context.Background())
	l.stopSig = &stopSignal{ctx: sigCtx, cancel: sigCancel}
	l.draining.Store(false)
	l.halting.Store(false)
	go l.run(runCtx, l.drain)
	return nil
}

func (l *Listener) run(ctx context.Context, drain <-chan struct{}) {
	defer close(l.done)
	interval := l.cfg.pollingInterval()
	t := time.NewTicker(interval)
	defer t.Stop()
	woken := false
	for {
		select {
		case <-l.wake: // this poll is the one asked for
		default:
		}
		err := l.PollOnce(ctx)
		// A wake-up that finds a poll at work (a host's PollOnce) skips
		// no tick.
		if errors.Is(err, ErrPollInProgress) && !woken {
			l.log.Warn("listener: the previous poll is still running; skipping this tick", "pollingInterval", interval)
		}
		select {
		case <-ctx.Done():
			return
		case <-drain:
			return
		case <-t.C:
			woken = false
		case <-l.wake:
			woken = true
		}
	}
}

// wakeUp asks the polling loop for a poll now (once, however often asked
// before it runs).
func (l *Listener) wakeUp() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Stop ends polling, waits for the running poll, leaves the coordination
// group (gracefully, so a standby takes over at once) and closes the
// connections.
func (l *Listener) Stop(ctx context.Context) error { return l.stop(ctx, true) }

// Halt stops like Stop but leaves the coordination group as a crash would:
// the token is left to expire, nothing is handed over.
func (l *Listener) Halt() error { return l.stop(context.Background(), false) }

func (l *Listener) stop(ctx context.Context, graceful bool) error {
	l.mu.Lock()
	cancel, done, drain, member, sig := l.cancel, l.done, l.drain, l.member, l.stopSig
	l.cancel, l.drain, l.member = nil, nil, nil
	l.mu.Unlock()
	if cancel != nil {
		if graceful {
			// Drain: the poll at work claims nothing more and stops
			// waiting for the file server (see remote); its handlers
			// finish and commit, until ctx ends or one lease has passed.
			l.draining.Store(true)
			sig.cancel(errStopping)
			close(drain)
			t := time.NewTimer(l.cfg.processingTimeout())
			select {
			case <-done:
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		l.halting.Store(!graceful)
		cancel() // handlers still at work are cut short (and given back, unless halting)
		<-done
		l.draining.Store(false) // stopped, not stopping: a later call fails on the closed pool
	}
	var errs []error
	if member != nil {
		errs = append(errs, member.leave(ctx, graceful))
	}
	errs = append(errs, l.pool.Close())
	return errors.Join(errs...)
}

// Status is a member's view of itself, for operators and hosts.
type Status struct {
	Coordinated bool `json:"coordinated"`
	// Role, Holder, Term, LastHeartbeat and Healthy describe the
	// coordination group (with coordination configured and started).
	Role          string    `json:"role,omitempty"`
	Holder        string    `json:"holder,omitempty"`
	Term          int64     `json:"term,omitempty"`
	LastHeartbeat time.Time `json:"lastHeartbeat,omitzero"`
	Healthy       bool      `json:"healthy"`
	// Ledger counts the group's file versions by state.
	Ledger map[ledger.Status]int `json:"ledger,omitempty"`
	// Services counts them per service, when there are several (by name,
	// or path for the one without).
	Services map[string]map[ledger.Status]int `json:"services,omitempty"`
	// Listing tells whether the watched directory can be listed (on the
	// member that lists: the active one).
	Listing ListingHealth `json:"listing"`
	// Work tells whether this member can do the work (workhealth.go).
	Work WorkHealth `json:"work"`
	// Poll tells whether the running poll makes progress; a stuck one
	// makes the member not ready.
	Poll PollHealth `json:"poll"`
	// signals.go: whether the member is ready, and why not; the group's
	// backlog (with the ledger).
	Readiness Readiness       `json:"readiness"`
	Backlog   *ledger.Backlog `json:"backlog,omitempty"`
}

// Status reports the member's role and the ledger's counts.
func (l *Listener) Status(ctx context.Context) (Status, error) {
	coord, lg := l.coordinated()
	listing, work, pollHealth, ready := l.ListingHealth(), l.WorkHealth(), l.PollHealth(), l.Readiness()
	if coord == nil {
		return Status{Healthy: true, Listing: listing, Work: work, Poll: pollHealth, Readiness: ready}, nil
	}
	st := coord.State()
	out := Status{Coordinated: true, Role: st.Role.String(), Holder: st.Holder, Term: st.Term,
		LastHeartbeat: st.LastHeartbeat, Healthy: st.Healthy, Listing: listing, Work: work, Poll: pollHealth, Readiness: ready}
	if lg != nil {
		counts, per, err := l.ledgerCounts(ctx, lg)
		if err != nil {
			return out, err
		}
		out.Ledger, out.Services = counts, per
		b, err := l.Backlog(ctx)
		if err != nil {
			return out, err
		}
		out.Backlog = &b
	}
	return out, nil
}

// Coordinator returns the coordination member while started with one.
func (l *Listener) Coordinator() *taskcompat.Coordinator {
	coord, _ := l.coordinated()
	return coord
}

// coordinated returns the coordinator and the ledger while started with
// them (nil, nil otherwise).
func (l *Listener) coordinated() (*taskcompat.Coordinator, *ledger.Ledger) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.member == nil {
		return nil, nil
	}
	return l.member.coord, l.member.ledger
}

// PollOnce runs one polling cycle now: list, compare with what was seen,
// dispatch. Hosts that schedule polls themselves call it instead of Start.
// On a standby member it does nothing.
func (l *Listener) PollOnce(ctx context.Context) (err error) {
	if !l.polling.TryLock() {
		return ErrPollInProgress
	}
	defer l.polling.Unlock()
	defer l.pollBegan()()
	// A bug or a hostile input that panics fails this poll, not the
	// process: the next poll runs as usual.
	defer l.recovered("poll", &err)
	ctx, endPoll := l.tracePoll(ctx) // tracing: the poll's span
	defer func() { endPoll(err) }()
	start := time.Now()
	err = l.pollOnce(ctx)
	l.obs.PollDone(time.Since(start), err)
	return err
}

func (l *Listener) pollOnce(ctx context.Context) error {
	l.mu.Lock()
	member, unattached := l.member, l.services.unattached()
	l.mu.Unlock()
	if unattached != nil {
		return unattached
	}
	if l.draining.Load() {
		return nil
	}
	lead, release, term, active, ok := l.lead(ctx, member)
	defer release()
	if !ok {
		return nil
	}
	return l.pollServices(ctx, lead, member, term, active)
}

// pollService is one service's share of a poll, its scope entered.
func (l *Listener) pollService(ctx, lead context.Context, service any, member *membership, term int64, active bool) error {
	if member != nil && member.ledger != nil {
		return l.pollWithLedger(ctx, lead, service, member, term, active)
	}
	added, complete, err := l.listReporting(ctx, service)
	if err != nil && !errors.Is(err, remote.ErrTruncated) {
		return err
	}
	ev := l.diff(added, complete)
	if len(ev.AddedFiles) > 0 || len(ev.DeletedFiles) > 0 {
		if derr := l.dispatch(ctx, lead, service, ev); derr != nil {
			return derr
		}
	}
	return err // nil, or the truncation: the poll was partial
}

// listReporting lists and tells OnError what went wrong. A truncated
// listing is partial (complete false) but usable: what it holds is reported,
// nothing missing from it is taken for deleted. Any other error makes the
// poll fail.
func (l *Listener) listReporting(ctx context.Context, service any) (added []listed, complete bool, err error) {
	_, downloads := service.(FileService)
	lctx, endListing := l.traceStep(ctx, SpanListing) // tracing: the listing's span
	added, err = l.list(lctx, downloads)
	endListing(err)
	if err == nil || errors.Is(err, remote.ErrTruncated) {
		added = l.settle(ctx, added) // files still being written wait
	}
	switch {
	case err == nil:
		l.listingWorked(ctx)
		return added, true, nil
	case errors.Is(err, remote.ErrTruncated):
		l.listingWorked(ctx)
		l.log.Error("listener: the server truncated the listing; deletions are not reported until it lists everything", "err", err)
		l.reportError(ctx, service, fmt.Errorf("listener: list %s: %w", l.cfg.Path, err))
		return added, false, err
	default:
		err = fmt.Errorf("listener: list %s: %w", l.cfg.Path, err)
		if report := l.listingFailed(err); report != nil {
			l.reportError(ctx, service, report)
		}
		return nil, false, err
	}
}

// listed is a file a poll will report. It is kept small, and a FileInfo
// is built only for the files reported.
type listed struct {
	dir   string // shared by every file of one directory
	entry remote.Entry
	// listedMS is the time as listed, in ms, before versionTimes settled
	// entry's to the server's grain.
	listedMS int64
}

// list walks the watched directory (and subdirectories when recursive),
// marks every seen file it finds as present in this poll, and returns the
// new and changed versions that pass the filters. When a server cut a listing
// short, it returns what it got and an error that is remote.ErrTruncated.
// Unchanged files cost no allocation beyond the listing's own. warm: the
// service downloads what is found, so the workers' sessions are opened as
// soon as there is some.
func (l *Listener) list(ctx context.Context, warm bool) ([]listed, error) {
	ctx, stop := l.remote(ctx)
	defer stop()
	warmCtx := ctx // the sessions warmed outlive the listing's deadline
	ctx, cancel, outcome := l.listingDeadline(ctx)
	defer cancel()
	defer l.progressed()
	l.forgetSuperseded()
	budget := &listingBudget{cfg: &l.cfg}
	l.gen++
	l.present = nil
	if l.purgeDue() {
		l.present = map[string]struct{}{}
	}
	var added []listed
	var truncated error
	now := l.now()
	key := make([]byte, 0, 256)
	var names []string      // of the directory being listed, for dependency conditions
	var held []remote.Entry // targets of dependency conditions, waiting for the listing's end
	// consider decides on one listed file: unchanged, not ready yet, not
	// stable yet, or a new version to report.
	consider := func(dir string, e remote.Entry) {
		key = appendPath(key[:0], dir, e.Name)
		if l.present != nil {
			l.present[string(key)] = struct{}{}
		}
		if f := l.seen[string(key)]; f != nil { // no allocation for the lookup
			f.gen = l.gen
			if f.size == e.Size && l.times.same(f.mtime, e) {
				return
			}
		}
		if !l.filters.admits(key, e, now) {
			return
		}
		added = append(added, listed{dir: dir, entry: e})
		if warm && len(added) <= l.cfg.Workers {
			// There is work: the sessions the workers will need (one
			// per file, up to workers; the listing's own is one) open
			// while the listing goes on.
			l.pool.Warm(warmCtx, len(added))
		}
	}
	var walk func(c remote.Conn, dir string, depth int) error
	walk = func(c remote.Conn, dir string, depth int) error {
		if err := budget.dir(); err != nil {
			return err
		}
		var subdirs []string
		err := c.List(ctx, dir, func(e remote.Entry) error {
			if err := budget.entry(); err != nil {
				return err
			}
			if len(l.filters.deps) > 0 && !e.IsDir {
				names = append(names, e.Name) // markers count whatever the filters say
			}
			if !l.filters.shows(e.Name) {
				return nil
			}
			if e.IsDir {
				if l.cfg.Recursive && (l.cfg.MaxDepth == 0 || depth < l.cfg.MaxDepth) {
					subdirs = append(subdirs, joinPath(dir, e.Name))
				}
				return nil
			}
			if !l.filters.named(e.Name) {
				return nil
			}
			if len(l.filters.deps) > 0 {
				if l.filters.deps.targets(e.Name) {
					held = append(held, e) // decided once the whole directory is known
					return nil
				}
			}
			consider(dir, e)
			return nil
		})
		err = budget.cut(err)
		for _, e := range held {
			if l.filters.deps.satisfied(e.Name, names) {
				consider(dir, e)
			} else {
				p := joinPath(dir, e.Name)
				if f := l.seen[p]; f != nil {
					f.gen = l.gen // still there: not deleted
				}
				if l.present != nil {
					l.present[p] = struct{}{}
				}
			}
		}
		names, held = names[:0], held[:0]
		if errors.Is(err, remote.ErrTruncated) {
			truncated = errors.Join(truncated, err) // keep going: the rest may be whole
		} else if err != nil {
			return err
		}
		for _, d := range subdirs {
			if err := walk(c, d, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	err := outcome(l.pool.Do(ctx, func(c remote.Conn) error {
		l.times.learn(c, l.log)
		if err := walk(c, l.cfg.Path, 0); err != nil {
			return err
		}
		added = l.times.settle(ctx, c, added, l.log)
		return nil
	}))
	if err == nil {
		err = truncated
	}
	if err == nil {
		for p, c := range l.unstable {
			if c.gen != l.gen {
				delete(l.unstable, p) // gone before it settled
			}
		}
	}
	return added, err
}

// candidate is a new version waiting to be listed unchanged stableListings
// times in a row.
type candidate struct {
	size, mtime int64
	count       int
	gen         uint64
}

// stable reports whether a new version has been listed unchanged in
// stableListings consecutive polls (always, when that is 1).
func (l *Listener) stable(key []byte, e remote.Entry) bool {
	if l.cfg.StableListings <= 1 {
		return true
	}
	size, mtime := e.Size, e.ModTime.UnixMilli()
	c := l.unstable[string(key)]
	if c == nil || c.size != size || c.mtime != mtime {
		l.unstable[string(key)] = &candidate{size: size, mtime: mtime, count: 1, gen: l.gen}
		return false
	}
	c.gen = l.gen
	c.count++
	if c.count < l.cfg.StableListings {
		return false
	}
	delete(l.unstable, string(key))
	return true
}

// diff turns a poll's findings into a WatchEvent: the new and changed
// versions, and, after a complete listing, the seen paths it did not list.
func (l *Listener) diff(added []listed, complete bool) WatchEvent {
	var ev WatchEvent
	for _, f := range added {
		ev.AddedFiles = append(ev.AddedFiles, fileInfo(f.dir, f.entry, l.uri))
	}
	if complete {
		for p, f := range l.seen {
			if f.gen != l.gen {
				ev.DeletedFiles = append(ev.DeletedFiles, p)
			}
		}
	}
	// Oldest first, then by path: a stable, useful order.
	sortFiles(ev.AddedFiles)
	sortStrings(ev.DeletedFiles)
	return ev
}

// transferError is a download that failed (the file vanished, the
// connection dropped), as opposed to a handler that failed.
type transferError struct {
	path string
	err  error
}

func (e *transferError) Error() string {
	return fmt.Sprintf("listener: transfer of %s failed: %v", e.path, e.err)
}
func (e *transferError) Unwrap() error { return e.err }

// ErrFileChanged is how a content stream ends when the file on the server is
// no longer the version that was listed: more bytes arrived than were
// listed, or fewer and the server now gives another size (it is still being
// written, or was replaced). Handlers see it from Read, never a normal end of
// file. The version is superseded, not failed: no try is counted, nothing is
// retried or rejected, and the next listing finds the current version.
var ErrFileChanged = errors.New("the file changed on the server since it was listed")

// prefetchLimit is the size up to which a file is read whole before its
// handler starts, so that a version that changed under the transfer is told
// before any handler sees it, at no extra round trip (larger files stream,
// and their stream fails as soon as it runs past the listed size).
const prefetchLimit = 64 << 10

// deliver streams one file to OnFile on a pooled connection. A transfer
// that fails, even inside the handler's reads, is a *transferError; one of
// a version that changed on the server is also ErrFileChanged.
func (l *Listener) deliver(ctx context.Context, s FileService, f FileInfo) error {
	if l.cfg.StagingDir != "" {
		return l.deliverStaged(ctx, s, f)
	}
	rctx, stop := l.remote(ctx)
	defer stop()
	return l.pool.Do(rctx, func(c remote.Conn) (err error) {
		defer func() {
			var te *transferError
			if errors.As(err, &te) {
				te.err = stopped(rctx, te.err)
			}
		}()
		r, err := c.Open(rctx, f.Path, 0)
		if err != nil {
			return &transferError{path: f.Path, err: err}
		}
		tr := &trackedReader{r: r, want: f.Size}
		content := io.Reader(tr)
		if f.Size <= prefetchLimit {
			var buf bytes.Buffer
			buf.Grow(int(f.Size) + 1)
			if _, err := buf.ReadFrom(tr); err != nil {
				r.Close()
				return &transferError{path: f.Path, err: l.changedOnServer(rctx, c, f, err)}
			}
			content = &buf
		}
		herr := l.callOnFile(ctx, s, f, content)
		// Closing ends the transfer; if the handler stopped reading early
		// the server may answer that it was aborted, which is no failure.
		cerr := r.Close()
		switch {
		case tr.err != nil:
			return &transferError{path: f.Path, err: l.changedOnServer(rctx, c, f, tr.err)}
		case herr != nil:
			return fmt.Errorf("listener: onFile %s: %w", f.Path, herr)
		case cerr != nil && tr.eof:
			return &transferError{path: f.Path, err: cerr}
		}
		return nil
	})
}

// changedOnServer tells, after a transfer that ended short of the listed
// size, a version that changed on the server from a transfer that was cut:
// the file's size now. It returns err, wrapped in ErrFileChanged when the
// file changed. (Sizes only: a listing's time may have whole minutes where
// a stat has seconds.)
func (l *Listener) changedOnServer(ctx context.Context, c remote.Conn, f FileInfo, err error) error {
	var short *shortError
	if !errors.As(err, &short) {
		return err
	}
	if e, serr := c.Stat(ctx, f.Path); serr == nil && e.Size != f.Size {
		return fmt.Errorf("%w: listed with %d bytes, the transfer ended at %d, and it has %d now", ErrFileChanged, f.Size, short.got, e.Size)
	}
	return err
}

// deliverStaged downloads f into the staging directory, then hands the
// local copy to OnFile. The copy is removed once the handler succeeded and
// kept for the next attempt otherwise.
func (l *Listener) deliverStaged(ctx context.Context, s FileService, f FileInfo) error {
	var local string
	rctx, stop := l.remote(ctx)
	err := l.pool.Do(rctx, func(c remote.Conn) error {
		var err error
		local, err = l.stage(rctx, c, f)
		return err
	})
	err = stopped(rctx, err)
	stop()
	switch {
	case errors.Is(err, ErrUnsafeName):
		return err // not a transfer problem: retrying would not help
	case err != nil:
		return &transferError{path: f.Path, err: err}
	}
	file, err := os.Open(local)
	if err != nil {
		return &transferError{path: f.Path, err: err}
	}
	defer file.Close()
	f.LocalPath = local
	if herr := l.callOnFile(ctx, s, f, file); herr != nil {
		return fmt.Errorf("listener: onFile %s: %w", f.Path, herr)
	}
	os.Remove(local)
	return nil
}

// trackedReader remembers how the content stream ended, and turns a stream
// that runs past the listed size into ErrFileChanged at once (the bytes past
// it are not passed on) and an end of file before it into an error: the
// handler never takes a changed or truncated file for a whole one.
type trackedReader struct {
	r         io.Reader
	want, got int64
	eof       bool
	err       error // a read error other than EOF
}

func (t *trackedReader) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if t.got+int64(n) > t.want {
		n = int(t.want - t.got)
		err = fmt.Errorf("%w: listed with %d bytes, more arrived", ErrFileChanged, t.want)
	}
	t.got += int64(n)
	if err == io.EOF && t.got != t.want {
		err = &shortError{want: t.want, got: t.got}
	}
	switch {
	case err == io.EOF:
		t.eof = true
	case err != nil:
		t.err = err
	}
	return n, err
}

// shortError is a content stream that ended before the listed size.
type shortError struct{ want, got int64 }

func (e *shortError) Error() string {
	return fmt.Sprintf("%v: listed with %d bytes, %d arrived (the transfer was cut)", io.ErrUnexpectedEOF, e.want, e.got)
}
func (e *shortError) Unwrap() error { return io.ErrUnexpectedEOF }

// joinPath joins a clean directory and a base name without path.Join's
// cleaning work, which shows in polls of 100,000 files.
func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// appendPath appends joinPath(dir, name) to b.
func appendPath(b []byte, dir, name string) []byte {
	b = append(b, dir...)
	if !strings.HasSuffix(dir, "/") {
		b = append(b, '/')
	}
	return append(b, name...)
}

func (l *Listener) reportError(ctx context.Context, service any, err error) {
	if s, ok := service.(ErrorService); ok {
		l.callOnError(ctx, s, err)
		return
	}
	l.log.Error("listener", "err", err)
}
