package listener

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// ErrReject is for services that reject a file version outright (a bad
// invoice will not get better by trying again): a service method
// (OnFile, or OnFileChange for its whole batch) whose error wraps it,
// fmt.Errorf("bad invoice: %w", listener.ErrReject) say, ends the version
// REJECTED at once, whatever the tries left: no retry, the afterError
// action runs and OnError gets a *RejectedError with the error's text as
// its Reason. With the ledger this is durable: no member (in shared mode
// none of the others, nor this one restarted) gives the version to a
// handler again until an operator requeues it (ftpcoord files retry).
// Without coordination every failure is already final (no retries, no
// ledger): a rejection differs only in that OnError gets a *RejectedError.
var ErrReject = errors.New("rejected by the service")

// RejectedError is what OnError receives when a file version ran out of
// tries, or when its service rejected it (ErrReject): it stays REJECTED
// until an operator requeues it.
type RejectedError struct {
	Path   string
	Tries  int
	Reason string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("listener: %s rejected after %d tries: %s", e.Path, e.Tries, e.Reason)
}

// openLedger connects the ledger in the coordination database.
func (l *Listener) openLedger(ctx context.Context) (*ledger.Ledger, *sql.DB, error) {
	c := l.cfg.Coordination.TaskConfig().WithDefaults()
	db, err := taskcompat.OpenDB(c.Database, c.SessionTimeZone, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	// Every worker commits on its own; keep their connections open, or
	// each commit pays a new connection (and SCRAM's key derivation).
	db.SetMaxOpenConns(l.cfg.Workers + 4)
	db.SetMaxIdleConns(l.cfg.Workers + 4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	d, _ := c.Database.Dialect()
	// A ledger statement that outlasts the liveness interval is worthless
	// (the member has fenced itself by then) and, on a hung connection,
	// would stall this member's polls for as long as TCP keeps it.
	open := func(space string) (*ledger.Ledger, error) {
		return ledger.New(ctx, ledger.Config{DB: db, Dialect: d, GroupID: c.GroupID, MemberID: c.TaskID, Space: space,
			Mode: l.mode.ledgerMode(), Version: ledger.VersionMode(l.cfg.VersionKey),
			StatementTimeout: max(10*time.Second, time.Duration(c.LivenessCheckInterval)*time.Second), Logger: l.log})
	}
	lg, err := open("")
	if err == nil {
		err = l.openSpaces(lg, open) // the services' own, when several
	}
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("listener: ledger: %w", err)
	}
	return lg, db, nil
}

// pollWithLedger is a poll when files go through the ledger. The active
// member lists and records new versions; then this member (the active one,
// or in shared mode any member) claims a batch and processes it, while lead
// holds (see Listener.lead).
func (l *Listener) pollWithLedger(ctx, lead context.Context, service any, m *membership, term int64, active bool) error {
	lg := m.ledger
	claimTerm := term
	listLead := lead // the listing's deletions are told while the term holds
	if l.mode == Shared {
		// The claim token fences shared work; a member whose heartbeat
		// may already look stale to the others (it was paused, or cut off
		// from the database) starts and commits nothing, as its claims
		// are theirs to reclaim (lead ends then).
		claimTerm = 0
		if active {
			var release func()
			listLead, release = m.termLeadership(context.WithoutCancel(ctx), term)
			defer release()
		}
	}
	if err := l.reclaimOrphans(ctx, lead, lg, service, term, claimTerm); err != nil {
		return err
	}
	var lst *listing
	var listErr, restErr error
	if active {
		lst, listErr = l.listAndClaim(ctx, lg, service, claimTerm)
		if listErr != nil && !errors.Is(listErr, remote.ErrTruncated) {
			if lst != nil {
				l.release(ctx, lg, &giveBack{claims: lst.claims})
			}
			return listErr
		}
	}
	finish := func() {
		if lst != nil {
			restErr = l.finishListing(ctx, listLead, lg, service, lst)
		}
	}
	err := l.processBacklog(ctx, lead, lg, service, claimTerm, lst, finish)
	return cmp.Or(err, restErr, listErr)
}

// reclaimOrphans ends the leases of claims whose holder can no longer finish
// them (ledger.ExpireOrphans): in warm-backup mode once per term, at the
// first poll after this member became active; in shared mode at every poll.
// When there were some, the backlog they joined is processed at once,
// before the listing: the files a crashed member had in hand reach a
// handler again moments after the takeover, not after processingTimeout. A
// failure leaves them to their leases (and the next poll tries again).
func (l *Listener) reclaimOrphans(ctx, lead context.Context, lg *ledger.Ledger, service any, term, claimTerm int64) error {
	shared := l.mode == Shared
	if !shared && l.orphansTerm == term || l.draining.Load() {
		return nil
	}
	n, err := l.expireOrphans(ctx, lg, term)
	if err != nil {
		return nil
	}
	if !shared {
		l.orphansTerm = term
	}
	if n == 0 {
		return nil
	}
	return l.processBacklog(ctx, lead, lg, service, claimTerm, nil, func() {})
}

// expireOrphans ends the leases of the claims whose holder can no longer
// finish them (ledger.ExpireOrphans) and returns how many it ended; the
// next claim takes them.
func (l *Listener) expireOrphans(ctx context.Context, lg *ledger.Ledger, term int64) (int, error) {
	var stale []string
	if l.mode == Shared {
		// Zone-aware: the coordinator judges the heartbeats (taskcompat).
		if coord := l.Coordinator(); coord != nil {
			stale = coord.StaleMembers()
		}
	}
	n, err := lg.ExpireOrphans(ctx, term, stale)
	if err != nil {
		l.obs.DatabaseError("expire", err)
		l.log.Warn("listener: could not reclaim the files of claims that ended with their holder; they wait for their leases", "err", err)
		return 0, err
	}
	if n > 0 {
		why := "their term ended"
		if l.mode == Shared {
			why = "their member's heartbeat is stale"
		}
		l.log.Info("listener: reclaiming files whose claims ended with their holder", "files", n, "why", why, "term", term)
	}
	return n, nil
}

// orphansEvery is how often a shared member busy with a backlog looks for
// the claims of members whose heartbeat turned stale meanwhile (a poll
// looks at its start): a member paused or cut off in that time would
// otherwise keep its files until the backlog is drained, however long
// that takes. Staleness counts whole seconds.
const orphansEvery = time.Second

// listing is a poll's listing while its new versions are entered and
// processed.
type listing struct {
	claims   []ledger.Claim // the oldest new versions, entered claimed, not yet at work
	rest     []ledger.File  // the other new versions, still to enter
	complete bool           // the listing was whole: deletions can be told
	// justInTime: the rest is entered a batch at a time, already claimed,
	// as the workers need it (warm-backup: only this member processes),
	// rather than all at once PENDING, for every member to claim (shared).
	justInTime bool
	next       int // the size of the batch entered last; each is twice the one before, up to maxFilesPerPoll
}

// firstBatch is how many new versions a just-in-time listing enters first:
// enough to keep every worker busy for a few files, so that the workers
// start after a short insert instead of a whole batch's. The following
// batches double up to maxFilesPerPoll; each is entered while the workers
// get through the one before.
func (l *Listener) firstBatch() int {
	return min(l.cfg.MaxFilesPerPoll, max(4*l.cfg.Workers, 16))
}

// listAndClaim lists the directory and enters the oldest new versions, up
// to a batch, already claimed by this member (unless it is stopping): the
// poll's first batch of work, which need not wait for the rest of the
// listing to be entered (finishListing does that meanwhile).
func (l *Listener) listAndClaim(ctx context.Context, lg *ledger.Ledger, service any, term int64) (*listing, error) {
	listedAt := time.Now()
	added, complete, err := l.listReporting(ctx, service)
	if err != nil && !errors.Is(err, remote.ErrTruncated) {
		return nil, err
	}
	files := make([]ledger.File, 0, len(added))
	for _, a := range added {
		f := ledger.File{Path: joinPath(a.dir, a.entry.Name), Size: a.entry.Size, MTime: a.entry.ModTime.UnixMilli()}
		if perr := ledger.CheckPath(f.Path); perr != nil {
			// One such name must not stop the batch it came in: it is
			// reported (once) and skipped, the others are recorded.
			if !l.unstorable[f.Path] {
				l.unstorable[f.Path] = true
				l.reportError(ctx, service, fmt.Errorf("listener: skipping a file the ledger cannot track: %w", perr))
			}
			continue
		}
		files = append(files, f)
	}
	files = l.knownUnderListedTime(ctx, lg, added, files)
	n := l.cfg.MaxFilesPerPoll
	justInTime := l.mode != Shared
	if justInTime {
		n = l.firstBatch()
	}
	if l.draining.Load() {
		n = 0
	}
	first, rest := ledger.Oldest(files, n)
	lst := &listing{rest: rest, complete: complete, justInTime: justInTime && n > 0, next: n}
	if lst.justInTime {
		l.unentered.set(len(rest), listedAt)
	}
	cctx, endClaim := l.traceClaim(ctx, term) // tracing: the claim's span
	claims, rerr := lg.RecordClaimed(cctx, first, l.cfg.processingTimeout(), term)
	endClaim(claims, rerr)
	lst.claims = claims // made before a failure, they are claims all the same
	if rerr != nil {
		l.unentered.clear() // the poll ends here: the next one lists them again
		return lst, l.recordFailed(ctx, service, rerr)
	}
	l.remember(first)
	return lst, err
}

// finishListing enters the rest of a listing's new versions (unless they are
// entered just in time), then reports deletions and purges.
func (l *Listener) finishListing(ctx, lead context.Context, lg *ledger.Ledger, service any, lst *listing) error {
	if len(lst.rest) > 0 && !lst.justInTime {
		if _, err := lg.Record(ctx, lst.rest); err != nil {
			return l.recordFailed(ctx, service, err)
		}
		l.remember(lst.rest)
		lst.rest = nil
	}
	ev := l.diff(nil, lst.complete)
	if len(ev.DeletedFiles) > 0 && l.tellChanges(ctx, lead, service, ev) {
		l.tellDeletions(ctx, lead, service, ev.DeletedFiles)
	}
	if lst.complete {
		l.purge(ctx, lg)
	}
	return nil
}

// nextNew returns the listing's next batch of new versions, claimed: the
// one entered with the listing, then, when the rest is entered just in
// time, its next batch, entered claimed now. A file thus costs one row
// write to enter and claim. ok is false when there is none left; a batch
// that cannot be entered is reported and ends the just-in-time entering
// (the next poll lists the rest again).
func (l *Listener) nextNew(ctx context.Context, lg *ledger.Ledger, service any, lst *listing, lease time.Duration, term int64) (claims []ledger.Claim, ok bool) {
	switch {
	case lst == nil:
		return nil, false
	case lst.claims != nil:
		claims, lst.claims = lst.claims, nil
		return claims, true
	case !lst.justInTime || len(lst.rest) == 0:
		return nil, false
	}
	lst.next = min(l.cfg.MaxFilesPerPoll, 2*lst.next)
	batch := lst.rest[:min(lst.next, len(lst.rest))]
	lst.rest = lst.rest[len(batch):]
	l.unentered.left(len(lst.rest))
	cctx, endClaim := l.traceClaim(ctx, term) // tracing: the claim's span
	claims, err := lg.RecordClaimed(cctx, batch, lease, term)
	endClaim(claims, err)
	if err != nil {
		l.recordFailed(ctx, service, err)
		lst.rest = nil
		l.unentered.clear()
		return claims, true // made before the failure: claims all the same
	}
	l.remember(batch)
	return claims, true
}

// recordFailed reports a failure to enter new versions; they are entered by
// a later poll, which lists them again.
func (l *Listener) recordFailed(ctx context.Context, service any, err error) error {
	l.obs.DatabaseError("record", err)
	err = fmt.Errorf("listener: record new files: %w", err)
	l.reportError(ctx, service, err)
	return err
}

// remember notes versions entered in the ledger: durable now, the in-memory
// set only saves sending them again.
func (l *Listener) remember(files []ledger.File) {
	for _, f := range files {
		l.seen[f.Path] = &seenFile{size: f.Size, mtime: f.MTime, gen: l.gen}
	}
}

// purgeDue tells whether this poll should purge finished ledger rows (at
// most hourly, or once a retention when that is shorter).
func (l *Listener) purgeDue() bool {
	return l.cfg.Coordination != nil && time.Since(l.lastPurge) >= min(time.Hour, l.cfg.retention())
}

// purge forgets, now and then, the finished rows of files that are gone from
// the server and older than the retention. "Gone" is from the complete
// listing this poll just made (l.present), not from the files reported so
// far: after a restart, a file still waiting to be stable, old enough or
// entered must not lose the row that says it was processed.
func (l *Listener) purge(ctx context.Context, lg *ledger.Ledger) {
	if l.present == nil { // the listing collected it only because a purge was due
		return
	}
	l.lastPurge = time.Now()
	defer func() { l.present = nil }()
	paths, err := lg.Finished(ctx, l.cfg.retention(), 10000)
	if err != nil {
		l.log.Warn("listener: purge of finished ledger rows failed", "err", err)
		return
	}
	var gone []string
	for _, p := range paths {
		if _, listed := l.present[p]; !listed {
			gone = append(gone, p)
		}
	}
	if n, err := lg.Purge(ctx, gone, l.cfg.retention()); err != nil {
		l.log.Warn("listener: purge of finished ledger rows failed", "err", err)
	} else if n > 0 {
		l.log.Info("listener: purged finished ledger rows of files gone from the server", "rows", n)
	}
}

// processBacklog claims batches of up to maxFilesPerPoll versions, oldest
// first, while the backlog lasts and lead holds, and processes them with the
// configured workers (deliverAll), renewing their leases meanwhile. The
// listing's new versions, when there is one, go first (see nextNew); a
// claim follows them whatever their number (older versions may wait in
// the ledger: retries, files given back). finish runs once, as soon as the
// first batch is at work.
func (l *Listener) processBacklog(ctx, lead context.Context, lg *ledger.Ledger, service any, term int64, lst *listing, finish func()) error {
	src := &claimSource{l: l, lg: lg, service: service, lst: lst, lease: l.cfg.processingTimeout(), term: term,
		back: &giveBack{}, inFlight: newClaimSet(nil), orphansDue: time.Now().Add(orphansEvery), finish: finish}
	defer src.finishOnce()
	stopRenew := l.renewLeases(ctx, lead, lg, src.inFlight, src.lease)
	defer stopRenew()
	back := src.back // claims to release unfinished
	defer l.unentered.clear()
	defer l.release(ctx, lg, back)
	defer func() { // claimed with the listing, never started
		if lst != nil {
			back.add(lst.claims...)
		}
	}()
	fs, perFile := service.(FileService)
	if !perFile {
		// OnFileChange alone: each batch is one unit of work; the
		// listing's deletions are reported before the first.
		src.finishOnce()
		for held(lead) && l.mayStart(ctx) {
			claims, last, err := src.claim(ctx)
			if err != nil {
				return err
			}
			if len(claims) > 0 {
				src.inFlight.limit(l.leaseUntil(), claims...)
				l.processBatch(ctx, lead, lg, service, claims, back)
				src.inFlight.clear()
				l.progressed()
			}
			if last {
				return nil
			}
		}
		return nil
	}
	t := l.newLedgerTracker(ctx, lead, lg, service, src.inFlight, back)
	err := l.deliverAll(ctx, lead, fs, src, t)
	t.wait()
	return err
}

// claimSource is the ledger's work for one poll: the listing's new versions
// first, then claims of the backlog until a claim comes back short.
type claimSource struct {
	l          *Listener
	lg         *ledger.Ledger
	service    any
	lst        *listing
	lease      time.Duration
	term       int64
	back       *giveBack // claims to release unfinished
	inFlight   *claimSet // claims to renew
	orphansDue time.Time
	finish     func() // runs once the first batch is at work
	finished   bool
	batches    int
}

func (s *claimSource) finishOnce() {
	if !s.finished {
		s.finished = true
		s.finish()
	}
}

// next returns the next batch as work; the first is at work when it is
// asked for the second.
func (s *claimSource) next(ctx context.Context) ([]fileWork, bool, error) {
	if s.batches++; s.batches > 1 {
		s.finishOnce()
	}
	claims, last, err := s.claim(ctx)
	ws := make([]fileWork, len(claims))
	for i, c := range claims {
		ws[i] = s.l.claimWork(c)
	}
	return ws, last, err
}

// claim returns the next batch of claims; last: a batch this short means
// the backlog is drained (a listing's new versions say nothing of it).
func (s *claimSource) claim(ctx context.Context) (claims []ledger.Claim, last bool, err error) {
	l := s.l
	if claims, ok := l.nextNew(ctx, s.lg, s.service, s.lst, s.lease, s.term); ok {
		s.inFlight.add(claims)
		return claims, false, nil
	}
	// What was given back so far goes back now, not when the backlog
	// is drained: a member that was paused and is current again may
	// carry on for long.
	l.release(ctx, s.lg, s.back)
	if l.mode == Shared && time.Now().After(s.orphansDue) {
		l.expireOrphans(ctx, s.lg, s.term) // what it ends, this claim takes
		s.orphansDue = time.Now().Add(orphansEvery)
	}
	cctx, endClaim := l.traceClaim(ctx, s.term) // tracing: the claim's span
	claims, err = s.lg.Claim(cctx, l.cfg.MaxFilesPerPoll, s.lease, s.term)
	endClaim(claims, err)
	if err != nil {
		l.obs.DatabaseError("claim", err)
		err = fmt.Errorf("listener: claim files: %w", err)
		l.reportError(ctx, s.service, err)
		return nil, false, err
	}
	s.inFlight.add(claims)
	return claims, len(claims) < l.cfg.MaxFilesPerPoll, nil
}

// processed is a claim whose handler succeeded, waiting for its commit.
type processed struct {
	claim ledger.Claim
	info  FileInfo
}

// commitLinger is how long a processed file may wait for others to share
// its commit statement. Each statement costs the database far more than
// each row it changes: with 8 busy workers, committing whatever had
// arrived took one statement per 5 files; waiting 5 ms gathered about 70,
// 20 ms about 200, and took PostgreSQL's CPU per file down by a further
// tenth (bench/endtoend). A crash in that window means the files are
// processed again, as a crash just before any commit does; their
// afterProcess actions wait for the commit.
const commitLinger = 20 * time.Millisecond

// commitLoop commits processed files in batches: what arrives within
// commitLinger of a batch's first file, or while the previous batch was
// being committed, goes in the same statement. Then it runs the
// afterProcess action of each committed file (after the commit: a crash in
// between leaves the file in place but DONE, never processed twice). A
// member that is no longer active (its term ended, or it was paused past
// its fence deadline) commits nothing, as it starts nothing, and gives
// the files back (see notActive).
func (l *Listener) commitLoop(ctx, lead context.Context, lg *ledger.Ledger, service any, in <-chan processed, back *giveBack) {
	linger := time.NewTimer(commitLinger)
	defer linger.Stop()
	for first := range in {
		batch := []processed{first}
		linger.Reset(commitLinger)
	gather:
		for len(batch) < 500 {
			select {
			case p, ok := <-in:
				if !ok {
					break gather
				}
				batch = append(batch, p)
			case <-linger.C:
				break gather
			}
		}
		claims := make([]ledger.Claim, len(batch))
		for i, p := range batch {
			claims[i] = p.claim
		}
		if !held(lead) {
			l.notActive(ctx, service, claims, back)
			continue
		}
		lost, err := l.commitAll(ctx, lg, claims)
		if err != nil {
			l.log.Warn("listener: could not commit processed files; they will be processed again", "files", len(batch), "err", err)
			l.reportError(ctx, service, fmt.Errorf("listener: commit %d files: %w", len(batch), err))
			continue
		}
		gone := map[string]bool{}
		for _, c := range lost {
			gone[c.Key] = true
			l.reportError(ctx, service, fmt.Errorf("listener: commit %s: %w", c.File.Path, ledger.ErrLost))
		}
		for _, p := range batch {
			if !gone[p.claim.Key] {
				l.runAfter(ctx, service, "afterProcess", l.cfg.AfterProcess, p.info)
			}
		}
	}
}

// notActive reports processed files left uncommitted because this member
// stepped down meanwhile (or, in shared mode, its heartbeat may look stale
// to the others: it was paused, or cut off from its database), and gives
// them back, for another member to process again at once. Left to the
// others, they would wait for their leases whenever the others did not see
// this member stale: a pause just past the liveness interval, while they
// were busy, ends with a fresh heartbeat, and the claims look alive.
// Released by claim token, a file another member reclaimed meanwhile is
// left alone.
func (l *Listener) notActive(ctx context.Context, service any, claims []ledger.Claim, back *giveBack) {
	n := len(claims)
	back.add(claims...)
	l.obs.FilesFinished("lost", n)
	l.log.Warn("listener: not committing processed files: this member is no longer active; giving them back, another member processes them again", "files", n)
	l.reportError(ctx, service, fmt.Errorf("listener: %d processed files not committed: this member is no longer active: %w", n, ledger.ErrLost))
}

// commitAll commits processed claims and tells the observer how they ended.
func (l *Listener) commitAll(ctx context.Context, lg *ledger.Ledger, claims []ledger.Claim) (lost []ledger.Claim, err error) {
	start := time.Now()
	lost, err = lg.CommitAll(ctx, claims)
	l.traceCommits(ctx, claims, lost, start, err) // tracing: a commit span per file
	if err != nil {
		l.obs.DatabaseError("commit", err)
		return nil, err
	}
	l.obs.FilesFinished("done", len(claims)-len(lost))
	l.obs.FilesFinished("lost", len(lost))
	return lost, nil
}

// runAfter applies an after-processing action and reports its failure.
func (l *Listener) runAfter(ctx context.Context, service any, name string, a *PostAction, info FileInfo) {
	a = l.afterAction(service, name, a, info)
	actx, cancel := l.afterCtx(ctx)
	defer cancel()
	actx, endAfter := l.traceAfter(actx, name, info) // tracing: the after-action's span
	err := l.afterwards(actx, a, info)
	endAfter(err)
	if err != nil {
		l.reportError(ctx, service, fmt.Errorf("listener: %s on %s: %w", name, info.Path, err))
	}
}

// processBatch hands a claimed batch to OnFileChange and commits or fails
// it as a whole (an error wrapping ErrReject rejects the whole batch).
func (l *Listener) processBatch(ctx, lead context.Context, lg *ledger.Ledger, service any, claims []ledger.Claim, back *giveBack) {
	s, ok := service.(FileChangeService)
	if !ok || !held(lead) {
		back.add(claims...)
		return
	}
	if claims = l.overTries(ctx, lg, service, claims); len(claims) == 0 {
		return
	}
	ev := WatchEvent{}
	for _, c := range claims {
		ev.AddedFiles = append(ev.AddedFiles, l.claimWork(c).info)
	}
	if err := l.attempt(ctx, "onFileChange", func(actx context.Context) error { return l.callOnFileChange(actx, s, ev) }); err != nil {
		if cutShort(ctx, err) {
			back.add(claims...)
			return
		}
		for _, c := range claims {
			l.fail(ctx, lg, service, c, err)
		}
		return
	}
	if !held(lead) {
		l.notActive(ctx, service, claims, back)
		return
	}
	lost, err := l.commitAll(ctx, lg, claims)
	if err != nil || len(lost) > 0 {
		l.reportError(ctx, service, fmt.Errorf("listener: commit: %d files not committed: %w", len(lost), errors.Join(err, ledger.ErrLost)))
	}
	if err != nil {
		return
	}
	gone := map[string]bool{}
	for _, c := range lost {
		gone[c.Key] = true
	}
	for _, f := range ev.AddedFiles {
		if !gone[f.IdempotencyKey] {
			l.runAfter(ctx, service, "afterProcess", l.cfg.AfterProcess, f)
		}
	}
}

// supersede drops a claimed version that changed on the server under its
// transfer (ledger.Supersede): not a failure of the file, so no try, no
// retry, no OnError and no afterError action; the next listing enters the
// current version.
func (l *Listener) supersede(ctx context.Context, lg *ledger.Ledger, c ledger.Claim, cause error) {
	err := lg.Supersede(ctx, c)
	switch {
	case errors.Is(err, ledger.ErrLost):
		l.obs.FilesFinished("lost", 1)
	case err != nil:
		// Left IN_PROGRESS: claimed again once its lease ends, when the
		// transfer tells the same again.
		l.obs.DatabaseError("supersede", err)
		l.log.Warn("listener: could not drop a version that changed on the server", "path", c.File.Path, "err", err)
	default:
		l.superseded.add(c.File.Path, c.File.Size, c.File.MTime) // the next listing records it again
		l.unstage(c.File.Path, c.File.Size, c.File.MTime)
		l.obs.FilesFinished("superseded", 1)
		l.log.Info("listener: the file changed on the server during its transfer; its current version is processed once a listing finds it",
			"path", c.File.Path, "cause", cause)
	}
}

// fail records a failed attempt and tells OnError, with a RejectedError
// when the file ran out of tries or the service rejected it (ErrReject:
// the attempt it made is its last, whatever maxTries says).
func (l *Listener) fail(ctx context.Context, lg *ledger.Ledger, service any, c ledger.Claim, cause error) {
	maxTries := l.cfg.MaxTries
	if errors.Is(cause, ErrReject) {
		maxTries = max(1, c.Tries)
	}
	status, err := lg.Fail(ctx, c, cause.Error(), l.cfg.retryTimeout(), maxTries)
	switch {
	case err != nil:
		if errors.Is(err, ledger.ErrLost) {
			l.obs.FilesFinished("lost", 1)
		} else {
			l.obs.DatabaseError("fail", err)
		}
		l.reportError(ctx, service, fmt.Errorf("listener: record the failure of %s: %w (cause: %v)", c.File.Path, err, cause))
	case status == ledger.Rejected:
		l.unstage(c.File.Path, c.File.Size, c.File.MTime)
		l.obs.FilesFinished("rejected", 1)
		l.reportError(ctx, service, &RejectedError{Path: c.File.Path, Tries: c.Tries, Reason: cause.Error()})
		info := fileInfoAt(c.File.Path, c.File.Size, c.File.MTime, l.uri)
		info.IdempotencyKey, info.Attempt = c.Key, c.Tries
		l.runAfter(ctx, service, "afterError", l.cfg.AfterError, info)
	default:
		l.obs.FilesFinished("failed", 1)
		l.reportError(ctx, service, fmt.Errorf("listener: attempt %d of %d at %s failed, retrying after %v: %w",
			c.Tries, l.cfg.MaxTries, c.File.Path, l.cfg.retryTimeout(), cause))
	}
}

// renewLeases extends the leases of the claims still in flight every third
// of the lease, until stopped or lead ends: a member that
// stepped down, or whose heartbeat may look stale (it was paused), must not
// undo a reclaim by giving the leases it lost back their length.
func (l *Listener) renewLeases(ctx, lead context.Context, lg *ledger.Ledger, set *claimSet, lease time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-lead.Done():
				return
			case <-t.C:
				if claims := set.list(); len(claims) > 0 && held(lead) {
					n, err := lg.Renew(ctx, claims, lease)
					if err != nil && ctx.Err() == nil {
						l.obs.DatabaseError("renew", err)
						l.log.Warn("listener: lease renewal failed", "err", err)
					}
					l.obs.LeasesRenewed(n)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// claimSet is the claims of a batch still being worked on, and the
// deadlines of those at work, past which they are renewed no more.
type claimSet struct {
	mu    sync.Mutex
	m     map[string]ledger.Claim
	until map[string]time.Time
}

// limit sets the time past which claims are renewed no more.
func (s *claimSet) limit(t time.Time, claims ...ledger.Claim) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.until == nil {
		s.until = map[string]time.Time{}
	}
	for _, c := range claims {
		s.until[c.Key] = t
	}
}

func newClaimSet(claims []ledger.Claim) *claimSet {
	s := &claimSet{m: make(map[string]ledger.Claim, len(claims))}
	for _, c := range claims {
		s.m[c.Key] = c
	}
	return s
}

func (s *claimSet) add(claims []ledger.Claim) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range claims {
		s.m[c.Key] = c
	}
}

func (s *claimSet) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.m)
	clear(s.until)
}

func (s *claimSet) remove(key string) {
	s.mu.Lock()
	delete(s.m, key)
	delete(s.until, key)
	s.mu.Unlock()
}

// list returns the claims to renew: those not past their deadline.
func (s *claimSet) list() []ledger.Claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	out := make([]ledger.Claim, 0, len(s.m))
	for k, c := range s.m {
		if t, ok := s.until[k]; !ok || now.Before(t) {
			out = append(out, c)
		}
	}
	return out
}
