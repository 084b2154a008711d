package harness

import (
	"context"
	"sync"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/tests/ballerinapeer"
	"github.com/ftpcoord/ftpcoord/tests/jvmpeer"
)

// Sample is one reading of the token by database time.
type Sample struct {
	DB     time.Time // the database clock
	Local  time.Time // our clock, halfway through the reading
	Holder string
	Term   int64
}

// sampler reads the token holder and the database clock every 100 ms over
// its own direct connection (never through the relays).
type sampler struct {
	mu      sync.Mutex
	samples []Sample
	cancel  context.CancelFunc
	done    chan struct{}
}

func startSampler(g *Group) *sampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &sampler{cancel: cancel, done: make(chan struct{})}
	clock := `SELECT CURRENT_TIMESTAMP` // a dialect without a finer clock
	switch g.Opt.Dialect {
	case schema.Postgres:
		clock = `SELECT clock_timestamp()` // the wall clock, not the transaction's start
	case schema.MySQL:
		clock = `SELECT CURRENT_TIMESTAMP(6)`
	case schema.SQLite:
		clock = `SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')` // milliseconds, as the ledger writes them
	}
	holder := testdb.Q(g.Opt.Dialect, `SELECT task_id, term FROM token_holder WHERE group_id = ?`)
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			before := time.Now()
			var smp Sample
			err := g.SQL.QueryRowContext(ctx, clock).Scan(&smp.DB) // SQLite: text, scanned as time (taskcompat's _texttotime)
			if err == nil {
				smp.Local = before.Add(time.Since(before) / 2)
				g.SQL.QueryRowContext(ctx, holder, g.Name).Scan(&smp.Holder, &smp.Term)
				s.mu.Lock()
				s.samples = append(s.samples, smp)
				s.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() {
	s.cancel()
	<-s.done
}

func (s *sampler) all() []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sample(nil), s.samples...)
}

// Interval is a span in which one participant believed itself active.
type Interval struct {
	Who      string // member id, or the Ballerina peer's task id
	Pid      int    // 0 for a peer
	Term     int64
	From, To time.Time
	Open     bool // still active at the end of the record
}

// peerTrack runs a Ballerina-protocol peer in this process and records when
// it believed itself active.
type peerTrack struct {
	id      string
	peer    peer
	mu      sync.Mutex
	spans   []Interval
	since   time.Time
	active  bool
	halted  bool
	cancel  context.CancelFunc
	done    chan struct{}
	haltOne sync.Once
}

// peer is a Ballerina node: the Go peer, or the JVM peer.
type peer interface {
	IsActive() bool
	Halt()
}

// StartPeer starts a Ballerina peer in the group (directly on the database)
// that ticks every heartbeat, and returns a function that halts it (it stops
// heartbeating, as a crashed or stopped Ballerina node does).
func (g *Group) StartPeer(ctx context.Context, id string) (halt func(), err error) {
	p, err := ballerinapeer.Start(ctx, ballerinapeer.Config{
		Database: g.DB, TaskID: id, GroupID: g.Name, LivenessCheckInterval: g.Opt.Liveness,
		HeartbeatFrequency: time.Second, PollingInterval: time.Second,
	})
	if err != nil {
		return nil, err
	}
	return g.trackPeer(id, p), nil
}

// StartJVMPeer starts a Ballerina node on the JVM (tests/jvmpeer) whose
// default time zone is zone, ticking every heartbeat, and returns a function
// that kills it.
func (g *Group) StartJVMPeer(ctx context.Context, id, zone string) (halt func(), err error) {
	p, err := jvmpeer.Start(jvmpeer.Config{
		Database: g.DB, TaskID: id, GroupID: g.Name, LivenessCheckInterval: g.Opt.Liveness,
		HeartbeatFrequency: time.Second, PollingInterval: time.Second, Zone: zone,
	})
	if err != nil {
		return nil, err
	}
	return g.trackPeer(id, p), nil
}

func (g *Group) trackPeer(id string, p peer) (halt func()) {
	rctx, cancel := context.WithCancel(context.Background())
	pt := &peerTrack{id: id, peer: p, cancel: cancel, done: make(chan struct{})}
	g.mu.Lock()
	g.peers = append(g.peers, pt)
	g.mu.Unlock()
	go func() {
		defer close(pt.done)
		for {
			pt.observe()
			select {
			case <-rctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return pt.stop
}

func (pt *peerTrack) observe() {
	a := pt.peer.IsActive()
	now := time.Now()
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.halted {
		return
	}
	if a && !pt.active {
		pt.since = now
	}
	if !a && pt.active {
		pt.spans = append(pt.spans, Interval{Who: pt.id, From: pt.since, To: now})
	}
	pt.active = a
}

func (pt *peerTrack) stop() {
	pt.haltOne.Do(func() {
		pt.observe()
		pt.peer.Halt()
		pt.mu.Lock()
		// Halted, it heartbeats no more and acts no more.
		if pt.active {
			pt.spans = append(pt.spans, Interval{Who: pt.id, From: pt.since, To: time.Now()})
			pt.active = false
		}
		pt.halted = true
		pt.mu.Unlock()
		pt.cancel()
		<-pt.done
	})
}

func (pt *peerTrack) intervals() []Interval {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	out := append([]Interval(nil), pt.spans...)
	if pt.active {
		out = append(out, Interval{Who: pt.id, From: pt.since, To: time.Now(), Open: true})
	}
	return out
}
