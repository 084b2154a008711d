package listener

// The guard against files still being written (settleTime), on by default:
// a poll that finds new versions looks at them again once settleTime has
// passed and hands over only those that did not change meanwhile (size and
// mtime), as Camel's readLock=changed does. The cost falls on polls that
// find something new: an unchanged directory costs no extra round trip.

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// DefaultSettleTime is settleTime's default, in seconds: a writer at work
// changes its file many times in it (an upload sends data continuously),
// and a complete file waits about this long.
const DefaultSettleTime float64 = 1

// maxSettleTime bounds settleTime (seconds): the poll itself waits for it.
// Longer waits belong to fileAgeFilter.minAge or stableListings, which wait
// across polls without holding one up.
const maxSettleTime = 60

// settleLooks is how many times a poll looks at a new version again: one
// that changed at the first look gets a second; one still changing then
// waits for the next poll. A complete file thus waits settleTime, at most
// twice that when a file beside it is still being written.
const settleLooks = 2

// statLimit is how many new versions of one directory are looked at with a
// stat each (one round trip apiece, no data connection); more are looked at
// with one listing of their directory, whatever its size.
const statLimit = 16

// settleState is what the guard learnt about the server; used under polling.
type settleState struct {
	// listOnly: the server's stat once disagreed with its listing about
	// an unchanged file (or failed): look by listing from then on.
	listOnly bool
}

// settle returns the versions of added that stayed unchanged across
// settleTime, as a listing shows them. The others stay unseen, so the next
// poll lists them again; so do those of a look that fails, and all of them
// when a graceful stop cuts the settle short.
func (l *Listener) settle(ctx context.Context, added []listed) []listed {
	wait := l.cfg.settleTime()
	if wait <= 0 || len(added) == 0 {
		return added
	}
	ctx, stop := l.remote(ctx)
	defer stop()
	var ready []listed
	pending := added
	for look := 1; ; look++ {
		if !sleep(ctx, wait) {
			return nil // stopping: for the next poll, or member
		}
		var changed []listed
		var err error
		ready, changed, err = l.lookAgain(ctx, pending, ready)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			l.log.Warn("listener: could not look at new files again after the settle time; the next poll does", "files", len(pending), "err", err)
			return ready
		}
		pending = l.stillWanted(changed)
		if len(pending) == 0 || look == settleLooks {
			break
		}
	}
	if len(pending) > 0 {
		l.log.Debug("listener: new files still changing after the settle time; the next poll looks at them again",
			"files", len(pending), "first", joinPath(pending[0].dir, pending[0].entry.Name))
	}
	return ready
}

// stillWanted keeps the versions that changed during the settle time and
// that the other guards would still let through now: none while
// stableListings counts listings (a changed version starts its count
// again), and only those fileAgeFilter finds old enough.
func (l *Listener) stillWanted(changed []listed) []listed {
	if l.cfg.StableListings > 1 {
		return nil
	}
	now := l.now()
	kept := changed[:0]
	for _, f := range changed {
		if l.oldEnough(now, f.entry.ModTime) {
			kept = append(kept, f)
		}
	}
	return kept
}

// lookAgain looks at pending versions once more, a directory at a time on
// one session, and appends the unchanged ones to ready and the changed ones,
// as they are now, to changed; the gone ones are dropped.
func (l *Listener) lookAgain(ctx context.Context, pending, ready []listed) (_, changed []listed, err error) {
	err = l.pool.Do(ctx, func(c remote.Conn) error {
		// A listing gives a directory's files one after the other.
		for start := 0; start < len(pending); {
			end := start + 1
			for end < len(pending) && pending[end].dir == pending[start].dir {
				end++
			}
			var err error
			if ready, changed, err = l.lookAtDir(ctx, c, pending[start:end], ready, changed); err != nil {
				return err
			}
			start = end
		}
		// Changed versions are as listed: their times go to the
		// server's grain as a poll's do (versionTimes), so that a
		// version handed over keeps one key whatever its listing.
		changed = l.times.settle(ctx, c, changed, l.log)
		return nil
	})
	return ready, changed, err
}

// lookAtDir looks at files of one directory again: a stat each when they
// are few and their listing had exact times, then a listing of the
// directory for whatever the stats did not confirm unchanged. Only a
// listing says how a file changed: a version handed over must be the one
// the next poll's listing shows, or that poll would take it for new.
func (l *Listener) lookAtDir(ctx context.Context, c remote.Conn, files, ready, changed []listed) (_, _ []listed, err error) {
	dir := files[0].dir
	rest := files
	var statSaid []bool // rest[i]'s stat answered that it changed
	if !l.settled.listOnly && len(files) <= statLimit && allPrecise(files) {
		rest = nil
		for _, f := range files {
			e, err := c.Stat(ctx, joinPath(dir, f.entry.Name))
			switch {
			case err == nil && sameVersion(e, f.entry):
				ready = append(ready, f)
				continue
			case ctx.Err() != nil:
				return ready, changed, ctx.Err()
			case err != nil && !errors.Is(err, fs.ErrNotExist):
				l.statUnusable("a stat failed", err)
			}
			rest = append(rest, f)
			statSaid = append(statSaid, err == nil)
		}
		if len(rest) == 0 {
			return ready, changed, nil
		}
	}
	want := make(map[string]int, len(rest))
	for i, f := range rest {
		want[f.entry.Name] = i
	}
	err = c.List(ctx, dir, func(e remote.Entry) error {
		i, ok := want[e.Name]
		if !ok || e.IsDir {
			return nil
		}
		delete(want, e.Name)
		if sameAsListed(e, rest[i]) {
			ready = append(ready, rest[i])
			if statSaid != nil && statSaid[i] {
				l.statUnusable("its stat and its listing disagree about an unchanged file", nil)
			}
		} else {
			changed = append(changed, listed{dir: dir, entry: e})
		}
		return nil
	})
	if errors.Is(err, remote.ErrTruncated) {
		err = nil // what it listed holds; the files it left out wait
	}
	return ready, changed, err
}

// statUnusable makes the guard look by listing from now on.
func (l *Listener) statUnusable(why string, err error) {
	if l.settled.listOnly {
		return
	}
	l.settled.listOnly = true
	l.log.Info("listener: new files are looked at again by listing their directory, not by a stat: "+why, "err", err)
}

// sameVersion tells whether two looks at a file show the same version.
func sameVersion(a, b remote.Entry) bool {
	return a.Size == b.Size && a.ModTime.Equal(b.ModTime) && !a.IsDir
}

// sameAsListed tells whether a listing shows f's version as f's own
// listing did (before versionTimes brought its time to the server's grain).
func sameAsListed(e remote.Entry, f listed) bool {
	return e.Size == f.entry.Size && e.ModTime.UnixMilli() == f.listedMS && !e.IsDir
}

// allPrecise tells whether the files' listing had exact times, as a stat
// has (MLSD, SFTP; not LIST's minutes), so that a stat can confirm them.
func allPrecise(files []listed) bool {
	for _, f := range files {
		if f.entry.Precision > remote.PrecisionSecond {
			return false
		}
	}
	return true
}

// sleep waits d, or until ctx ends (then it returns false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
