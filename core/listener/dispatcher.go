package listener

import (
	"context"
	"fmt"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// A poll's files take one path whatever tracks them:
//
//	list (list, listReporting: the filter chain, filters.go)
//	  -> a workSource: the listing's new versions (in memory), or the
//	     ledger's claims (claimSource, process.go)
//	  -> deliverAll: workers, delivery (attemptFile), after-actions
//	  -> a workTracker: memoryTracker or ledgerTracker (tracker.go)
//
// and the changes a service is told of as a whole (OnFileChange,
// OnFileDelete) by tellChanges and tellDeletions.

// workSource yields a poll's file work a batch at a time; last: there is
// none after this batch.
type workSource interface {
	next(ctx context.Context) (batch []fileWork, last bool, err error)
}

// workTracker is a fileTracker as the dispatcher drives it.
type workTracker interface {
	fileTracker
	// mayStart tells whether work may start, beyond leadership (the
	// ledger: not while the member stops).
	mayStart(ctx context.Context) bool
	// begin is called as w goes to work; false: it is not attempted.
	begin(ctx context.Context, w fileWork) bool
	// notStarted: work that will not be attempted in this poll.
	notStarted(ws ...fileWork)
	// end: w is done with, attempted or not.
	end(w fileWork)
}

// deliverAll hands the work of src to OnFile on the configured workers,
// oldest first, each outcome to t, while lead holds. The next batch is
// taken as soon as the previous one is queued, so workers never wait for
// it. What is not started once lead ends is t's (notStarted).
func (l *Listener) deliverAll(ctx, lead context.Context, fs FileService, src workSource, t workTracker) error {
	work := startWorkers(l.cfg.Workers, l.cfg.MaxFilesPerPoll, func(w fileWork) {
		if held(lead) && t.mayStart(ctx) {
			func() {
				defer l.survive("worker")
				if t.begin(ctx, w) {
					l.attemptFile(ctx, fs, w, t)
				}
			}()
			l.progressed()
		} else {
			t.notStarted(w) // for the active member (or a later poll) at once
		}
		t.end(w)
	})
	var err error
feed:
	for held(lead) && t.mayStart(ctx) {
		batch, last, nerr := src.next(ctx)
		if err = nerr; err != nil {
			break
		}
		for i, w := range batch {
			if !held(lead) {
				// Never started: for the new active member to take
				// without waiting for the lease (with the ledger), or for
				// the next active poll.
				l.log.Warn("listener: lost the coordination token mid-poll; not starting the rest of this poll's files", "files", len(batch)-i)
				t.notStarted(batch[i:]...)
				break feed
			}
			work.add(w)
		}
		if last {
			break
		}
	}
	work.wait()
	return err
}

// listedSource is a listing's new versions, in memory: one batch.
type listedSource struct{ files []FileInfo }

func (s *listedSource) next(context.Context) ([]fileWork, bool, error) {
	ws := make([]fileWork, len(s.files))
	for i, f := range s.files {
		ws[i] = fileWork{info: f}
	}
	s.files = nil
	return ws, true, nil
}

// dispatch hands a poll's changes to the service without the ledger. A
// member that loses the token mid-poll (lead ends) stops dispatching; what
// it did not dispatch is reported by the next active poll.
func (l *Listener) dispatch(ctx, lead context.Context, service any, ev WatchEvent) error {
	if !l.tellChanges(ctx, lead, service, ev) {
		return nil
	}
	fs, wantsContent := service.(FileService)
	seen := map[string]bool{}
	if wantsContent {
		t := &memoryTracker{l: l, service: service, seen: seen}
		if err := l.deliverAll(ctx, lead, fs, &listedSource{files: ev.AddedFiles}, t); err != nil {
			return err
		}
		if t.incomplete {
			ev.DeletedFiles = nil // told by the next active poll
		}
	} else if held(lead) {
		for _, f := range ev.AddedFiles {
			seen[f.Path] = true
		}
	}
	for _, f := range ev.AddedFiles {
		if seen[f.Path] {
			l.seen[f.Path] = &seenFile{size: f.Size, mtime: f.LastModifiedTimestamp, gen: l.gen}
		}
	}
	l.tellDeletions(ctx, lead, service, ev.DeletedFiles)
	return nil
}

// tellChanges hands ev whole to OnFileChange, when the service has it;
// false: lead ended, nothing more is dispatched.
func (l *Listener) tellChanges(ctx, lead context.Context, service any, ev WatchEvent) bool {
	s, ok := service.(FileChangeService)
	if !ok {
		return held(lead)
	}
	if !held(lead) {
		return false
	}
	if err := l.attempt(ctx, "onFileChange", func(actx context.Context) error { return l.callOnFileChange(actx, s, ev) }); err != nil {
		l.reportError(ctx, service, fmt.Errorf("listener: onFileChange: %w", err))
	}
	return true
}

// tellDeletions hands each deleted path to OnFileDelete, when the service
// has it, and forgets it, while lead holds.
func (l *Listener) tellDeletions(ctx, lead context.Context, service any, deleted []string) {
	ds, wantsDeletes := service.(FileDeleteService)
	for _, p := range deleted {
		if !held(lead) {
			return
		}
		if wantsDeletes {
			if err := l.attempt(ctx, "onFileDelete "+p, func(actx context.Context) error { return l.callOnFileDelete(actx, ds, p) }); err != nil {
				l.reportError(ctx, service, fmt.Errorf("listener: onFileDelete %s: %w", p, err))
			}
		}
		delete(l.seen, p)
	}
}

// claimWork is a claimed version as the dispatcher hands it on.
func (l *Listener) claimWork(c ledger.Claim) fileWork {
	info := fileInfoAt(c.File.Path, c.File.Size, c.File.MTime, l.uri)
	info.IdempotencyKey, info.Attempt = c.Key, c.Tries
	return fileWork{info: info, claim: c}
}

// mayStart tells whether the ledger's work may start: not once the work's
// ctx ended or a graceful stop began.
func (l *Listener) mayStart(ctx context.Context) bool { return ctx.Err() == nil && !l.draining.Load() }

// leaseUntil is the time past which a claim at work from now is renewed no
// more.
func (l *Listener) leaseUntil() time.Time { return time.Now().Add(l.cfg.processingTimeout()) }
