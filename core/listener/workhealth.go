package listener

// Leadership follows the ability to do the work. A member whose polls cannot
// connect or log in to the file server (the login refused, the certificate
// or host key not trusted, the connection refused, cut or timed out) for
// stepAsideAfter reports itself unable to work (Status.Work, readiness) and,
// with coordination, steps aside (taskcompat's StepAside): it gives the token
// up as a graceful stop does, so that any standby, ours or Ballerina's,
// takes over at once, and does not compete for it again for stepAsideAfter.
// A group where no member reaches the server keeps trying: the token changes
// hands at most once per stepAsideAfter, and a member alone takes it back
// after its while and tries again.
//
// Only failures to reach the server count: a listing that works proves the
// member able, and the failures of one file (unreadable, a handler error, a
// directory that does not exist) are the file's, not the member's.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/textproto"
	"sync"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
)

// DefaultStepAsideAfter is stepAsideAfter's default, in seconds.
const DefaultStepAsideAfter = 20.0

// WorkHealth is whether this member can do the work: reach and log in to
// the file server.
type WorkHealth struct {
	// Able is false once the member's attempts to reach the server have
	// failed for stepAsideAfter, until a listing works again (or, once its
	// while aside is over, another member holds the token: it is a spare
	// again). Readiness follows it.
	Able bool `json:"able"`
	// Reason says why not, with the last failure (never a password).
	Reason string `json:"reason,omitempty"`
	// FailingSince is the start of a run of failures in progress, already
	// before it makes the member unable.
	FailingSince time.Time `json:"failingSince,omitzero"`
	// AsideUntil: with coordination, the member gave the token up and does
	// not compete for it before this time.
	AsideUntil time.Time `json:"asideUntil,omitzero"`
}

// workWatch is the state behind WorkHealth.
type workWatch struct {
	mu         sync.Mutex
	failing    bool      // a run of failures is in progress
	since      time.Time // its first attempt's start
	last       error     // its last failure
	lastAt     time.Time // when it was seen
	gen        uint64    // counts runs, so that a timer acts only on its own
	unable     bool      // a run lasted stepAsideAfter; no listing has worked since
	reason     string    // why unable
	asideUntil time.Time
	timer      *time.Timer // wakes a poll half-way, then ends the while (workDue)
}

func (c ListenerConfig) stepAsideAfter() time.Duration {
	return time.Duration(c.StepAsideAfter * float64(time.Second))
}

// watchDial wraps the dialer so that every failed attempt to open a session
// counts: a dial is exactly the connection, the TLS or SSH handshake and the
// login.
func (l *Listener) watchDial(d remote.Dialer) remote.Dialer {
	return func(ctx context.Context) (remote.Conn, error) {
		start := l.now()
		c, err := d(ctx)
		if err != nil && ctx.Err() == nil {
			l.accessFailed(err, start)
		}
		return c, err
	}
}

// unreachable tells a failure of the connection to the server (the session
// died, a data connection could not be opened) from the failures of one
// path, a stop or a refusal that a listing tells.
func unreachable(err error) bool {
	var ne net.Error
	var te *textproto.Error
	switch {
	case errors.Is(err, errStopping), errors.Is(err, context.Canceled), errors.Is(err, remote.ErrPoolClosed),
		errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return false
	case errors.As(err, &te):
		return te.Code == 421 || te.Code == 425 || te.Code == 426 // service gone, no data connection
	}
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// listingUnreachable counts a listing that failed because the connection
// did (a failed dial is counted by watchDial).
func (l *Listener) listingUnreachable(err error) {
	if unreachable(err) {
		l.accessFailed(err, l.now())
	}
}

// accessFailed records a failed attempt to reach the server that began at
// start; a run that has lasted stepAsideAfter makes the member unable and
// steps it aside.
func (l *Listener) accessFailed(err error, start time.Time) {
	bound := l.cfg.stepAsideAfter()
	now := l.now()
	w := &l.work
	w.mu.Lock()
	if now.Before(w.asideUntil) {
		w.mu.Unlock()
		return // aside already: not this member's work for now
	}
	if !w.failing {
		w.failing, w.since = true, start
		w.gen++
		// Half-way through the while a poll looks again, whatever
		// pollingInterval is; at its end the member decides (workDue).
		w.stopTimer()
		gen := w.gen
		w.timer = time.AfterFunc(bound/2-now.Sub(start), func() {
			l.wakeUp()
			w.mu.Lock()
			if w.failing && w.gen == gen {
				w.timer = time.AfterFunc(w.since.Add(bound).Sub(l.now()), func() { l.workDue(gen) })
			}
			w.mu.Unlock()
		})
	}
	w.last, w.lastAt = err, now
	due, gen := now.Sub(w.since) >= bound, w.gen
	w.mu.Unlock()
	if due {
		l.giveUp(gen)
	}
}

// workDue ends the while of a run of failures: when the failures went on
// through its second half (no listing worked since), the member gives up
// now; otherwise a poll looks again, and its failure decides.
func (l *Listener) workDue(gen uint64) {
	bound := l.cfg.stepAsideAfter()
	w := &l.work
	w.mu.Lock()
	still := w.failing && w.gen == gen && !w.lastAt.Before(w.since.Add(bound/2))
	w.mu.Unlock()
	if still {
		l.giveUp(gen)
		return
	}
	l.wakeUp()
}

// giveUp makes the member unable after the run of failures gen and, with
// coordination, steps it aside (once per run).
func (l *Listener) giveUp(gen uint64) {
	bound := l.cfg.stepAsideAfter()
	now := l.now()
	coord := l.Coordinator()
	w := &l.work
	w.mu.Lock()
	if !w.failing || w.gen != gen {
		w.mu.Unlock()
		return // ended meanwhile, or already given up
	}
	w.failing, w.unable = false, true
	w.reason = fmt.Sprintf("cannot reach or log in to the file server since %s (stepAsideAfter %v): %v",
		w.since.UTC().Format(time.RFC3339), bound, w.last)
	w.stopTimer()
	if coord != nil {
		w.asideUntil = now.Add(bound)
	}
	reason := w.reason
	w.mu.Unlock()
	if coord == nil {
		l.log.Error("listener: this member cannot do the work", "reason", reason)
		return
	}
	l.log.Error("listener: this member cannot do the work; giving the coordination token up for another member to try",
		"reason", reason, "notCompetingFor", bound)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := coord.StepAside(ctx, reason, bound); err != nil {
		l.log.Warn("listener: could not step aside", "err", err)
	}
}

// stopTimer stops the run's timer; w.mu must be held.
func (w *workWatch) stopTimer() {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

// accessWorked: a listing worked, the member is able.
func (l *Listener) accessWorked(ctx context.Context) {
	w := &l.work
	w.mu.Lock()
	was := w.unable
	w.failing, w.unable, w.last, w.reason = false, false, nil, ""
	w.stopTimer()
	w.mu.Unlock()
	if was {
		l.log.InfoContext(ctx, "listener: the file server answers again; this member can do the work")
	}
}

// workAnew starts counting afresh when the member becomes active: a run of
// failures seen before (as a standby, or before it stepped aside) does not
// cut its new term short.
func (l *Listener) workAnew() {
	w := &l.work
	w.mu.Lock()
	w.failing = false
	w.stopTimer()
	w.mu.Unlock()
}

// WorkHealth returns whether this member can do the work.
func (l *Listener) WorkHealth() WorkHealth {
	coord := l.Coordinator()
	w := &l.work
	w.mu.Lock()
	h := WorkHealth{Able: !w.unable, Reason: w.reason}
	if w.failing {
		h.FailingSince = w.since
	}
	now := l.now()
	aside := now.Before(w.asideUntil)
	if aside {
		h.AsideUntil = w.asideUntil
	}
	w.mu.Unlock()
	if !h.Able && !aside && coord != nil {
		// The while is over and another member holds the token: a spare
		// again, that has not failed since.
		if st := coord.State(); st.Holder != "" && st.Holder != l.cfg.Coordination.MemberID {
			h.Able, h.Reason = true, ""
		}
	}
	if !h.Able && aside {
		h.Reason += "; gave the token up, not competing for it before " + h.AsideUntil.UTC().Format(time.RFC3339)
	}
	return h
}
