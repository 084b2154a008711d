package taskcompat

import (
	"fmt"
	"sync"
	"time"
)

// Role is what a member is in its group.
type Role int

// The roles of a member.
const (
	Standby Role = iota // heartbeats and watches the holder
	Active              // holds the token: the one member that polls
)

func (r Role) String() string {
	if r == Active {
		return "active"
	}
	return "standby"
}

// MarshalText writes the role as "active" or "standby".
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// EventKind says what changed.
type EventKind int

// The kinds of Event.
const (
	BecameActive EventKind = iota + 1 // this member took or regained the token
	LostActive                        // this member stopped being active
	NewHolder                         // the group's holder or term changed (any member)
	// MemberGone: another member's lock session ended (WithMemberLocks):
	// Holder names it; its claims may be taken back now.
	MemberGone
	// LostSession: this member's own lock session ended (WithMemberLocks):
	// the others may take it for gone; the work in hand is no longer its own.
	LostSession
)

func (k EventKind) String() string {
	switch k {
	case BecameActive:
		return "became-active"
	case LostActive:
		return "lost-active"
	case NewHolder:
		return "new-holder"
	case MemberGone:
		return "member-gone"
	case LostSession:
		return "lost-session"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// MarshalText writes the kind as in String.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Event is one role or holder change.
type Event struct {
	Kind   EventKind `json:"kind"`
	Holder string    `json:"holder"` // the holder's task id as observed ("" if unknown)
	Term   int64     `json:"term"`   // the holder's term; for BecameActive, this member's fencing token
	// DBTime is the database clock of the observation that caused the event;
	// zero when the cause was local (self-fencing, Stop, Halt).
	DBTime time.Time `json:"dbTime,omitzero"`
	At     time.Time `json:"at"`               // local clock
	Reason string    `json:"reason,omitempty"` // why, for LostActive
}

// Callbacks receive events in order on one goroutine of the coordinator's own,
// never on its heartbeat path: a slow callback delays later callbacks, never a
// heartbeat. Any of them may be nil.
type Callbacks struct {
	OnBecameActive func(Event)
	OnLostActive   func(Event)
	OnNewHolder    func(Event)
	OnMemberGone   func(Event)
	OnLostSession  func(Event)
}

func (cb Callbacks) call(e Event) {
	var f func(Event)
	switch e.Kind {
	case BecameActive:
		f = cb.OnBecameActive
	case LostActive:
		f = cb.OnLostActive
	case NewHolder:
		f = cb.OnNewHolder
	case MemberGone:
		f = cb.OnMemberGone
	case LostSession:
		f = cb.OnLostSession
	}
	if f != nil {
		f(e)
	}
}

// dispatcher runs callbacks in order from an unbounded queue.
type dispatcher struct {
	cb      Callbacks
	mu      sync.Mutex
	queue   []Event
	closed  bool
	wake    chan struct{}
	stopped chan struct{}
}

func newDispatcher(cb Callbacks) *dispatcher {
	d := &dispatcher{cb: cb, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go d.run()
	return d
}

func (d *dispatcher) post(e Event) {
	d.mu.Lock()
	if !d.closed {
		d.queue = append(d.queue, e)
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run() {
	defer close(d.stopped)
	for {
		d.mu.Lock()
		batch, closed := d.queue, d.closed
		d.queue = nil
		d.mu.Unlock()
		for _, e := range batch {
			d.cb.call(e)
		}
		if closed && len(batch) == 0 {
			return
		}
		if len(batch) == 0 {
			<-d.wake
		}
	}
}

// close delivers what is queued, then stops.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	<-d.stopped
}
