package listener

// What operators watch besides the role: the group's backlog (read from
// the ledger, core/ledger/backlog.go) and whether this member is ready,
// and why not. The command's /metrics and /readyz, Status (and so the C and
// Java status JSON) and the Spring meters all take them from here.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// ErrNoLedger is returned by Backlog when the member has no ledger (no
// coordination configured, or not started).
var ErrNoLedger = errors.New("listener: no ledger: the member is not started with coordination")

// Backlog reads the group's backlog from the ledger (one statement) with
// this member's own counts; on the active member of a warm-backup group,
// pending also counts the versions its running poll listed and has not
// entered yet (unentered.go).
func (l *Listener) Backlog(ctx context.Context) (ledger.Backlog, error) {
	_, lg := l.coordinated()
	if lg == nil {
		return ledger.Backlog{}, ErrNoLedger
	}
	b, err := lg.Backlog(ctx)
	if err != nil {
		return b, err
	}
	l.unentered.addTo(&b, time.Now())
	return b, nil
}

// Reasons a member is not ready (Readiness.Reason).
const (
	NotReadyStarting     = "starting"       // not joined its group yet (the command's phase)
	NotReadyStopping     = "stopping"       // a graceful stop began: it hands over
	NotReadyUnableToWork = "unable_to_work" // it cannot reach or log in to the file server (WorkHealth)
	NotReadyStuck        = "stuck"          // its poll made no progress for twice processingTimeout (PollHealth)
)

// NotReadyReasons lists every Readiness.Reason.
var NotReadyReasons = []string{NotReadyStarting, NotReadyStopping, NotReadyUnableToWork, NotReadyStuck}

// Readiness says whether the member is ready (it can take or do its part
// of the work) and, when not, why: Reason is one of NotReadyReasons,
// Detail the words for a person.
type Readiness struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Readiness is the member's readiness as the listener sees it: stopping,
// unable to work, a stuck poll, in that order. (Whether the host has
// started it is the host's to say: see the command's /readyz.)
func (l *Listener) Readiness() Readiness {
	if l.draining.Load() {
		return Readiness{Reason: NotReadyStopping, Detail: "the member is handing over"}
	}
	if w := l.WorkHealth(); !w.Able {
		return Readiness{Reason: NotReadyUnableToWork, Detail: "this member cannot do the work: " + w.Reason}
	}
	if p := l.PollHealth(); p.Stuck {
		return Readiness{Reason: NotReadyStuck, Detail: fmt.Sprintf("the poll started at %s has made no progress since %s (see the log)",
			p.Since.UTC().Format(time.RFC3339), p.LastProgress.UTC().Format(time.RFC3339))}
	}
	return Readiness{Ready: true}
}
